"""MUL: int8 and int16, with broadcasting (kernels/mul.c); float32 in _binary_f32.py, int32 in _binary_s32.py.

Mirrors TFLM's CalculateOpDataMul: one multiplier for double(s1) * double(s2) / double(so).
int16 tensors need zero points of 0, as TFLM requires (checked in _binary.lower_binary).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._arithmetic import lower_arithmetic
from tinyml_build.runtimes.aot.quantization import quantize_multiplier


@register("MUL")
def lower(ctx) -> None:
    lower_arithmetic(ctx, "mul", _params)


def _params(ctx, in1, in2, out) -> dict:
    (s1, z1), (s2, z2), (so, zo) = in1, in2, out
    multiplier, shift = quantize_multiplier(s1 * s2 / so)
    return {"input1_offset": -z1, "input2_offset": -z2, "output_offset": zo,
            "output_multiplier": multiplier, "output_shift": shift}
