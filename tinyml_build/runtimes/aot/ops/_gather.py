"""Shared by the data-movement ops (TRANSPOSE, SLICE, SPLIT, SPLIT_V, UNPACK): a strided gather.

Each of these ops writes its output in order while reading the input at positions given by
at most five nested loops (a count and a step in elements per loop) from a start element.
All of it is known at build time, so every one of them lowers to one call of
`tml_strided_slice` (kernels/strided_slice.c) per output: fully contiguous inner loops are
merged into one memcpy, strided ones become a tight gather loop.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops.strided_slice import LOOPS, _merge

ELEMENT_BYTES = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4, "int64": 8}


def row_major_strides(shape) -> list[int]:
    """Element strides of a contiguous tensor of `shape`."""
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def emit_gather(ctx, dtype: str, start: int, loops, input_ptr: str, output_ptr: str) -> None:
    """out[i...] = in[start + sum(i_d * step_d)] over `loops` [(count, step), ...], outermost first.

    A step may be 0 (the same element repeated: FILL, BROADCAST_TO) or negative (REVERSE_V2)."""
    loops = [(int(c), int(s)) for c, s in loops]
    if any(c == 0 for c, _ in loops):
        return
    loops = [(c, s) for c, s in loops if c != 1] or [(1, 1)]
    if len(loops) > LOOPS:
        raise ctx.unsupported(f"needs {len(loops)} loops; the kernel has {LOOPS}")
    loops = _merge([(1, 0)] * (LOOPS - len(loops)) + loops)
    params = ctx.params("tml_strided_slice_params", {
        "elem_bytes": ELEMENT_BYTES[dtype],
        "start": start,
        "count": [c for c, _ in loops],
        "step": [s for _, s in loops],
    })
    ctx.call("tml_strided_slice", params, input_ptr, output_ptr, kernel="strided_slice")


def refuse_empty(ctx) -> None:
    """TFLM cannot run a model with an empty activation tensor (its allocator reports "dynamic
    tensor" and AllocateTensors fails), so neither does aot: refused with the op named."""
    for role, indices in (("input", ctx.op.inputs), ("output", ctx.op.outputs)):
        for n, index in enumerate(indices):
            t = ctx.sg.tensors[index] if index >= 0 else None
            if t is not None and not t.is_constant and t.elements == 0:
                raise ctx.unsupported(f"{role} {n} (tensor #{t.index} '{t.name}') has no elements "
                                      f"(shape {list(t.shape)}); TFLM cannot allocate it either",
                                      fix="remove the empty tensor from the model")


def constant_ints(ctx, tensor, role: str, dtypes=("int32",), why: str = "TFLM requires it here") -> list[int]:
    """The values of a constant integer tensor (clear error when it is missing or not constant)."""
    t = ctx.require_dtype(tensor, dtypes, role)
    if not t.is_constant:
        raise ctx.unsupported(f"{role} tensor #{t.index} '{t.name}' is not constant ({why})")
    return [int(v) for v in t.array().reshape(-1)]


def resolve_axis(ctx, axis: int, rank: int) -> int:
    """A negative axis counts from the end, as in TFLM; out of range is an error."""
    resolved = axis + rank if axis < 0 else axis
    if not 0 <= resolved < rank:
        raise ctx.unsupported(f"axis {axis} is out of range for rank {rank}")
    return resolved


def refuse_constant_out_of_range(ctx, indices, size: int, what: str, fix: str, where: str = "") -> None:
    """Refuse constant `indices` outside [0, size): TFLM would read outside the tensor or fail
    in Eval (indices computed at run time are the kernel's to check)."""
    if not indices.is_constant:
        return
    values = np.asarray(indices.array()).reshape(-1)
    bad = values[(values < 0) | (values >= size)]
    if bad.size:
        raise ctx.unsupported(f"constant {what} {int(bad[0])} is outside [0, {size}){where}", fix=fix)
