/* l2_normalization.c -- int8 L2_NORMALIZATION over the last dimension, bit-exact with TFLM's
 * reference_integer_ops::L2Normalization (float32 is in l2_normalization_f32.c: it needs libm's
 * sqrtf, this file does not, so int8 models build with toolchains that have no C math library).
 *
 * int8: the squared distances from the input zero point in
 * int32, TFLM's integer 1/sqrt (tml_inv_sqrt_multiplier_exp), each distance scaled by it with 7 more
 * bits (output scale 1/128, zero point 0, as TFLM implies) and clamped.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_l2_normalization_s8(const tml_l2_normalization_params *p, const int8_t *in, int8_t *out) {
  const int32_t depth = p->depth, zero_point = p->input_zero_point;
  int32_t row, c;
  for (row = 0; row < p->rows; ++row, in += depth, out += depth) {
    int32_t squared = 0, multiplier, shift;
    for (c = 0; c < depth; ++c) squared += (in[c] - zero_point) * (in[c] - zero_point);
    multiplier = tml_inv_sqrt_multiplier_exp(squared, &shift);
    for (c = 0; c < depth; ++c) {
      const int32_t scaled = tml_multiply_by_quantized_multiplier(in[c] - zero_point, multiplier, shift + 7);
      out[c] = (int8_t)tml_clamp_i32(scaled, -128, 127);
    }
  }
}
