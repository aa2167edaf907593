/* l2_normalization_f32.c -- float32 L2_NORMALIZATION over the last dimension, bit-exact with TFLM's
 * reference_ops::L2Normalization: the squares summed in order (C99: no fused multiply-add), sqrtf,
 * at least 1e-6f (std::max keeps a NaN), each value divided by it.
 */
#include <math.h>

#include "tml_kernels.h"

void tml_l2_normalization_f32(const tml_l2_normalization_params *p, const float *in, float *out) {
  const int32_t depth = p->depth;
  int32_t row, c;
  for (row = 0; row < p->rows; ++row, in += depth, out += depth) {
    float squared = 0.0f;
    float norm;
    for (c = 0; c < depth; ++c) squared += in[c] * in[c];
    norm = sqrtf(squared);
    norm = norm < 1e-6f ? 1e-6f : norm;
    for (c = 0; c < depth; ++c) out[c] = in[c] / norm;
  }
}
