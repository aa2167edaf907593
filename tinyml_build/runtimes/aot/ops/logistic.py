"""LOGISTIC: int8 as a lookup table built with TFLM's gemmlowp fixed-point arithmetic; int16 as
TFLM's reference_integer_ops::Logistic (kernels/sigmoid16.c), interpolating in TFLM's sigmoid table
read from the pinned TFLM tree (upstream_tables.py: the table is data, not a formula). float32:
_activations_f32.py (expf, kernels/float_math.c).
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import lower_sigmoid16, lower_table, same_shape_io

POT_SHIFTS = (0,)  # logistic_common.cc: a power-of-two input scale takes the 3 << shift path only at shift 0


@register("LOGISTIC")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=("int8", "int16")):
        return
    x, y = same_shape_io(ctx, ("int8", "int16"))
    if x.dtype == "int16":
        lower_sigmoid16(ctx, "tml_logistic_s16", POT_SHIFTS)
        return
    in_scale, in_zp = ctx.quantization(x)
    _, out_zp = ctx.quantization(y)
    if out_zp != -128:
        raise ctx.unsupported(f"int8 LOGISTIC needs an output zero point of -128 (got {out_zp}), as in TFLM")
    lower_table(ctx, int8_tables.logistic_table(in_scale, in_zp), "logistic table")
