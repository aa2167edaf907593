"""LOGISTIC for int8, as a lookup table built with TFLM's gemmlowp fixed-point arithmetic.

int16 LOGISTIC is not supported: TFLM interpolates in a 256-entry sigmoid table whose values
are not reproducible from a formula (they are not round(65536 * sigmoid(i / 24))), and this
project does not copy upstream data.
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io


@register("LOGISTIC")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("int8",))
    in_scale, in_zp = ctx.quantization(x)
    _, out_zp = ctx.quantization(y)
    if out_zp != -128:
        raise ctx.unsupported(f"int8 LOGISTIC needs an output zero point of -128 (got {out_zp}), as in TFLM")
    lower_table(ctx, int8_tables.logistic_table(in_scale, in_zp), "logistic table")
