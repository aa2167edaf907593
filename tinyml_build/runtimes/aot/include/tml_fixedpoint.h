/* tml_fixedpoint.h -- integer requantization arithmetic with TFLM's exact rounding.
 *
 * Why: the aot runtime must be bit-exact with TFLM's reference kernels, which scale int32
 * accumulators with gemmlowp's "double rounding" MultiplyByQuantizedMultiplier. These
 * helpers reproduce that arithmetic (round-half-away-from-zero doubling high multiply, then
 * round-half-away-from-zero right shift) without relying on signed-overflow behaviour the C
 * standard leaves undefined. Everything is static inline: kernels inline it into their
 * per-output epilogue.
 */
#ifndef TML_FIXEDPOINT_H
#define TML_FIXEDPOINT_H

#include <stdint.h>

#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* (a * b) / 2^31 rounded to nearest, ties toward +infinity; INT32_MIN * INT32_MIN saturates.
 * gemmlowp writes this as (ab + nudge) / 2^31 with a sign-dependent nudge and a truncating
 * division; for every product that equals floor((ab + 2^30) / 2^31), a single arithmetic shift
 * (>> of a negative int64 is arithmetic on every compiler this runtime supports). */
static inline int32_t tml_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t tml_rounding_divide_by_power_of_two(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((1u << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)x >> 31);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x << shift with two's complement wrap-around (what TFLM's x * (1 << shift) does in practice). */
static inline int32_t tml_wrapping_shift_left(int32_t x, int shift) {
  return (int32_t)((uint32_t)x << shift);
}

/* TFLM MultiplyByQuantizedMultiplier(int32 x, multiplier, shift): shift > 0 scales up first.
 * multiplier >= 0, as QuantizeMultiplier always produces, so the doubling high multiply never
 * meets its only saturating case (INT32_MIN * INT32_MIN) and is one 64-bit multiply-add. */
static inline int32_t tml_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? (int)shift : 0;
  const int right = shift > 0 ? 0 : (int)-shift;
  const int64_t product = (int64_t)tml_wrapping_shift_left(x, left) * multiplier;
  const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
  return tml_rounding_divide_by_power_of_two(high, right);
}

/* tml_multiply_by_quantized_multiplier(x, multiplier, shift) + offset, with the shift passed as
 * rshift = -2 - shift (quantization.py: requant_rshift). Same bits, fewer instructions:
 * per-channel output stages (tml_requant.h) run it once per output value.
 * For shift <= -2 (rshift >= 0; every channel of ordinary layers) TFLM computes
 *   h = floor((x*m + 2^30) / 2^31), out = floor((h + 2^(r-1) - [h < 0]) / 2^r), r = -shift.
 * Nesting the floors gives out = floor((x*m + 2^30 + 2^(30+r) - [h < 0] * 2^31) / 2^(31+r)); [h < 0]
 * may be replaced by [x < 0] (they differ only for -2^30 <= x*m < 0, where both numerators lie in
 * [0, 2^(31+r))), and as 2^(30+r) is a multiple of 2^32 for r >= 2 the division splits into
 * H = (x*m + (x < 0 ? -2^30 : 2^30)) >> 32 (tml_requant_high; |H| <= 2^30, nothing overflows) and
 * out = (H + 2^(r-2)) >> (r-1) = ((H >> (r-2)) + 1) >> 1. That is one 64-bit multiply-accumulate
 * and three shifts/adds instead of two roundings; other shifts take
 * tml_multiply_by_quantized_multiplier. */
static inline int32_t tml_requant_high(int32_t x, int32_t multiplier) {
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
  /* hi:lo = x < 0 ? -2^30 : 2^30 in two instructions (compilers spend three), then SMLAL. */
  int32_t lo, hi;
  __asm__("asr %1, %2, #31\n\t"
          "orr %0, %3, %1, lsl #31\n\t"
          "smlal %0, %1, %2, %4"
          : "=&r"(lo), "=&r"(hi)
          : "r"(x), "r"(0x40000000), "r"(multiplier));
  (void)lo;
  return hi;
#else
  const int64_t half = (int32_t)((x & INT32_MIN) | 0x40000000); /* x < 0 ? -2^30 : 2^30 */
  return (int32_t)(((int64_t)x * multiplier + half) >> 32);
#endif
}

/* tml_requant for rshift >= 0 only: loops that choose the form once per call use it directly. */
static inline int32_t tml_requant_short(int32_t x, int32_t multiplier, int32_t rshift, int32_t offset) {
  return ((tml_requant_high(x, multiplier) >> rshift) + 1 + 2 * offset) >> 1;
}

static inline int32_t tml_requant(int32_t x, int32_t multiplier, int32_t rshift, int32_t offset) {
  if (rshift >= 0) {
    return tml_requant_short(x, multiplier, rshift, offset);
  }
  return tml_multiply_by_quantized_multiplier(x, multiplier, -2 - (int)rshift) + offset;
}

/* TFLM MultiplyByQuantizedMultiplierSmallerThanOneExp (multiplier >= 0, shift <= 0), with the
 * right shift passed as right_shift = -shift >= 0: no left-shift step, for kernels whose
 * multipliers are all below one (ADD/SUB input and output scaling). */
static inline int32_t tml_multiply_by_quantized_multiplier_smaller_than_one(int32_t x, int32_t multiplier,
                                                                            int right_shift) {
  const int32_t high = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
  return tml_rounding_divide_by_power_of_two(high, right_shift);
}

/* tml_rounding_divide_by_power_of_two for -2^30 <= x < 2^30 (x + 2^(exponent-1) cannot overflow):
 * half away from zero as (x + 2^(exponent-1) - [x < 0 and exponent > 0]) >> exponent, which takes
 * four instructions per call in a loop where TFLM's remainder-and-threshold form takes six. Equal to
 * it on that whole domain for every exponent 0..31 (checked exhaustively near 0, the ends and every
 * tie, and on 10^8 random values, when it was written). */
static inline int32_t tml_rounding_divide_by_power_of_two_31bit(int32_t x, int exponent) {
  const int32_t half = (int32_t)((1u << exponent) >> 1);
  const int32_t negative_fix = (x >> 31) & -(int32_t)(exponent > 0);
  return (x + half + negative_fix) >> exponent;
}

/* tml_multiply_by_quantized_multiplier_smaller_than_one for a 31-bit x, -2^30 <= x < 2^30 (e.g.
 * ADD/SUB operands after their left shift). Then 2x fits in int32 and
 * floor((x * m + 2^30) / 2^31) = floor((2x * m + 2^31) / 2^32), which is one SMMULR (most
 * significant word of the product, rounded) on cores with the DSP extension. That high word is
 * within +-2^29 (m < 2^31), so its rounding division takes the short form. */
static inline int32_t tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(int32_t x, int32_t multiplier,
                                                                                  int right_shift) {
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
  int32_t high;
  __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(x * 2), "r"(multiplier));
#else
  const int32_t high = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
#endif
  return tml_rounding_divide_by_power_of_two_31bit(high, right_shift);
}

/* TFLM MultiplyByQuantizedMultiplier(int64 x, ...): the 16-bit-activation variant. */
static inline int32_t tml_multiply_by_quantized_multiplier_i64(int64_t x, int32_t multiplier, int32_t shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - (int)shift;
  const int64_t rounded = x * (int64_t)reduced + ((int64_t)1 << (total_shift - 1));
  return (int32_t)(rounded >> total_shift);
}

static inline int32_t tml_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* x saturated to int16: one SSAT where the core has it (Armv7-M and up), else two compares. */
static inline int16_t tml_saturate_s16(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return (int16_t)__ssat(x, 16);
#else
  return (int16_t)tml_clamp_i32(x, INT16_MIN, INT16_MAX);
#endif
}

/* std::round for float (half away from zero) without libm; |x| < 2^31 assumed. */
static inline int32_t tml_round_f32(float x) {
  const int32_t t = (int32_t)x;    /* truncates toward zero */
  const float frac = x - (float)t; /* exact for |x| < 2^24; 0 above, where x is integral */
  if (frac >= 0.5f) {
    return t + 1;
  }
  if (frac <= -0.5f) {
    return t - 1;
  }
  return t;
}

/* Leading zero bits of a 32-bit value (32 for 0). */
static inline int tml_clz32(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return x == 0u ? 32 : __builtin_clz(x);
#else
  int n = 0;
  if (x == 0u) {
    return 32;
  }
  while ((x & 0x80000000u) == 0u) {
    x <<= 1;
    ++n;
  }
  return n;
#endif
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for 0 < exponent < 31: saturating x << exponent. */
static inline int32_t tml_saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return tml_wrapping_shift_left(x, exponent);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0.31 in and out. */
static inline int32_t tml_one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX; /* RoundingHalfSum(a, 1.0) */
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t one_q2 = 1 << 29; /* 1.0 in Q2.29 */
  /* x = 48/17 - 32/17 d, the Newton-Raphson start */
  int32_t x = (int32_t)((uint32_t)1515870810 +
                        (uint32_t)tml_saturating_rounding_doubling_high_mul(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tml_saturating_rounding_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = (int32_t)((uint32_t)one_q2 - (uint32_t)half_denominator_times_x);
    const int32_t correction = tml_saturating_shift_left(tml_saturating_rounding_doubling_high_mul(x, one_minus), 2);
    x = (int32_t)((uint32_t)x + (uint32_t)correction);
  }
  return tml_saturating_shift_left(x, 1);
}

/* ---- Math ops (L2_NORMALIZATION) ---------------------------------------------------------- */

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for -31 <= exponent < 31, either sign. */
static inline int32_t tml_rounding_multiply_by_pot(int32_t x, int exponent) {
  return exponent > 0 ? tml_saturating_shift_left(x, exponent) : tml_rounding_divide_by_power_of_two(x, -exponent);
}

/* TFLM's GetInvSqrtQuantizedMultiplierExp(input, kReverseShift, ...): 1 / sqrt(input) as a Q0.31
 * multiplier and a left shift (<= 0), five Newton-Raphson steps in gemmlowp Q3 fixed point
 * (quantization.py: inv_sqrt_multiplier_exp is its Python twin). input >= 0; 0 and 1 give
 * (INT32_MAX, 0) as in TFLM. */
static inline int32_t tml_inv_sqrt_multiplier_exp(int32_t input, int32_t *shift_out) {
  int32_t shift = 11;
  int32_t half_input, x;
  int pairs, i;
  if (input <= 1) {
    *shift_out = 0;
    return INT32_MAX;
  }
  while (input >= (1 << 29)) {
    input /= 4;
    ++shift;
  }
  pairs = (tml_clz32((uint32_t)input) - 1) / 2 - 1;
  shift -= pairs;
  input = tml_wrapping_shift_left(input, 2 * pairs);
  half_input = tml_rounding_divide_by_power_of_two(input >> 1, 1);
  x = 1 << 28; /* 1.0 in Q3.28 */
  for (i = 0; i < 5; ++i) {
    const int32_t x3 = tml_rounding_multiply_by_pot(
        tml_saturating_rounding_doubling_high_mul(tml_saturating_rounding_doubling_high_mul(x, x), x), 6);
    const int32_t difference = (int32_t)((uint32_t)tml_saturating_rounding_doubling_high_mul((1 << 28) + (1 << 27), x) -
                                         (uint32_t)tml_saturating_rounding_doubling_high_mul(half_input, x3));
    x = tml_rounding_multiply_by_pot(difference, 3);
  }
  x = tml_saturating_rounding_doubling_high_mul(x, 1518500250); /* * sqrt(2) / 2 */
  if (shift < 0) {
    x = tml_wrapping_shift_left(x, (int)-shift);
    shift = 0;
  }
  *shift_out = -shift;
  return x;
}

#ifdef __cplusplus
}
#endif

#endif /* TML_FIXEDPOINT_H */
