/* softmax.c -- SOFTMAX, int8 input, int8 or int16 output (TFLM reference_ops::Softmax).
 *
 * TFLM rescales every difference x - max into Q5.26 and evaluates gemmlowp's
 * exp_on_negative_values twice per element. With int8 input there are only 256 possible
 * differences, so the exp values are a build-time table (Q0.31; 0 where TFLM skips the element
 * as below diff_min, which gives the same sum and the same output). The rest (sum in Q12.19,
 * fixed-point reciprocal, final scaling) is done here exactly as TFLM does. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#define TML_ACCUM_BITS 12

/* The row's reciprocal scale (Q0.31) and the right shift that maps probabilities to out_bits. */
static int32_t tml_softmax_scale(const int32_t *table, const int8_t *row, int32_t depth, int8_t max, int out_bits,
                                 int *exponent) {
  int32_t sum = 0;
  int32_t c;
  int headroom;
  for (c = 0; c < depth; ++c) {
    const int32_t e = table[(uint8_t)(max - row[c])];
    sum = (int32_t)((uint32_t)sum + (uint32_t)tml_rounding_divide_by_power_of_two(e, TML_ACCUM_BITS));
  }
  headroom = tml_clz32((uint32_t)sum);
  *exponent = (TML_ACCUM_BITS - headroom) + 31 - out_bits;
  return tml_one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
}

static int8_t tml_row_max(const int8_t *row, int32_t depth) {
  int8_t max = -128;
  int32_t c;
  for (c = 0; c < depth; ++c) {
    max = row[c] > max ? row[c] : max;
  }
  return max;
}

void tml_softmax_s8_s8(const tml_softmax_s8_params *p, const int8_t *input, int8_t *output) {
  int32_t i, c;
  for (i = 0; i < p->outer; ++i, input += p->depth, output += p->depth) {
    const int8_t max = tml_row_max(input, p->depth);
    int exponent;
    const int32_t scale = tml_softmax_scale(p->exp_table, input, p->depth, max, 8, &exponent);
    for (c = 0; c < p->depth; ++c) {
      const int32_t e = p->exp_table[(uint8_t)(max - input[c])];
      const int32_t probability = tml_saturating_rounding_doubling_high_mul(scale, e);
      const int32_t v = tml_rounding_divide_by_power_of_two(probability, exponent) - 128;
      output[c] = (int8_t)tml_clamp_i32(v, -128, 127);
    }
  }
}

void tml_softmax_s8_s16(const tml_softmax_s8_params *p, const int8_t *input, int16_t *output) {
  int32_t i, c;
  for (i = 0; i < p->outer; ++i, input += p->depth, output += p->depth) {
    const int8_t max = tml_row_max(input, p->depth);
    int exponent;
    const int32_t scale = tml_softmax_scale(p->exp_table, input, p->depth, max, 16, &exponent);
    for (c = 0; c < p->depth; ++c) {
      const int32_t e = p->exp_table[(uint8_t)(max - input[c])];
      const int32_t probability = tml_saturating_rounding_doubling_high_mul(scale, e);
      const int32_t v = tml_rounding_divide_by_power_of_two(probability, exponent) - 32768;
      output[c] = (int16_t)tml_clamp_i32(v, -32768, 32767);
    }
  }
}
