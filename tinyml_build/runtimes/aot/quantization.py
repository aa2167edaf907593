"""Host-side quantization math, reproducing TFLM's Prepare-time computations bit for bit.

Why: the aot runtime computes every requantization parameter at build time, in Python, so
the firmware never touches floating point in integer paths. To stay bit-exact with the
tflite-micro interpreter, each function here mirrors the float/double precision and the
rounding of the TFLM code it replaces (QuantizeMultiplier, activation ranges, padding,
softmax scaling). The integer primitives (srdhm, rdbpot, mbqm) are the Python twins of
tml_fixedpoint.h; tests and the softmax table generator use them.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np

from tinyml_build.errors import ModelError

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


# MultiplyByQuantizedMultiplier(int64 x, ...) (16x8 kernels) rounds with 1 << (15 - shift - 1): TFLM
# asserts shift < 8, and from shift 16 on the shift count is negative (undefined in C and C++). Up to 15
# its release build computes a value, which aot reproduces; above, aot refuses the op.
I64_REQUANT_MAX_SHIFT = 15


def i64_requant_problem(shifts) -> str | None:
    """Why a 16x8 op's 64-bit requantization cannot take these shifts, or None when it can."""
    if max(shifts) <= I64_REQUANT_MAX_SHIFT:
        return None
    return (f"output multiplier (input * weight / output scale) of {2.0 ** (max(shifts) - 1):g} or more "
            "is beyond TFLM's 64-bit requantization (it asserts shift < 8)")


def quantize_value(real: float, scale: float, zero_point: int) -> int:
    """TFLM's Quantize() helper: round(float32(real) / float32(scale)) + zero_point."""
    return zero_point + round_half_away(float(np.float32(real) / np.float32(scale)))


class ActivationBoundError(ModelError):
    """A fused activation bound TFLM's Prepare cannot quantize (it refuses the model; so must aot)."""


def _activation_bound(activation: str, real: float, scale: float, zero_point: int) -> int:
    """kernel_util.cc Quantize(): round(float32(real) / float32(scale)) must lie within int32's float
    range, or TFLM's CalculateActivationRangeQuantized fails and the interpreter does not start.
    (TFLM admits exactly 2^31, which its int32 conversion cannot hold; refused here too.)"""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        q = np.float32(real) / np.float32(scale)
    if not np.isfinite(q) or not INT32_MIN <= round_half_away(float(q)) <= INT32_MAX:
        raise ActivationBoundError(
            f"fused activation {activation}: bound {real:g} / output scale {float(np.float32(scale)):g} does not fit "
            "int32, so TFLM refuses the model (CalculateActivationRangeQuantized)",
            fix="re-quantize the model: an output scale this small cannot represent the activation's range")
    return zero_point + round_half_away(float(q))


def activation_range(activation: str, dtype: str, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation's clamp bounds in the output's units;
    ActivationBoundError where TFLM's Prepare fails (a bound beyond int32)."""
    qmin, qmax = DTYPE_RANGES[dtype]

    def bound(real: float) -> int:
        return _activation_bound(activation, real, scale, zero_point)

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, bound(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, bound(0.0)), min(qmax, bound(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, bound(-1.0)), min(qmax, bound(1.0))
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


# --- Math ops (RSQRT, ELU, ...): Prepare-time and table math ------------------------------------


def _rounding_pot(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on an int32 raw value (either sign)."""
    return saturating_shl(x, exponent) if exponent > 0 else rdbpot(x, -exponent)


def inv_sqrt_multiplier_exp(value: int, reverse_shift: int = -1) -> tuple[int, int]:
    """TFLM's GetInvSqrtQuantizedMultiplierExp (common.h): 1/sqrt(value) as (multiplier, shift) by
    five Newton-Raphson steps in gemmlowp Q3 fixed point; kReverseShift (-1) turns the shift left."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    left_shift_bit_pairs = (32 - value.bit_length() - 1) // 2 - 1
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    half_input = rdbpot(value >> 1, 1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28  # F3::One()
    for _ in range(5):
        x3 = _rounding_pot(srdhm(srdhm(x, x), x), 6)  # F9 -> F3
        x = _rounding_pot(wrap_int32(srdhm(half_three, x) - srdhm(half_input, x3)), 3)  # F6 -> F3
    x = srdhm(x, 1518500250)  # * sqrt(2)/2 in Q0
    if shift < 0:
        x = wrap_int32(x << -shift)
        shift = 0
    return x, shift * reverse_shift


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLM's CheckedLog2 in float32: (|log2(x) - round| < 1e-3, round(log2(x))). logf is taken as
    float32(log(x)); a last-ulp difference from a libm could only matter for a scale within an ulp of
    2^(k +- 0.001), where TFLM's own answer depends on its libm."""
    log2 = np.float32(np.float32(math.log(np.float32(x))) * np.float32(np.float32(1.0) / np.float32(math.log(2.0))))
    rounded = round_half_away(float(log2))
    return bool(abs(float(np.float32(log2 - np.float32(rounded)))) < float(np.float32(1e-3))), rounded


def sigmoid16_input_scaling(input_scale: float, pot_shifts: tuple[int, ...]) -> tuple[int, int] | None:
    """(input_multiplier, input_left_shift) of TFLM's int16 LOGISTIC/TANH Prepare (logistic_common.cc,
    tanh.cc), already resolved the way their Eval resolves a multiplier of 0: a power-of-two scale
    whose left shift 12 + log2(scale) is in `pot_shifts` (LOGISTIC: 0; TANH: 0 or 1) gives
    (3 << shift, 0); any other scale * 3 * 4096 is doubled while <= 32767 / 2 (at most 31 times) and
    truncated. None when the multiplier exceeds 32767 (TFLM only DCHECKs it; the product could overflow)."""
    is_pot, log2 = checked_log2(input_scale)
    left_shift = 12 + log2
    if is_pot and left_shift in pot_shifts:
        return 3 << left_shift, 0
    multiplier = float(np.float32(input_scale)) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    multiplier = int(multiplier)
    return (multiplier, left_shift) if multiplier <= 32767 else None


@functools.cache
def _libm_float_function(name: str):
    """The C library's float function `name` (e.g. expf) through ctypes, or None where none loads."""
    import ctypes
    import ctypes.util

    path = ctypes.util.find_library("m")
    try:
        function = getattr(ctypes.CDLL(path), name)
    except (OSError, AttributeError, TypeError):
        return None
    function.restype, function.argtypes = ctypes.c_float, [ctypes.c_float]
    return function


def host_expf(x) -> np.float32:
    """std::exp(float) as TFLM's host build computes it: the build machine's libm expf (np.exp in float32
    where no libm loads). Prepare-time tables use it; on a target TFLM's Prepare calls its own libm."""
    function = _libm_float_function("expf")
    return np.float32(function(float(x))) if function else np.exp(np.float32(x))


def elu_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> list[int]:
    """TFLM's int8 ELU table (elu.cc PopulateLookupTable), float32 throughout: dequantize, exp(x) - 1
    below zero, times 1 / s_out, roundf, + zero point (truncated), clamped; indexed by input byte."""
    inverse_scale = np.float32(1.0) / np.float32(out_scale)
    table = [0] * 256
    for value in range(-128, 128):
        x = np.float32(in_scale) * np.float32(value - in_zp)
        y = host_expf(x) - np.float32(1.0) if x < 0 else x
        rescaled = round_half_away(float(np.float32(y * inverse_scale)))
        quantized = int(np.float32(rescaled) + np.float32(out_zp))
        table[value & 0xFF] = max(-128, min(127, quantized))
    return table


# --- int16 SOFTMAX (issue 12 §2): TFLM's LUTPopulate<int16_t> and its Prepare scaling ------------
#
# TFLM's int16 softmax reads two 513-entry tables built at Prepare with float32 arithmetic
# (kernels/internal/common.h LUTPopulateInt16): exp on [-10, 0] and 1 / (1 + x) on [0, 1]. They
# depend on no model parameter, so they are computed here once, operation for operation in float32,
# with the build machine's expf (host_expf), as TFLM's host build computes them.

INT16_LUT_STEPS = 512  # LUTPopulateInt16's nb_steps; the table has one more entry


def _roundf(x: np.float32) -> np.float32:
    """TfLiteRound(float): std::round, half away from zero (exact: float32 + 0.5 is exact in double)."""
    v = float(x)
    return np.float32(math.copysign(math.floor(abs(v) + 0.5), v))


def lut_populate_int16(input_scale: np.float32, input_zero_point: int, output_scale: np.float32,
                       output_zero_point: int, transform) -> list[int]:
    """LUTPopulateInt16<float>: 513 int16 values of `transform` (float32 -> float32), each sample
    biased by half the interpolation error at its segment's midpoint."""
    f = np.float32
    with np.errstate(over="ignore"):
        input_min = f(input_scale * f(-32768 - input_zero_point))
        input_max = f(input_scale * f(32767 - input_zero_point))
        output_min = f(output_scale * f(-32768 - output_zero_point))
        output_max = f(output_scale * f(32767 - output_zero_point))
        step = f(f(input_max - input_min) / f(INT16_LUT_STEPS))
        half_step = f(step / f(2))
        scaling_inv = f(f(65536) / f(output_max - output_min))
        table = []
        for i in range(INT16_LUT_STEPS):
            start = f(input_min + f(f(i) * step))
            val = transform(start)
            val_midpoint = transform(f(start + half_step))
            val_next = transform(f(input_min + f(f(i + 1) * step)))
            sample_val = _roundf(f(val * scaling_inv))
            midpoint_interp_val = _roundf(f(f(f(val_next * scaling_inv) + sample_val) / f(2)))
            midpoint_val = _roundf(f(val_midpoint * scaling_inv))
            bias = _roundf(f(f(midpoint_interp_val - midpoint_val) / f(2)))
            table.append(int(min(max(float(f(sample_val - bias)), -32768.0), 32767.0)))
        table.append(int(min(max(float(_roundf(f(transform(input_max) * scaling_inv))), -32768.0), 32767.0)))
    return table


def softmax_int16_tables() -> tuple[list[int], list[int]]:
    """(exp LUT, 1 / (1 + x) LUT) of TFLM's InitializeLutForInt16 (softmax_common.cc)."""
    f = np.float32
    span = f(65535)  # int16 max - min
    exp_lut = lut_populate_int16(f(f(10.0) / span), 32767, f(f(2.0) / span), 0, host_expf)
    reciprocal_lut = lut_populate_int16(f(f(1.0) / span), -32768, f(f(2.0) / span), 0,
                                        lambda x: f(f(1.0) / f(f(1.0) + x)))
    return exp_lut, reciprocal_lut


def softmax_int16_input_multiplier(input_scale: float, beta: float) -> tuple[int, int]:
    """CalculateSoftmaxParams for int16 input: QuantizeMultiplier(double(scale) * double(beta) / (10 / 65535)),
    scale and beta being float32 in TFLM."""
    return quantize_multiplier(f32(input_scale) * f32(beta) / (10.0 / 65535.0))
