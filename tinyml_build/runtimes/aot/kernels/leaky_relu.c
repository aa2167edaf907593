/* leaky_relu.c -- quantized LEAKY_RELU for int16 (int8 is lowered to a lookup table).
 *
 * Non-negative inputs are rescaled with the identity multiplier, negative ones with the
 * alpha multiplier; a negative alpha is applied as a positive multiplier and a negation,
 * as TFLM does. Parameters live in locals (int16 stores may alias the parameter block), with
 * each multiplier's shift split into its left and right parts once.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

typedef struct {
  int32_t multiplier, left, right;
} scaler;

static inline scaler make_scaler(int32_t multiplier, int32_t shift) {
  scaler s;
  s.multiplier = multiplier;
  s.left = shift > 0 ? shift : 0;
  s.right = shift > 0 ? 0 : -shift;
  return s;
}

/* tml_multiply_by_quantized_multiplier with the shift already split. */
static inline int32_t scale(int32_t x, scaler s) {
  const int32_t shifted = tml_wrapping_shift_left(x, s.left);
  return tml_multiply_by_quantized_multiplier_smaller_than_one(shifted, s.multiplier, s.right);
}

void tml_leaky_relu_s16(const tml_leaky_relu_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int32_t input_offset = p->input_offset, output_offset = p->output_offset;
  const scaler identity = make_scaler(p->identity_multiplier, p->identity_shift);
  const scaler alpha = make_scaler(p->alpha_multiplier, p->alpha_shift);
  const int alpha_negative = p->alpha_negative != 0;
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int32_t x = (int32_t)*in - input_offset;
    int32_t v;
    if (x >= 0) {
      v = scale(x, identity);
    } else {
      v = scale(x, alpha);
      v = alpha_negative ? -v : v;
    }
    *out = (int16_t)tml_clamp_i32(output_offset + v, INT16_MIN, INT16_MAX);
  }
}
