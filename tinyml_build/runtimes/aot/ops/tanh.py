"""TANH for int8, as a lookup table built with TFLM's gemmlowp fixed-point arithmetic.

Like TFLM, the output quantization is implied (scale 1/128, zero point 0). int16 TANH is
not supported, for the reason given in logistic.py.
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io


@register("TANH")
def lower(ctx) -> None:
    x, _ = same_shape_io(ctx, ("int8",))
    in_scale, in_zp = ctx.quantization(x)
    lower_table(ctx, int8_tables.tanh_table(in_scale, in_zp), "tanh table")
