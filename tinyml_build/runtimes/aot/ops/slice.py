"""SLICE for int8, int16, int32, float32 and bool (TFLM micro's types), rank 0..5.

TFLM reads `begin` and `size` (int32 or int64, one entry per input dimension) at Eval time and
copies the box [begin, begin + size) (size -1: to the end) without looking at quantization.
Here they must be constant so the box is resolved at build time; it must lie inside the input
(TFLM does not check this and would read out of bounds) and match the output's shape.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty, row_major_strides

TYPES = ("int8", "int16", "int32", "float32", "bool")
MAX_RANK = 5  # TFLM's kMaxDim


@register("SLICE")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise ctx.unsupported(f"input has rank {rank}; TFLM's SLICE supports at most {MAX_RANK}")
    begin_t, size_t = ctx.input(1), ctx.input(2)
    if begin_t is not None and size_t is not None and begin_t.dtype != size_t.dtype:
        raise ctx.unsupported(f"begin is {begin_t.dtype} but size is {size_t.dtype} (TFLM needs one type)")
    why = "aot resolves the box at build time; TFLM reads it in Eval"
    begin = constant_ints(ctx, begin_t, "begin", ("int32", "int64"), why)
    size = constant_ints(ctx, size_t, "size", ("int32", "int64"), why)
    if len(begin) != rank or len(size) != rank:
        raise ctx.unsupported(f"begin/size have {len(begin)}/{len(size)} entries for a rank-{rank} input")
    counts = []
    for d, (b, s, n) in enumerate(zip(begin, size, x.shape)):
        count = n - b if s == -1 else s
        if not 0 <= b <= n or count < 0 or b + count > n:
            raise ctx.unsupported(f"dimension {d}: begin {b} size {s} lies outside the input's {n}")
        counts.append(count)
    if list(y.shape) != counts:
        raise ctx.unsupported(f"output shape {list(y.shape)} does not match the slice ({counts})")
    strides = row_major_strides(x.shape)
    start = sum(b * s for b, s in zip(begin, strides))
    emit_gather(ctx, x.dtype, start, list(zip(counts, strides)), ctx.input_ptr(0), ctx.output_ptr(0))
