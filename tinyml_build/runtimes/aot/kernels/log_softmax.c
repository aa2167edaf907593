/* log_softmax.c -- int8 LOG_SOFTMAX over the last dimension, bit-exact with TFLM's
 * reference_ops::LogSoftmaxQuantized (float32 is in log_softmax_f32.c: it needs libm, this file
 * does not, so int8 models build with toolchains that have no C math library).
 *
 * int8, per row: the sum of exp(diff) in Q12 (a build-time table per diff = x - max, 0 below
 * diff_min), its log in Q5 (log_q12_to_q5, below), then each
 * diff rescaled to Q5 minus the log, rounded to the output's Q4 (scale 16/256) + 127, or -128 below
 * the reach of the reverse-scaled log.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* gemmlowp RoundingHalfSum on int32: (a + b + sign) / 2 in 64 bits, truncating. */
static inline int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

static inline int32_t saturating_add(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + b;
  return sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
}

static inline int32_t saturating_sub(int32_t a, int32_t b) {
  const int64_t difference = (int64_t)a - b;
  return difference > INT32_MAX ? INT32_MAX : (difference < INT32_MIN ? INT32_MIN : (int32_t)difference);
}

static inline int32_t wrapping_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* log(x) for x >= 1 in Q12.19, returned in Q5.26, with the same rounding at every step as TFLM's
 * log_x_for_x_greater_than_or_equal_to_1_impl<5, 12> (kernels/internal/common.h), whose Q0.31
 * constants it uses: log 2, 2^-1/4, 2^-1/2, 1/4 and the rational approximation's coefficients.
 * x = m * 2^e is split two ways (m from x's own leading zeros, and from x * 2^-1/2); the smaller
 * mantissa, in [2^-1/2, 2^1/2), and the larger exponent (Q6, +-1/4 for the split) are kept.
 * With d = 2 (m - 2^-1/4) and mid = (m + 2^-1/4) / 2, log(m) ~ (d m + c_n d^3) /
 * (1 + mid (c_1 + d + c_d d^2) + c_l d), added to e * log 2. */
static inline int32_t log_q12_to_q5(int32_t x) {
  const int32_t log_2 = 1488522236, two_pow_minus_quarter = 1805811301, two_pow_minus_half = 1518500250;
  const int32_t coef_numerator = 117049297, coef_denominator = 127690142;
  const int32_t coef_one = 1057819769, coef_linear = 638450708;
  const int32_t quarter_q6 = 536870912 >> 6; /* 1/4 in Q6.25, exact */
  /* split a: x shifted to [2^30, 2^31), times 2^-1/2, doubled */
  const int leading_zeros = tml_clz32((uint32_t)x);
  const int32_t normalized = tml_saturating_shift_left(x, leading_zeros - 1);
  const int32_t mantissa_a =
      tml_saturating_shift_left(tml_saturating_rounding_doubling_high_mul(normalized, two_pow_minus_half), 1);
  const int32_t exponent_a = saturating_add(tml_saturating_shift_left(12 - leading_zeros, 31 - 6), quarter_q6);
  /* split b: x shifted by the headroom of x * 2^-1/2 */
  const int headroom_b = tml_clz32((uint32_t)tml_saturating_rounding_doubling_high_mul(x, two_pow_minus_half)) - 1;
  const int32_t mantissa_b = tml_saturating_shift_left(x, headroom_b);
  const int32_t exponent_b = saturating_sub(tml_saturating_shift_left(12 - headroom_b, 31 - 6), quarter_q6);
  const int32_t mantissa = mantissa_a < mantissa_b ? mantissa_a : mantissa_b;
  const int32_t exponent = exponent_a > exponent_b ? exponent_a : exponent_b;
  /* rational approximation of log(mantissa) around 2^-1/4 */
  const int32_t midpoint = rounding_half_sum(mantissa, two_pow_minus_quarter);
  const int32_t half_delta = (int32_t)((uint32_t)mantissa - (uint32_t)two_pow_minus_quarter);
  const int32_t delta = wrapping_add(half_delta, half_delta);
  const int32_t delta_sq = tml_saturating_rounding_doubling_high_mul(delta, delta);
  const int32_t numerator =
      wrapping_add(tml_saturating_rounding_doubling_high_mul(delta, mantissa),
                   tml_saturating_rounding_doubling_high_mul(tml_saturating_rounding_doubling_high_mul(delta, delta_sq),
                                                             coef_numerator));
  const int32_t denominator_tail = wrapping_add(wrapping_add(coef_one, delta),
                                                tml_saturating_rounding_doubling_high_mul(coef_denominator, delta_sq));
  const int32_t denominator_minus_one =
      wrapping_add(tml_saturating_rounding_doubling_high_mul(midpoint, denominator_tail),
                   tml_saturating_rounding_doubling_high_mul(coef_linear, delta));
  const int32_t log_q6 =
      wrapping_add(tml_saturating_rounding_doubling_high_mul(exponent, log_2),
                   tml_saturating_rounding_doubling_high_mul(tml_rounding_divide_by_power_of_two(numerator, 6),
                                                             tml_one_over_one_plus_x(denominator_minus_one)));
  return tml_saturating_shift_left(log_q6, 1); /* Q6 -> Q5 */
}

void tml_log_softmax_s8(const tml_log_softmax_s8_params *p, const int8_t *in, int8_t *out) {
  const int32_t depth = p->depth;
  int32_t row, c;
  for (row = 0; row < p->rows; ++row, in += depth, out += depth) {
    int32_t max = -128, sum = 0, log_sum, reach;
    for (c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    for (c = 0; c < depth; ++c) sum = wrapping_add(sum, p->exp_table[max - in[c]]);
    log_sum = log_q12_to_q5(sum);
    reach = tml_multiply_by_quantized_multiplier((int32_t)((uint32_t)log_sum + 0x80000000u), p->reverse_multiplier,
                                                 p->reverse_shift);
    reach = p->diff_min - 1 > reach ? p->diff_min - 1 : reach;
    for (c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff > reach) {
        const int32_t diff_q5 = tml_multiply_by_quantized_multiplier(diff, p->input_multiplier, p->input_left_shift);
        const int32_t value =
            tml_rounding_divide_by_power_of_two((int32_t)((uint32_t)diff_q5 - (uint32_t)log_sum), 31 - 5 - 4) + 127;
        out[c] = (int8_t)tml_clamp_i32(value, -128, 127);
      } else {
        out[c] = -128;
      }
    }
  }
}
