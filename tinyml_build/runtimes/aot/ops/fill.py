"""FILL: every output element is the value of a scalar, written by a step-0 gather.

Checks are the pinned TFLM's (kernels/fill.cc): the value is a scalar (rank 0) of the output's
type, float32, int32 or int8; the dims tensor must be constant, rank 1, int8/int16/int32/int64,
and equal to the output's shape (Prepare's EnsureEq). The value may be computed at run time, so
the output is `emit_gather` of that one element with step 0 (no new kernel). Quantization is
not looked at (bytes are copied, as TFLM does).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty

FILL_TYPES = ("float32", "int32", "int8")
DIMS_TYPES = ("int8", "int16", "int32", "int64")


@register("FILL")
def lower(ctx) -> None:
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
