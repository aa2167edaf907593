"""RELU6: int8 and int16, a clamp between the input's quantized 0 and 6 (TFLM's Relu6Quantized);
float32 in _activations_f32.py.

TFLM clamps in the input's quantization and ignores the output's; so does this.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._activations_f32 import lower_activation_f32
from tinyml_build.runtimes.aot.ops._unary import same_shape_io
from tinyml_build.runtimes.aot.quantization import DTYPE_RANGES, round_half_away

SUFFIX = {"int8": "s8", "int16": "s16"}


@register("RELU6")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_activation_f32}, here=tuple(SUFFIX)):
        return
    x, _ = same_shape_io(ctx, tuple(SUFFIX))
    scale, zero_point = ctx.quantization(x)
    lo, hi = DTYPE_RANGES[x.dtype]
    six = round_half_away(float(np.float32(6.0) / np.float32(scale))) + zero_point  # FloatToQuantizedType
    six = max(lo, min(hi, six))
    if x.elements == 0:
        return
    ctx.allow_in_place(ctx.output(0), x)  # element i read, then written
    ctx.call(f"tml_relu6_{SUFFIX[x.dtype]}", str(zero_point), str(six), ctx.input_ptr(0), ctx.output_ptr(0),
             str(x.elements), kernel="relu6")
