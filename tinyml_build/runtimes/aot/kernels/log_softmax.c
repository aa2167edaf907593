/* log_softmax.c -- LOG_SOFTMAX over the last dimension, bit-exact with TFLM's reference_ops::LogSoftmax
 * (float32: where the libms agree, expf and logf; see the aot README) and LogSoftmaxQuantized (int8).
 *
 * float32, per row: the maximum (std::max from the lowest float, so NaNs are skipped unless first),
 * the sum of expf(x - max) in order, logf of it, then x - max - log_sum, left to right as TFLM.
 * int8, per row: the sum of exp(diff) in Q12 (a build-time table per diff = x - max, 0 below
 * diff_min), its log in Q5 (gemmlowp's log_x_for_x_greater_than_or_equal_to_1, below), then each
 * diff rescaled to Q5 minus the log, rounded to the output's Q4 (scale 16/256) + 127, or -128 below
 * the reach of the reverse-scaled log.
 */
#include <float.h>
#include <math.h>

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

/* TFLM's log_x_for_x_greater_than_or_equal_to_1_impl<5, 12> (kernels/internal/common.h): log(x) for
 * x in Q12.19 (x >= 1), in Q5.26. Constants are TFLM's Q0.31 values (log 2, 2^-1/4, 2^-1/2, 1/4 and
 * the rational approximation's alphas); accumulation in Q6. */
static inline int32_t log_q12_to_q5(int32_t x) {
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = 536870912 >> 6; /* Rescale<6>(1/4), exact */
  const int z_a_headroom_plus_1 = tml_clz32((uint32_t)x);
  const int32_t r_a_tmp = tml_saturating_shift_left(x, z_a_headroom_plus_1 - 1);
  const int32_t r_a = tml_saturating_shift_left(tml_saturating_rounding_doubling_high_mul(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj =
      saturating_add(tml_saturating_shift_left(12 - z_a_headroom_plus_1, 31 - 6), shifted_quarter);
  const int32_t z_b = tml_saturating_rounding_doubling_high_mul(x, sqrt_half);
  const int z_b_headroom = tml_clz32((uint32_t)z_b) - 1;
  const int32_t r_b = tml_saturating_shift_left(x, z_b_headroom);
  const int32_t z_b_pow_2_adj = saturating_sub(tml_saturating_shift_left(12 - z_b_headroom, 31 - 6), shifted_quarter);
  const int32_t r = r_a < r_b ? r_a : r_b;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const int32_t p = rounding_half_sum(r, sqrt_sqrt_half);
  const int32_t q_half = (int32_t)((uint32_t)r - (uint32_t)sqrt_sqrt_half);
  const int32_t q = wrapping_add(q_half, q_half);
  const int32_t common_sq = tml_saturating_rounding_doubling_high_mul(q, q);
  const int32_t num = wrapping_add(
      tml_saturating_rounding_doubling_high_mul(q, r),
      tml_saturating_rounding_doubling_high_mul(tml_saturating_rounding_doubling_high_mul(q, common_sq), alpha_n));
  const int32_t inner =
      wrapping_add(wrapping_add(alpha_i, q), tml_saturating_rounding_doubling_high_mul(alpha_d, common_sq));
  const int32_t denom_minus_one = wrapping_add(tml_saturating_rounding_doubling_high_mul(p, inner),
                                               tml_saturating_rounding_doubling_high_mul(alpha_f, q));
  const int32_t recip_denom = tml_one_over_one_plus_x(denom_minus_one);
  const int32_t num_scaled = tml_rounding_divide_by_power_of_two(num, 6);
  const int32_t sum = wrapping_add(tml_saturating_rounding_doubling_high_mul(z_pow_2_adj, log_2),
                                   tml_saturating_rounding_doubling_high_mul(num_scaled, recip_denom));
  return tml_saturating_shift_left(sum, 1); /* Rescale<5> from Q6 */
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

void tml_log_softmax_f32(const tml_log_softmax_params *p, const float *in, float *out) {
  const int32_t depth = p->depth;
  int32_t row, c;
  for (row = 0; row < p->rows; ++row, in += depth, out += depth) {
    float max = -FLT_MAX;
    float sum = 0.0f;
    float log_sum;
    for (c = 0; c < depth; ++c) max = max < in[c] ? in[c] : max;
    for (c = 0; c < depth; ++c) sum += expf(in[c] - max);
    log_sum = logf(sum);
    for (c = 0; c < depth; ++c) out[c] = in[c] - max - log_sum;
  }
}
