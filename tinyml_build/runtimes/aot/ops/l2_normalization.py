"""L2_NORMALIZATION: int8 (kernels/l2_normalization.c) and float32 (kernels/l2_normalization_f32.c,
libm's sqrtf) over the last dimension, as TFLM's micro kernel (l2norm.cc): rank <= 4, no fused
activation. int8 writes TFLM's implied output quantization (scale 1/128, zero point 0) whatever the
output tensor declares, as TFLM does.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import same_shape_io

SUFFIX = {"float32": "f32", "int8": "s8"}


@register("L2_NORMALIZATION")
def lower(ctx) -> None:
    x, _ = same_shape_io(ctx, tuple(SUFFIX))
    if not 1 <= len(x.shape) <= 4:
        raise ctx.unsupported(f"rank {len(x.shape)} (TFLM's L2_NORMALIZATION takes ranks 1 to 4)")
    activation = ctx.options.get("fused_activation_function", "NONE")
    if activation != "NONE":
        raise ctx.unsupported(f"fused activation {activation} (TFLM requires NONE)")
    if x.elements == 0:
        return
    zero_point = ctx.quantization(x)[1] if x.dtype == "int8" else 0
    depth = x.shape[-1]
    params = ctx.params("tml_l2_normalization_params", {"rows": x.elements // depth, "depth": depth,
                                                        "input_zero_point": zero_point})
    ctx.call(f"tml_l2_normalization_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="l2_normalization" if x.dtype == "int8" else "l2_normalization_f32")
