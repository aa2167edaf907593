"""TANH: int8 as a lookup table built with TFLM's gemmlowp fixed-point arithmetic (like TFLM, the
output quantization is implied: scale 1/128, zero point 0); int16 as TFLM's
reference_integer_ops::Tanh (kernels/sigmoid16.c), interpolating in TFLM's sigmoid table read from
the pinned TFLM tree (upstream_tables.py). float32: _activations_f32.py (tanhf, kernels/float_math.c).
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import lower_sigmoid16, lower_table, same_shape_io

POT_SHIFTS = (0, 1)  # tanh.cc: a power-of-two input scale takes the 3 << shift path at shifts 0 and 1


@register("TANH")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=("int8", "int16")):
        return
    x, _ = same_shape_io(ctx, ("int8", "int16"))
    if x.dtype == "int16":
        lower_sigmoid16(ctx, "tml_tanh_s16", POT_SHIFTS)
        return
    in_scale, in_zp = ctx.quantization(x)
    lower_table(ctx, int8_tables.tanh_table(in_scale, in_zp), "tanh table")
