"""Host-side quantization math, reproducing TFLM's Prepare-time computations bit for bit.

Why: the aot runtime computes every requantization parameter at build time, in Python, so
the firmware never touches floating point in integer paths. To stay bit-exact with the
tflite-micro interpreter, each function here mirrors the float/double precision and the
rounding of the TFLM code it replaces (QuantizeMultiplier, activation ranges, padding,
softmax scaling). The integer primitives (srdhm, rdbpot, mbqm) are the Python twins of
tml_fixedpoint.h; tests and the softmax table generator use them.
"""

import math
from dataclasses import dataclass

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

DTYPE_RANGES = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "int32": (INT32_MIN, INT32_MAX),
}


def round_half_away(x: float) -> int:
    """std::round: halves go away from zero (Python's round() goes to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def wrap_int32(x: int) -> int:
    """Two's complement int32 wrap-around."""
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLM QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def f32(x) -> float:
    """Round a Python float to float32 precision (TFLM keeps tensor scales as float)."""
    return float(np.float32(x))


def per_channel_multipliers(input_scale: float, filter_scales, output_scale: float,
                            channels: int) -> tuple[list[int], list[int]]:
    """PopulateConvolutionQuantizationParams: double(in) * double(filter[c]) / double(out) per channel.

    A per-tensor filter scale is broadcast over `channels`, as TFLM's conv and depthwise do.
    """
    scales = list(filter_scales) if len(filter_scales) > 1 else [filter_scales[0]] * channels
    pairs = [quantize_multiplier(f32(input_scale) * f32(s) / f32(output_scale)) for s in scales]
    return [m for m, _ in pairs], [s for _, s in pairs]


def per_tensor_fc_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """GetQuantizedConvolutionMultipler: the input*filter product is taken in float32, then double."""
    product = f32(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / f32(output_scale))


class QuantizationRangeError(ValueError):
    """A Prepare-time quantization TFLM refuses (lower_model reports it as the op's UnsupportedOpError)."""


def quantize_value(real: float, scale: float, zero_point: int) -> int:
    """TFLM's Quantize() helper (kernels/kernel_util.cc): round(float32(real) / float32(scale)) +
    zero_point; like TFLM, refuses a quotient outside int32 (a model TFLM does not prepare must
    not build for aot either)."""
    quotient = round_half_away(float(np.float32(real) / np.float32(scale)))
    if not float(np.float32(INT32_MIN)) <= float(np.float32(quotient)) <= float(np.float32(INT32_MAX)):
        raise QuantizationRangeError(f"{real} at output scale {scale} is {quotient} steps from the zero point, "
                                     "outside int32 (TFLM's CalculateActivationRangeQuantized refuses it)")
    return zero_point + quotient


def activation_range(activation: str, dtype: str, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation's clamp bounds in the output's units."""
    qmin, qmax = DTYPE_RANGES[dtype]
    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize_value(0.0, scale, zero_point)), qmax
    if activation == "RELU6":
        return max(qmin, quantize_value(0.0, scale, zero_point)), min(qmax, quantize_value(6.0, scale, zero_point))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize_value(-1.0, scale, zero_point)), min(qmax, quantize_value(1.0, scale, zero_point))
    raise ValueError(f"fused activation {activation} has no quantized range")


FLOAT_LOWEST = -float(np.finfo(np.float32).max)
FLOAT_MAX = float(np.finfo(np.float32).max)


def float_activation_range(activation: str) -> tuple[float, float]:
    """CalculateActivationRange for float kernels."""
    ranges = {
        "NONE": (FLOAT_LOWEST, FLOAT_MAX),
        "RELU": (0.0, FLOAT_MAX),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }
    if activation not in ranges:
        raise ValueError(f"fused activation {activation} has no float range")
    return ranges[activation]


@dataclass(frozen=True)
class Padding:
    before: int  # rows/columns of padding before the first input element (TFLM's padding value)
    after: int  # rows/columns after the last one (before + offset in TFLM terms)
    out_size: int


def compute_padding(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> Padding:
    """ComputePaddingHeightWidth for one dimension: TFLM's output size and its leading padding."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        out = (in_size + stride - effective) // stride
    else:
        raise ValueError(f"padding {padding!r}")
    total = max(0, (out - 1) * stride + effective - in_size)
    return Padding(before=total // 2, after=total - total // 2, out_size=out)


# --- gemmlowp fixed-point primitives (int32), twins of tml_fixedpoint.h -------------------------


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul."""
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    total = ab + nudge
    # C integer division truncates toward zero.
    quotient = abs(total) >> 31
    return wrap_int32(quotient if total >= 0 else -quotient)


def rdbpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT: x / 2^exponent, rounding half away from zero."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (int32 accumulator, double rounding)."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rdbpot(srdhm(wrap_int32(x << left), multiplier), right)


def requant_rshift(shift: int) -> int:
    """The shift as tml_requant takes it: rshift = -2 - shift, >= 0 selects its fast form."""
    return -2 - shift


def requant(x: int, multiplier: int, rshift: int, offset: int) -> int:
    """Twin of tml_requant: mbqm(x, multiplier, -2 - rshift) + offset, computed the way the C does."""
    if rshift >= 0:
        high = (x * multiplier + (-(1 << 30) if x < 0 else 1 << 30)) >> 32
        return ((high >> rshift) + 1 + 2 * offset) >> 1
    return mbqm(x, multiplier, -2 - rshift) + offset


def saturating_shl(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return wrap_int32(x << exponent)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    constant_term = 1895147668  # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))  # a + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbpot(x4, 2)
    poly = rdbpot(wrap_int32(srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), 1)
    return wrap_int32(constant_term + srdhm(constant_term, wrap_int32(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    """gemmlowp exp_on_negative_values: a is Q(integer_bits).(31-integer_bits) <= 0; result Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap_int32((a & mask) - one_quarter)
    shifted = (saturating_shl(a_mod_quarter_minus_one_quarter, integer_bits) if integer_bits > 0
               else a_mod_quarter_minus_one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(shifted)
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            if remainder & (1 << (fractional_bits + exponent)):
                result = srdhm(result, multiplier)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        if a < clamp:
            result = 0
    if a == 0:
        result = INT32_MAX
    return result


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    """gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out), by Newton-Raphson."""
    total = a + INT32_MAX  # RoundingHalfSum(a, 1.0): (a + b + sign) / 2, truncating division
    biased = total + (1 if total >= 0 else -1)
    half_denominator = abs(biased) >> 1 if biased >= 0 else -(abs(biased) >> 1)
    x = wrap_int32(1515870810 + srdhm(half_denominator, -1010580540))  # 48/17 - 32/17 * d, Q2.29
    one_q2 = 1 << 29
    for _ in range(3):
        half_denominator_times_x = srdhm(half_denominator, x)
        one_minus = wrap_int32(one_q2 - half_denominator_times_x)
        x = wrap_int32(x + saturating_shl(srdhm(x, one_minus), 2))
    return saturating_shl(x, 1)


def get_reciprocal(x: int, x_integer_digits: int) -> tuple[int, int]:
    """TFLM GetReciprocal: (Q0.31 reciprocal of x scaled into [0.5, 1), num_bits_over_unit)."""
    headroom_plus_one = 32 - x.bit_length() if x > 0 else (0 if x < 0 else 32)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = wrap_int32(((x & 0xFFFFFFFF) << headroom_plus_one) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


# --- softmax -----------------------------------------------------------------------------------

SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
SOFTMAX_ACCUMULATION_INTEGER_BITS = 12


def preprocess_softmax_scaling(beta: float, input_scale: float, input_integer_bits: int) -> tuple[int, int]:
    """PreprocessSoftmaxScaling (double rounding build): multiplier and left shift for input diffs."""
    real = min(f32(beta) * f32(input_scale) * (1 << (31 - input_integer_bits)), float((1 << 31) - 1))
    multiplier, shift = quantize_multiplier(real)
    if shift < 0:
        raise ValueError("softmax input scaling below one")
    return multiplier, shift


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """CalculateInputRadius: the largest input diff that does not saturate the exp input."""
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1) * (1 << (total_signed_bits - input_integer_bits))
                          / (1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


def softmax_exp_table(beta: float, input_scale: float) -> list[int]:
    """exp(scaled diff) in Q0.31 for input diffs 0, -1, ..., -255 (int8 inputs), TFLM semantics.

    Diffs below TFLM's diff_min are skipped by the reference kernel; a 0 entry has exactly the
    same effect (adds nothing to the sum, outputs the type's minimum).
    """
    multiplier, left_shift = preprocess_softmax_scaling(beta, input_scale, SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SOFTMAX_SCALED_DIFF_INTEGER_BITS, left_shift)
    table = []
    for d in range(256):
        diff = -d
        if diff < diff_min:
            table.append(0)
            continue
        scaled = srdhm(wrap_int32(diff << left_shift), multiplier)
        table.append(exp_on_negative_values(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS))
    return table


def softmax_int8_reference(values, exp_table: list[int], out_dtype: str) -> list[int]:
    """The int8-input quantized softmax of one row, as TFLM computes it (for tests)."""
    out_min, out_max = DTYPE_RANGES[out_dtype]
    out_bits = 8 if out_dtype == "int8" else 16
    row_max = max(values)
    sum_of_exps = 0
    for v in values:
        sum_of_exps = wrap_int32(sum_of_exps + rdbpot(exp_table[row_max - v], SOFTMAX_ACCUMULATION_INTEGER_BITS))
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, SOFTMAX_ACCUMULATION_INTEGER_BITS)
    exponent = num_bits_over_unit + 31 - out_bits
    result = []
    for v in values:
        unsat = rdbpot(srdhm(shifted_scale, exp_table[row_max - v]), exponent)
        result.append(max(out_min, min(out_max, unsat + out_min)))
    return result
