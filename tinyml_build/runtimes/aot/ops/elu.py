"""ELU: float32 (expm1f below zero, kernels/float_math.c) and int8 (a lookup table), as TFLM's elu.cc.

int8: TFLM builds its table in Prepare with float32 arithmetic and std::exp
(quantization.elu_table, with the build machine's expf: see the aot README for the target).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map, lower_table, same_shape_io
from tinyml_build.runtimes.aot.quantization import elu_table


@register("ELU")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("float32", "int8"))
    if x.dtype == "float32":
        lower_float_map(ctx, "tml_elu_f32")
        return
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    lower_table(ctx, elu_table(in_scale, in_zp, out_scale, out_zp), "elu table")
