"""RELU: int8 as a lookup table, int16 with kernels/relu.c, float32 in _activations_f32.py.

Mirrors TFLM's CalculateReluOpData: requantize by the float32 ratio of input to output scale,
then clamp below at the quantized zero. int16 needs zero points of 0, as in TFLM.
"""

import numpy as np

from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io
from tinyml_build.runtimes.aot.quantization import quantize_multiplier


@register("RELU")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=("int8", "int16")):
        return
    x, y = same_shape_io(ctx, ("int8", "int16"))
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if x.dtype == "int8":
        lower_table(ctx, int8_tables.relu_table(in_scale, in_zp, out_scale, out_zp), "relu table")
        return
    if (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 RELU needs zero points of 0 (got {in_zp}, {out_zp}), as in TFLM")
    if x.elements == 0:
        return
    multiplier, shift = quantize_multiplier(float(np.float32(in_scale) / np.float32(out_scale)))
    params = ctx.params("tml_relu_params", {
        "input_offset": in_zp, "output_offset": out_zp, "multiplier": multiplier, "shift": shift,
        "act_min": max(-32768, out_zp), "act_max": 32767,
    })
    ctx.allow_in_place(ctx.output(0), x)  # element i read, then written
    ctx.call("tml_relu_s16", params, ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="relu")
