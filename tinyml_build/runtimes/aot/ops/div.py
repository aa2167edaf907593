"""DIV: float32, int32 and int8 with broadcasting (kernels/div.c), as TFLM's micro kernel (div.cc).

The fused activation clamps as CalculateActivationRange (float32: FLT_MAX-wide for NONE; int32:
the type's range; int8: CalculateActivationRangeQuantized). TFLM broadcasts in at most 5-D
(BroadcastDivSlow<5>), so different input shapes above rank 5 are refused.

int8 is TFLM's DivElementwise per element, with QuantizeMultiplier(float32(s1 / (s2 * s_out))).
Where its final rounding shift exceeds 31 bits -- small dividends (0 above all) over large divisors
when that multiplier is below 2^7 -- TFLM's RoundingDivideByPOT asserts (the pinned oracle aborts;
without asserts the shift is undefined); aot rounds the true quotient there (see kernels/div.c), and
`tflm_div_s8_defined` says which input pairs TFLM computes.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands
from tinyml_build.runtimes.aot.quantization import (
    DTYPE_RANGES,
    activation_range,
    float_activation_range,
    quantize_multiplier,
)

SUFFIX = {"int8": "s8", "int32": "s32", "float32": "f32"}
MAX_OUTPUT_SHIFT = 22  # beyond, TFLM's last shift turns left for some inputs (its DCHECK)
INT32_RANGES = {"RELU": (0, DTYPE_RANGES["int32"][1]), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}


def div_s8_multiplier(s1: float, s2: float, so: float) -> tuple[int, int]:
    """TFLM's CalculateOpDataDiv: QuantizeMultiplier(double(s1 / (s2 * s_out))), the ratio in float32."""
    return quantize_multiplier(float(np.float32(s1) / (np.float32(s2) * np.float32(so))))


def div_s8_params(ctx, q1, q2, qo, activation: str) -> dict:
    (s1, z1), (s2, z2), (so, zo) = q1, q2, qo
    multiplier, shift = div_s8_multiplier(s1, s2, so)
    if shift > MAX_OUTPUT_SHIFT:
        raise ctx.unsupported(f"the output multiplier s1 / (s2 * s_out) = {s1 / (s2 * so):g} is too large for "
                              "TFLM's int8 DIV (its rounding shift would turn left)")
    try:
        act_min, act_max = activation_range(activation, "int8", so, zo)
    except ValueError:
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    return {"input1_offset": -z1, "input2_offset": -z2, "output_offset": zo, "output_multiplier": multiplier,
            "output_shift": shift, "act_min": act_min, "act_max": act_max}


def tflm_div_s8_defined(dividend: int, divisor: int, output_shift: int) -> bool:
    """Whether TFLM's DivElementwise computes (dividend, divisor) -- both minus their zero points --
    without its RoundingDivideByPOT assert (a shift above 31 bits) or a zero divisor."""
    if divisor == 0:
        return False
    a = -dividend if divisor < 0 else dividend
    headroom = 31 if a == 0 else 32 - (a if a > 0 else ~a).bit_length() - 1
    return abs(divisor).bit_length() - 1 + headroom - output_shift <= 31


@register("DIV")
def lower(ctx) -> None:
    operands = broadcast_operands(ctx, SUFFIX)
    if operands is None:
        return
    out, in1, in2, loops = operands
    if list(in1.shape) != list(in2.shape) and max(len(in1.shape), len(in2.shape), len(out.shape)) > 5:
        raise ctx.unsupported("broadcasting above rank 5 (TFLM's DIV broadcasts in 5-D only)")
    activation = ctx.options.get("fused_activation_function", "NONE")
    if out.dtype == "int8":
        fields = div_s8_params(ctx, ctx.quantization(in1), ctx.quantization(in2), ctx.quantization(out), activation)
        shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
        ctx.call("tml_div_s8", ctx.params("tml_div_s8_params", fields), shape, ctx.input_ptr(0), ctx.input_ptr(1),
                 ctx.output_ptr(0), kernel="div")
        return
    try:
        if out.dtype == "float32":
            act_min, act_max = float_activation_range(activation)
        else:
            act_min, act_max = DTYPE_RANGES["int32"] if activation == "NONE" else INT32_RANGES[activation]
    except (KeyError, ValueError):
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    suffix = SUFFIX[out.dtype]
    params = ctx.params(f"tml_div_{suffix}_params", {"act_min": act_min, "act_max": act_max})
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    ctx.call(f"tml_div_{suffix}", params, shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0), kernel="div")
