/* leaky_relu.c -- quantized LEAKY_RELU for int16 (int8 is lowered to a lookup table).
 *
 * Non-negative inputs are rescaled with the identity multiplier, negative ones with the
 * alpha multiplier; a negative alpha is applied as a positive multiplier and a negation,
 * as TFLM does.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_leaky_relu_s16(const tml_leaky_relu_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int32_t x = (int32_t)*in - p->input_offset;
    int32_t v;
    if (x >= 0) {
      v = p->output_offset + tml_mbqm(x, p->identity_multiplier, p->identity_shift);
    } else {
      const int32_t scaled = tml_mbqm(x, p->alpha_multiplier, p->alpha_shift);
      v = p->output_offset + (p->alpha_negative ? -scaled : scaled);
    }
    *out = (int16_t)tml_clamp_i32(v, INT16_MIN, INT16_MAX);
  }
}
