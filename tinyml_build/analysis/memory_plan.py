"""Static memory planning: fixed arena offsets for buffers with known lifetimes.

Both the inspect report (estimated arena) and the aot runtime (the real arena layout) use
this, so the estimate the user sees is the layout the firmware gets. The algorithm is the
classic greedy-by-size first fit (as TFLM's GreedyMemoryPlanner): place the largest buffers
first, each at the lowest aligned offset that does not collide with an already placed buffer
whose lifetime overlaps.
"""

from dataclasses import dataclass

DEFAULT_ALIGNMENT = 16


@dataclass(frozen=True)
class Buffer:
    key: object  # caller's identifier, e.g. a tensor index
    size: int  # bytes
    first: int  # first step (op index) the buffer must hold its data
    last: int  # last step, inclusive

    def overlaps(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Plan:
    offsets: dict  # key -> byte offset in the arena
    size: int  # bytes the arena needs
    lower_bound: int  # most bytes live at any one step: no plan can be smaller

    def offset(self, key) -> int:
        return self.offsets[key]


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def plan_memory(buffers: list[Buffer], alignment: int = DEFAULT_ALIGNMENT) -> Plan:
    """Greedy-by-size placement; deterministic (ties broken by first use, then key order)."""
    for b in buffers:
        if b.size < 0 or b.first > b.last:
            raise ValueError(f"invalid buffer {b}")
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].size, buffers[i].first, i))
    placed: list[tuple[int, Buffer]] = []
    offsets = {}
    size = 0
    for i in order:
        buf = buffers[i]
        need = align_up(buf.size, alignment)
        candidate = 0
        for start, other in sorted(((s, o) for s, o in placed if o.overlaps(buf)), key=lambda pair: pair[0]):
            if candidate + need <= start:
                break
            candidate = max(candidate, align_up(start + other.size, alignment))
        offsets[buf.key] = candidate
        placed.append((candidate, buf))
        size = max(size, candidate + buf.size)
    return Plan(offsets=offsets, size=align_up(size, alignment) if size else 0, lower_bound=live_peak(buffers))


def live_peak(buffers: list[Buffer]) -> int:
    """Largest total size of buffers alive at the same step."""
    if not buffers:
        return 0
    steps = sorted({b.first for b in buffers})
    return max(sum(b.size for b in buffers if b.first <= step <= b.last) for step in steps)
