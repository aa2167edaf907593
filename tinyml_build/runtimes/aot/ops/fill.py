"""FILL and ZEROS_LIKE: every output element is one value, written by a step-0 gather.

FILL (the pinned TFLM's kernels/fill.cc): the value is a scalar (rank 0) of the output's type,
float32, int32 or int8; the dims tensor must be constant, rank 1, int8/int16/int32/int64, and
equal to the output's shape (Prepare's EnsureEq). The value may be computed at run time, so
the output is `emit_gather` of that one element with step 0 (no new kernel).
ZEROS_LIKE (kernels/zeros_like.cc): int64, int32, int8 and float32; the output takes the
input's type and is all zero bytes: a step-0 gather of a one-element zero array in flash.
Neither looks at quantization (bytes are copied, as TFLM does).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty

FILL_TYPES = ("float32", "int32", "int8")
DIMS_TYPES = ("int8", "int16", "int32", "int64")
ZEROS_LIKE_TYPES = ("int64", "int32", "int8", "float32")
ZERO_CTYPE = {"int64": "int64_t", "int32": "int32_t", "int8": "int8_t", "float32": "float"}


@register("FILL")
def lower_fill(ctx) -> None:
    refuse_empty(ctx)
    value = ctx.require_dtype(ctx.input(1), FILL_TYPES, "value")
    out = ctx.require_dtype(ctx.output(0), (value.dtype,), "output")
    if len(value.shape) != 0:
        raise ctx.unsupported(f"value has shape {list(value.shape)}; TFLM requires a scalar")
    dims_tensor = ctx.require_dtype(ctx.input(0), DIMS_TYPES, "dims")
    if len(dims_tensor.shape) != 1:
        raise ctx.unsupported(f"dims has rank {len(dims_tensor.shape)}; TFLM requires rank 1")
    dims = constant_ints(ctx, dims_tensor, "dims", DIMS_TYPES)
    if dims != list(out.shape):
        raise ctx.unsupported(f"dims {dims} differ from the output shape {list(out.shape)} (TFLM's Prepare "
                              "requires them equal)")
    emit_gather(ctx, out.dtype, 0, [(out.elements, 0)], ctx.input_ptr(1), ctx.output_ptr(0))


@register("ZEROS_LIKE")
def lower_zeros_like(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), ZEROS_LIKE_TYPES, "input")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if out.elements != x.elements:
        raise ctx.unsupported(f"output has {out.elements} elements, input {x.elements} (TFLM's MatchingFlatSize)")
    zero = ctx.array([0], ZERO_CTYPE[x.dtype], "zero")
    emit_gather(ctx, out.dtype, 0, [(out.elements, 0)], zero, ctx.output_ptr(0))
