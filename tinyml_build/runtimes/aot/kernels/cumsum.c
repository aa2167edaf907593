/* cumsum.c -- CUMSUM (int8, float32) along one axis, the result of TFLM's reference CumSum.
 *
 * The tensor is [before][depth][after]; every (before, after) lane is summed along depth,
 * forwards or (reverse) backwards, writing each running sum (exclusive: the sum before the
 * element). float32 adds in that order from 0.0f, as TFLM. int8 uses ADD's arithmetic as TFLM
 * does (see add_n.c): each (x - zp) << 20 scaled by a multiplier below one, the running sum
 * starting from the scaled input offset, each running sum rescaled to the output and clamped;
 * a running sum beyond int32 wraps, as TFLM's int32 addition does on its targets. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#define TML_CUMSUM_LANES(p, element)                                   \
  const int32_t depth = (p)->depth, after = (p)->after;                \
  const int32_t step = (p)->reverse ? -after : after;                  \
  const int32_t first = (p)->reverse ? (depth - 1) * after : 0;        \
  int32_t b, a, d;                                                     \
  for (b = 0; b < (p)->before; ++b) {                                  \
    for (a = 0; a < after; ++a) {                                      \
      const ptrdiff_t lane = (ptrdiff_t)b * depth * after + a + first; \
      element                                                          \
    }                                                                  \
  }

void tml_cumsum_f32(const tml_cumsum_params *p, const float *input, float *output) {
  const int32_t exclusive = p->exclusive;
  TML_CUMSUM_LANES(p, {
    const float *in = input + lane;
    float *out = output + lane;
    float sum = 0.0f;
    for (d = 0; d < depth; ++d, in += step, out += step) {
      const float x = *in;
      if (exclusive) {
        *out = sum;
        sum += x;
      } else {
        sum += x;
        *out = sum;
      }
    }
  })
}

void tml_cumsum_s8(const tml_cumsum_params *p, const int8_t *input, int8_t *output) {
  const tml_add_params *q = &p->quant;
  const int32_t offset = q->input1_offset, left_shift = q->left_shift;
  const int32_t multiplier = q->input1_multiplier, right = -q->input1_shift;
  const int32_t out_multiplier = q->output_multiplier, out_right = -q->output_shift;
  const int32_t out_offset = q->output_offset, act_min = q->act_min, act_max = q->act_max;
  const int32_t exclusive = p->exclusive;
  const int32_t start =
      tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(offset * (1 << left_shift), multiplier, (int)right);
  TML_CUMSUM_LANES(p, {
    const int8_t *in = input + lane;
    int8_t *out = output + lane;
    uint32_t sum = (uint32_t)start;
    for (d = 0; d < depth; ++d, in += step, out += step) {
      const uint32_t scaled = (uint32_t)tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(
          (offset + *in) * (1 << left_shift), multiplier, (int)right);
      uint32_t shown;
      int32_t value;
      if (exclusive) {
        shown = sum;
        sum += scaled;
      } else {
        sum += scaled;
        shown = sum;
      }
      value = tml_multiply_by_quantized_multiplier_smaller_than_one((int32_t)shown, out_multiplier, (int)out_right) +
              out_offset;
      value = value < act_min ? act_min : value;
      *out = (int8_t)(value > act_max ? act_max : value);
    }
  })
}
