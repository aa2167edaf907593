/* softmax_f32.c -- float32 SOFTMAX over the last dimension, bit-exact with TFLM's micro kernel
 * (softmax.cc: reference_ops::Softmax<float>) where the libms' expf agree (see the aot README).
 *
 * Per row, in TFLM's order: the maximum from -FLT_MAX with std::max's `max < x ? x : max` (a NaN never
 * becomes the maximum), then expf((x - max) * beta) in float, stored and summed left to right from
 * 0.0f, then each stored value divided by the sum (a division, not a multiplication by 1 / sum).
 * Element c is read before it is written in every pass, so the output may overwrite the input.
 */
#include <float.h>
#include <math.h>

#include "tml_kernels.h"

void tml_softmax_f32(const tml_softmax_f32_params *p, const float *in, float *out) {
  const int32_t depth = p->depth;
  const float beta = p->beta;
  int32_t row, c;
  for (row = 0; row < p->outer; ++row, in += depth, out += depth) {
    float max = -FLT_MAX;
    float sum = 0.0f;
    for (c = 0; c < depth; ++c) max = max < in[c] ? in[c] : max;
    for (c = 0; c < depth; ++c) {
      const float e = expf((in[c] - max) * beta);
      out[c] = e;
      sum += e;
    }
    for (c = 0; c < depth; ++c) out[c] = out[c] / sum;
  }
}
