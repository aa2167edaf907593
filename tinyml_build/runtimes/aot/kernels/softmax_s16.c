/* softmax_s16.c -- SOFTMAX int16 -> int16 (TFLM reference_ops::SoftmaxInt16).
 *
 * Per row: the largest input; each difference to it scaled so that [-65535, 0] spans [-10, 0]
 * and looked up (with TFLM's 7-bit interpolation) in the exp table; the sum's reciprocal from the
 * 1 / (1 + x) table after normalising the sum to its leading one; each exp scaled by it. Both
 * 513-entry tables are TFLM's LUTPopulate<int16_t> values computed at generation time
 * (quantization.softmax_int16_tables). The exps are kept in the output row between the passes, as
 * TFLM does, so no scratch is needed.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* TFLM LUTLookup(int16): table[256 + (v >> 7)] plus the slope to the next entry times v's low 7 bits. */
static int16_t lut_lookup(int16_t value, const int16_t *lut) {
  const int32_t index = 256 + (value >> 7);
  const int32_t offset = value & 0x7f;
  const int32_t base = lut[index];
  const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
  return (int16_t)(base + ((slope * offset + 64) >> 7));
}

static int16_t saturate16(int32_t x) {
  return (int16_t)(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
}

/* Leading zeros of a nonzero 32-bit value (TFLM CountLeadingZeros). */
static int32_t leading_zeros(uint32_t x) {
#if defined(__GNUC__)
  return x ? __builtin_clz(x) : 32;
#else
  int32_t n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u)) x <<= 1, ++n;
  return n;
#endif
}

void tml_softmax_s16_s16(const tml_softmax_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t depth = p->depth;
  int32_t i, c;
  for (i = 0; i < p->outer; ++i, input += depth, output += depth) {
    int16_t max = INT16_MIN;
    uint32_t sum = 0; /* TFLM's int32 sum (Q16.15); unsigned so a huge row wraps as TFLM's does */
    int32_t headroom_plus_one, shifted_sum, right_shift;
    int16_t reciprocal;
    int64_t round;
    for (c = 0; c < depth; ++c) max = input[c] > max ? input[c] : max;
    for (c = 0; c < depth; ++c) {
      const int32_t scaled =
          tml_multiply_by_quantized_multiplier((int32_t)input[c] - max, p->input_multiplier, p->input_shift);
      output[c] = lut_lookup(saturate16(scaled + 32767), p->exp_lut);
      sum += (uint32_t)(int32_t)output[c];
    }
    headroom_plus_one = leading_zeros(sum);
    shifted_sum = (int32_t)((((int64_t)(int32_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    /* 1 / (1 + x) with x = sum - 1 recentred from [0, 65535] to [-32768, 32767] */
    reciprocal = lut_lookup(saturate16(shifted_sum - ((1 << 15) + (1 << 16))), p->one_over_one_plus_x_lut);
    right_shift = 31 - headroom_plus_one;
    round = (int64_t)1 << (right_shift - 1);
    for (c = 0; c < depth; ++c) {
      const int32_t result = (int32_t)(((int64_t)output[c] * reciprocal + round) >> right_shift);
      output[c] = (int16_t)(result < 0 ? 0 : (result > 32767 ? 32767 : result));
    }
  }
}
