/* neg.c -- NEG (float32), bit-exact with TFLM's reference (reference_ops::Negate: out = -in).
 *
 * TFLM's micro NEG has no quantized kernel. Negation only flips the sign bit, so it is exact
 * for every float, NaN and -0.0 included.
 */
#include "tml_kernels.h"

void tml_neg_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) out[i] = -in[i];
}
