"""256-entry tables for int8 elementwise ops, computed with TFLM's exact integer arithmetic.

Why: an int8 input takes only 256 values, so running the reference kernel's arithmetic for
each of them on the host (in Python integers, with C's wrap-around and truncation rules)
yields a table that reproduces TFLM bit for bit; the target then does one lookup per element
(kernels/lut.c). Each function mirrors one TFLM kernel: its Prepare (the float/double scale
math) and its per-element Eval. Tables are indexed by the input's two's complement byte,
i.e. entry i is the output for input value (i if i < 128 else i - 256).
"""

import math

import numpy as np

from tinyml_build.runtimes.aot.quantization import (
    INT32_MAX,
    exp_on_negative_values,
    f32,
    mbqm,
    one_over_one_plus_x_for_x_in_0_1,
    quantize_multiplier,
    rdbpot,
    round_half_away,
    saturating_shl,
    srdhm,
    wrap_int32,
)

INPUTS = tuple(i if i < 128 else i - 256 for i in range(256))  # input value of each table entry


def _table(fn) -> np.ndarray:
    return np.array([max(-128, min(127, fn(q))) for q in INPUTS], dtype=np.int8)


# --- LOGISTIC / TANH (gemmlowp fixed point, 4 integer bits) -------------------------------------


def _input_scaling_q4(input_scale: float) -> tuple[int, int, int]:
    """Prepare of int8 LOGISTIC/TANH: multiplier, left shift and saturation radius for Q4.27 inputs."""
    multiplier_real = f32(input_scale) * float(1 << (31 - 4))
    q, left_shift = math.frexp(multiplier_real)
    multiplier = wrap_int32(round_half_away(q * (1 << 31)))  # TFLM does not renormalise q == 1 here
    radius = math.floor(((1 << 4) - 1) * float(1 << (31 - 4)) / math.ldexp(1.0, left_shift))
    return multiplier, left_shift, radius


def logistic_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    multiplier, left_shift, radius = _input_scaling_q4(input_scale)

    def one(q: int) -> int:
        x = q - input_zero_point
        if x <= -radius:
            return -128
        if x >= radius:
            return 127
        return rdbpot(_logistic_q0(mbqm(x, multiplier, left_shift), 4), 31 - 8) - 128

    return _table(one)


def tanh_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    multiplier, left_shift, radius = _input_scaling_q4(input_scale)

    def one(q: int) -> int:
        x = q - input_zero_point
        if x <= -radius:
            return -128
        if x >= radius:
            return 127
        return rdbpot(_tanh_q0(mbqm(x, multiplier, left_shift), 4), 31 - 7)

    return _table(one)


def _logistic_q0(a: int, integer_bits: int) -> int:
    """gemmlowp::logistic of a Q(integer_bits) value, result in Q0.31."""
    if a == 0:
        return 1 << 30
    magnitude = a if a > 0 else wrap_int32(-a)
    positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap_int32(-magnitude), integer_bits))
    return positive if a > 0 else wrap_int32(INT32_MAX - positive)


def _tanh_q0(a: int, integer_bits: int) -> int:
    """gemmlowp::tanh of a Q(integer_bits) value, result in Q0.31: (1 - e) / (1 + e), e = exp(-2|a|)."""
    if a == 0:
        return 0
    negative_magnitude = a if a < 0 else wrap_int32(-a)
    e = exp_on_negative_values(negative_magnitude, integer_bits + 1)  # ExactMulByPot<1>: 2|a|
    t = saturating_shl(wrap_int32(_reciprocal_q2(e) - (1 << 29)), 2)
    return wrap_int32(-t) if a < 0 else t


def _reciprocal_q2(e: int) -> int:
    """2 / (1 + e) in Q2.29 by gemmlowp's Newton-Raphson iteration (x in (0, 1), Q0.31)."""
    total = e + INT32_MAX  # RoundingHalfSum(e, 1.0)
    biased = total + (1 if total >= 0 else -1)
    half_denominator = abs(biased) >> 1 if biased >= 0 else -(abs(biased) >> 1)
    x = wrap_int32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap_int32((1 << 29) - srdhm(half_denominator, x))
        x = wrap_int32(x + saturating_shl(srdhm(x, one_minus), 2))
    return x


# --- RELU / LEAKY_RELU (requantize) -------------------------------------------------------------


def relu_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> np.ndarray:
    """TFLM ReluQuantized: requantize by float32(in/out) scale, clamp below at the output zero point."""
    multiplier, shift = quantize_multiplier(float(np.float32(input_scale) / np.float32(output_scale)))
    act_min = max(-128, output_zero_point)  # zero_point + roundf(0 / scale)
    return _table(lambda q: max(act_min, output_zero_point + mbqm(q - input_zero_point, multiplier, shift)))


def leaky_relu_params(input_scale: float, output_scale: float, alpha: float) -> dict:
    """TFLM CalculateOpDataLeakyRelu: float32 ratios, then QuantizeMultiplier (alpha may be negative)."""
    fi, fo = np.float32(input_scale), np.float32(output_scale)
    alpha_multiplier, alpha_shift = quantize_multiplier(float(fi * np.float32(alpha) / fo))
    identity_multiplier, identity_shift = quantize_multiplier(float(fi / fo))
    return {"identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
            "alpha_multiplier": abs(alpha_multiplier), "alpha_shift": alpha_shift,
            "alpha_negative": 1 if alpha_multiplier < 0 else 0}


def leaky_relu_value(x: int, p: dict, output_zero_point: int) -> int:
    """One element of TFLM QuantizeLeakyRelu, x already centred on the input zero point."""
    if x >= 0:
        return output_zero_point + mbqm(x, p["identity_multiplier"], p["identity_shift"])
    scaled = mbqm(x, p["alpha_multiplier"], p["alpha_shift"])
    return output_zero_point + (-scaled if p["alpha_negative"] else scaled)


def leaky_relu_table(input_scale, input_zero_point, output_scale, output_zero_point, alpha) -> np.ndarray:
    p = leaky_relu_params(input_scale, output_scale, alpha)
    return _table(lambda q: leaky_relu_value(q - input_zero_point, p, output_zero_point))


# --- HARD_SWISH (int16 fixed point) --------------------------------------------------------------


def hard_swish_table(input_scale, input_zero_point, output_scale, output_zero_point) -> np.ndarray:
    """TFLM HardSwishPrepare + reference_ops::HardSwish<int8_t>, in int16 arithmetic."""
    hires_input_scale = np.float32(1.0 / 128.0) * np.float32(input_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    out_m32, out_exp = quantize_multiplier(float(hires_input_scale / np.float32(output_scale)))
    relu_m32, relu_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    out_m16, relu_m16 = _downscale_multiplier(out_m32), _downscale_multiplier(relu_m32)
    if out_exp > 0:
        raise ValueError("HARD_SWISH output multiplier exponent > 0")

    def one(q: int) -> int:
        hires = _wrap16(_wrap16(q - input_zero_point) * 128)
        preshift_output_scale = _srdhm16(hires, out_m16)
        reluish = hires
        if relu_exp > 0:
            reluish = _sat_shl16(reluish, relu_exp - 1)
        reluish = _srdhm16(reluish, relu_m16)
        if relu_exp > 0:
            reluish = _sat_shl16(reluish, 1)
        if relu_exp < 0:
            reluish = _rdbpot16(reluish, -relu_exp)
        reluish = _wrap16((reluish + (1 << 15)) >> 1)
        value = _rdbpot16(_sdhm16(reluish, preshift_output_scale), -out_exp)
        return _wrap16(value + output_zero_point)

    return _table(one)


def _wrap16(x: int) -> int:
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _downscale_multiplier(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    return 32767 if m >= INT32_MAX - (1 << 15) else (m + (1 << 15)) >> 16


def _trunc_div(n: int, d: int) -> int:
    q = abs(n) // d
    return q if n >= 0 else -q


def _srdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    ab = a * b
    return _wrap16(_trunc_div(ab + ((1 << 14) if ab >= 0 else 1 - (1 << 14)), 1 << 15))


def _sdhm16(a: int, b: int) -> int:
    """TFLM SaturatingDoublingHighMul: like srdhm but truncating instead of rounding."""
    if a == b == -32768:
        return 32767
    return _wrap16(_trunc_div(a * b, 1 << 15))


def _sat_shl16(x: int, amount: int) -> int:
    return max(-32768, min(32767, x * (1 << amount)))


def _rdbpot16(x: int, exponent: int) -> int:
    """gemmlowp RoundingDivideByPOT on int16 (the mask is an int16, as in the template)."""
    mask = _wrap16((1 << exponent) - 1)
    remainder = _wrap16(x & mask)
    threshold = _wrap16((mask >> 1) + (1 if x < 0 else 0))
    return _wrap16((x >> exponent) + (1 if remainder > threshold else 0))
