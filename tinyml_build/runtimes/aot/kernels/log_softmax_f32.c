/* log_softmax_f32.c -- float32 LOG_SOFTMAX over the last dimension, bit-exact with TFLM's
 * reference_ops::LogSoftmax where the libms agree (expf and logf; see the aot README).
 *
 * Per row: the maximum (std::max from the lowest float, so NaNs are skipped unless first), the sum
 * of expf(x - max) in order, logf of it, then x - max - log_sum, left to right as TFLM.
 */
#include <float.h>
#include <math.h>

#include "tml_kernels.h"

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
