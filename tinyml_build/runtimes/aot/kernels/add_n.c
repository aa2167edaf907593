/* add_n.c -- ADD_N (int8, float32), the result of TFLM's reference AddN.
 *
 * float32: per element, 0.0f plus every input in input order (TFLM's order, so its rounding).
 * int8 (all inputs share one scale and zero point, TFLM's Prepare checks it): ADD's
 * arithmetic with left shift 20 and input multiplier 1/2 -- each input's (x - zp) << 20 is
 * scaled by a multiplier below one, the scaled values are summed (starting, as TFLM does, from
 * the scaled input offset, i.e. -zp, not from 0) and the sum is rescaled to the output. A sum
 * beyond int32 (16 or more extreme inputs) wraps, as TFLM's int32 addition does on its targets.
 * The inputs arrive as an array of pointers (a compound literal in invoke()). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int32_t scale_input(int32_t x, int32_t left_shift, int32_t multiplier, int32_t right) {
  return tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(x * (1 << left_shift), multiplier, (int)right);
}

void tml_add_n_s8(const tml_add_params *p, const int8_t *const *inputs, int32_t count, int8_t *out, int32_t size) {
  const int32_t offset = p->input1_offset, left_shift = p->left_shift;
  const int32_t multiplier = p->input1_multiplier, right = -p->input1_shift;
  const int32_t out_multiplier = p->output_multiplier, out_right = -p->output_shift;
  const int32_t out_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  const int32_t start = scale_input(offset, left_shift, multiplier, right);
  int32_t i, j;
  for (i = 0; i < size; ++i) {
    uint32_t sum = (uint32_t)start;
    int32_t value;
    for (j = 0; j < count; ++j) {
      sum += (uint32_t)scale_input(offset + inputs[j][i], left_shift, multiplier, right);
    }
    value = tml_multiply_by_quantized_multiplier_smaller_than_one((int32_t)sum, out_multiplier, (int)out_right) +
            out_offset;
    value = value < act_min ? act_min : value;
    out[i] = (int8_t)(value > act_max ? act_max : value);
  }
}

void tml_add_n_f32(const float *const *inputs, int32_t count, float *out, int32_t size) {
  int32_t i, j;
  for (i = 0; i < size; ++i) {
    float sum = 0.0f;
    for (j = 0; j < count; ++j) sum += inputs[j][i];
    out[i] = sum;
  }
}
