"""LEAKY_RELU: int8 as a lookup table, int16 with kernels/leaky_relu.c, float32 in _activations_f32.py.

Mirrors TFLM's CalculateOpDataLeakyRelu (float32 scale ratios, separate identity and alpha
multipliers; a negative alpha is carried as a flag and a positive multiplier).
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io


@register("LEAKY_RELU")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=("int8", "int16")):
        return
    x, y = same_shape_io(ctx, ("int8", "int16"))
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    alpha = float(ctx.options.get("alpha", 0.0))
    if x.dtype == "int8":
        lower_table(ctx, int8_tables.leaky_relu_table(in_scale, in_zp, out_scale, out_zp, alpha), "leaky relu table")
        return
    if x.elements == 0:
        return
    fields = {"input_offset": in_zp, "output_offset": out_zp}
    fields.update(int8_tables.leaky_relu_params(in_scale, out_scale, alpha))
    params = ctx.params("tml_leaky_relu_params", fields)
    ctx.allow_in_place(ctx.output(0), ctx.input(0))  # element i read, then written
    ctx.call("tml_leaky_relu_s16", params, ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="leaky_relu")
