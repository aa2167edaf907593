"""Host-side broadcasting for elementwise binary ops (ADD, SUB, MUL).

Why: numpy-style broadcasting is decided entirely by the static shapes, so the lowering
collapses it into a few loops with precomputed input steps (0 where an input is broadcast)
and the kernels never compute an element index. Adjacent dimensions that walk both inputs
the same way are merged, so the innermost loop is as long as possible.
"""

from dataclasses import dataclass

MAX_LOOPS = 6  # TML_BCAST_MAX_LOOPS in tml_broadcast.h


class BroadcastError(ValueError):
    pass


@dataclass(frozen=True)
class BroadcastLoops:
    """Loops outermost first; steps are in elements of each input (0: broadcast along it)."""

    count: tuple[int, ...]
    step1: tuple[int, ...]
    step2: tuple[int, ...]

    def fields(self) -> dict:
        """The tml_broadcast struct initializer (arrays padded to MAX_LOOPS)."""
        pad = [0] * (MAX_LOOPS - len(self.count))
        return {"loops": len(self.count), "count": list(self.count) + pad,
                "step1": list(self.step1) + pad, "step2": list(self.step2) + pad}


def broadcast_loops(shape1, shape2, out_shape) -> BroadcastLoops:
    """Collapse the broadcast of shape1 and shape2 onto out_shape; BroadcastError if invalid."""
    rank = max(len(shape1), len(shape2), len(out_shape))
    a = [1] * (rank - len(shape1)) + list(shape1)
    b = [1] * (rank - len(shape2)) + list(shape2)
    o = [1] * (rank - len(out_shape)) + list(out_shape)
    loops: list[list[int]] = []  # innermost first: [count, step1, step2]
    a_stride = b_stride = 1
    for d in range(rank - 1, -1, -1):
        if a[d] not in (1, o[d]) or b[d] not in (1, o[d]) or max(a[d], b[d]) != o[d]:
            raise BroadcastError(f"shapes {list(shape1)} and {list(shape2)} do not broadcast to {list(out_shape)}")
        if o[d] != 1:
            step_a = 0 if a[d] == 1 else a_stride
            step_b = 0 if b[d] == 1 else b_stride
            if loops and _continues(loops[-1], step_a, step_b):
                loops[-1][0] *= o[d]
            else:
                loops.append([o[d], step_a, step_b])
        a_stride *= a[d]
        b_stride *= b[d]
    if not loops:
        loops = [[1, 0, 0]]
    if len(loops) > MAX_LOOPS:
        raise BroadcastError(f"broadcasting {list(shape1)} with {list(shape2)} needs {len(loops)} loops "
                             f"(max {MAX_LOOPS})")
    loops.reverse()
    return BroadcastLoops(count=tuple(loop[0] for loop in loops), step1=tuple(loop[1] for loop in loops),
                          step2=tuple(loop[2] for loop in loops))


def _continues(inner: list[int], step_a: int, step_b: int) -> bool:
    """Whether an outer dimension walks both inputs as a continuation of the inner loop."""
    count, inner_a, inner_b = inner
    return step_a == inner_a * count and step_b == inner_b * count


@dataclass(frozen=True)
class BroadcastLoopsN:
    """Like BroadcastLoops, for any number of operands: steps[k] are operand k's element steps."""

    count: tuple[int, ...]
    steps: tuple[tuple[int, ...], ...]


def broadcast_loops_n(shapes, out_shape) -> BroadcastLoopsN:
    """Collapse the broadcast of several operands (e.g. SELECT_V2's condition, x, y) onto out_shape."""
    rank = max([len(s) for s in shapes] + [len(out_shape)])
    ext = [[1] * (rank - len(s)) + list(s) for s in shapes]
    o = [1] * (rank - len(out_shape)) + list(out_shape)
    loops: list[list[int]] = []  # innermost first: [count, step per operand...]
    strides = [1] * len(shapes)
    for d in range(rank - 1, -1, -1):
        dims = [s[d] for s in ext]
        if any(v not in (1, o[d]) for v in dims) or max(dims) != o[d]:
            raise BroadcastError(f"shapes {[list(s) for s in shapes]} do not broadcast to {list(out_shape)}")
        if o[d] != 1:
            steps = [0 if v == 1 else stride for v, stride in zip(dims, strides, strict=True)]
            if loops and all(step == inner * loops[-1][0] for step, inner in zip(steps, loops[-1][1:], strict=True)):
                loops[-1][0] *= o[d]
            else:
                loops.append([o[d], *steps])
        strides = [stride * v for stride, v in zip(strides, dims, strict=True)]
    if not loops:
        loops = [[1] + [0] * len(shapes)]
    if len(loops) > MAX_LOOPS:
        raise BroadcastError(f"broadcasting {[list(s) for s in shapes]} needs {len(loops)} loops (max {MAX_LOOPS})")
    loops.reverse()
    return BroadcastLoopsN(count=tuple(loop[0] for loop in loops),
                           steps=tuple(tuple(loop[k + 1] for loop in loops) for k in range(len(shapes))))
