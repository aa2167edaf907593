"""STRIDED_SLICE for int8, int16, int32 and float32: a strided copy resolved on the host.

Mirrors TFLM micro: rank <= 4 (extended to 5-D), constant begin/end/strides,
begin/end/shrink masks; ellipsis and new-axis masks are not honoured by TFLM micro, so
models using them are refused. Begin/end are resolved with TFLM's Eval-time rules; fully
copied inner dimensions are merged so the innermost copy is as long as possible.
"""

import math

import numpy as np

from tinyml_build.runtimes.aot.ops import register

MAX_RANK = 4  # TFLM micro's limit
LOOPS = 5  # the kernel's loop nest (TFLM's reference pads to 5-D as well)
ELEMENT_BYTES = {"int8": 1, "int16": 2, "int32": 4, "float32": 4}


@register("STRIDED_SLICE")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(ELEMENT_BYTES), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise ctx.unsupported(f"input has rank {rank}; TFLM micro's STRIDED_SLICE supports at most {MAX_RANK}")
    vectors = []
    for n, role in ((1, "begin"), (2, "end"), (3, "strides")):
        t = ctx.require_dtype(ctx.input(n), ("int32",), role)
        if not t.is_constant:
            raise ctx.unsupported(f"{role} tensor #{t.index} '{t.name}' is not constant (TFLM requires it)")
        values = [int(v) for v in t.array().reshape(-1)]
        if len(values) != rank:
            raise ctx.unsupported(f"{role} has {len(values)} values for a rank-{rank} input")
        vectors.append(values)
    begin, end, strides = vectors
    opts = ctx.options
    if opts.get("ellipsis_mask", 0) or opts.get("new_axis_mask", 0):
        raise ctx.unsupported("ellipsis_mask / new_axis_mask are not supported (TFLM micro ignores them)")
    if any(s == 0 for s in strides):
        raise ctx.unsupported("a stride of 0 is invalid")

    pad = LOOPS - rank
    shape = [1] * pad + list(x.shape)
    begin, end, strides = [0] * pad + begin, [1] * pad + end, [1] * pad + strides
    low = (1 << pad) - 1
    begin_mask = (opts.get("begin_mask", 0) << pad) | low
    end_mask = (opts.get("end_mask", 0) << pad) | low
    shrink_mask = opts.get("shrink_axis_mask", 0) << pad

    starts, counts, out_shape = [], [], []
    for d in range(LOOPS):
        start = _start(begin[d], strides[d], shape[d], begin_mask >> d & 1)
        stop = _stop(end[d], strides[d], shape[d], end_mask >> d & 1, shrink_mask >> d & 1, start)
        count = max(0, math.ceil((stop - start) / strides[d]))
        starts.append(start)
        counts.append(count)
        if not shrink_mask >> d & 1 and d >= pad:
            out_shape.append(count)
    if tuple(out_shape) != tuple(y.shape):
        raise ctx.unsupported(f"output shape {list(y.shape)} does not match the slice ({out_shape})")
    if y.elements == 0:
        return

    in_strides = [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(LOOPS)]
    start_offset = sum(s * st for s, st in zip(starts, in_strides))
    loops = _merge([(c, s * st) for c, s, st in zip(counts, strides, in_strides)])
    params = ctx.params("tml_strided_slice_params", {
        "elem_bytes": ELEMENT_BYTES[x.dtype],
        "start": start_offset,
        "count": [c for c, _ in loops],
        "step": [s for _, s in loops],
    })
    ctx.call("tml_strided_slice", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="strided_slice")


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else (lo if v < lo else v)


def _start(begin: int, stride: int, size: int, masked: int) -> int:
    """strided_slice::StridedSliceStartForAxis."""
    start = begin + size if begin < 0 else begin
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if masked:
        start = 0 if stride > 0 else size - 1
    return start


def _stop(end: int, stride: int, size: int, masked: int, shrink: int, start: int) -> int:
    """strided_slice::StridedSliceEndForAxis (TFLM micro never sets `offset`)."""
    if shrink:
        return start if start >= size else start + 1
    stop = end + size if end < 0 else end
    stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    if masked:
        stop = size if stride > 0 else -1
    return stop


def _merge(loops):
    """Merge an inner loop into its outer neighbour when together they walk memory linearly."""
    merged = [list(loops[-1])]
    for count, step in reversed(loops[:-1]):
        inner = merged[0]
        if count == 1:
            continue
        if inner[0] == 1 or step == inner[0] * inner[1]:
            merged[0] = [count * inner[0], inner[1] if inner[0] != 1 else step]
        else:
            merged.insert(0, [count, step])
    return [(1, 0)] * (LOOPS - len(merged)) + [tuple(m) for m in merged]
