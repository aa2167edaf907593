"""ZEROS_LIKE: an all-zero tensor of the input's shape and type, by a step-0 gather.

Types are the pinned TFLM's (kernels/zeros_like.cc): int64, int32, int8 and float32, the output
of the input's type. The output is `emit_gather` of a one-element zero array in flash with
step 0 (no new kernel); quantization is not looked at (TFLM writes zero bytes too).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import emit_gather, refuse_empty

TYPES = ("int64", "int32", "int8", "float32")
ZERO_CTYPE = {"int64": "int64_t", "int32": "int32_t", "int8": "int8_t", "float32": "float"}


@register("ZEROS_LIKE")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if out.elements != x.elements:
        raise ctx.unsupported(f"output has {out.elements} elements, input {x.elements} (TFLM's MatchingFlatSize)")
    zero = ctx.array([0], ZERO_CTYPE[x.dtype], "zero")
    emit_gather(ctx, out.dtype, 0, [(out.elements, 0)], zero, ctx.output_ptr(0))
