"""HARD_SWISH for int8 (the only quantized type TFLM has), as a lookup table; float32 in _activations_f32.py.

The table runs TFLM's int16 fixed-point HardSwish for each of the 256 inputs.
"""

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io


@register("HARD_SWISH")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=("int8",)):
        return
    x, y = same_shape_io(ctx, ("int8",))
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    try:
        table = int8_tables.hard_swish_table(in_scale, in_zp, out_scale, out_zp)
    except ValueError as exc:
        raise ctx.unsupported(str(exc)) from None
    lower_table(ctx, table, "hard swish table")
