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

/* scale() for |x << s.left| < 2^30 (tml_multiply_by_quantized_multiplier_smaller_than_one_31bit). */
static inline int32_t scale_narrow(int32_t x, scaler s) {
  return tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(x * (1 << s.left), s.multiplier, s.right);
}

/* The input scaled by the identity or the alpha multiplier; `narrow`: every shifted input is within
 * +-2^30, so the 31-bit multiply (one SMMULR on Armv7E-M) gives the same bits. Inlined twice, once
 * per value of `narrow`, so the choice is made once per call. */
static inline void leaky_relu_run(const tml_leaky_relu_params *p, const int16_t *in, int16_t *out, int32_t n,
                                  int narrow) {
  const int32_t input_offset = p->input_offset, output_offset = p->output_offset;
  const scaler identity = make_scaler(p->identity_multiplier, p->identity_shift);
  const scaler alpha = make_scaler(p->alpha_multiplier, p->alpha_shift);
  const int alpha_negative = p->alpha_negative != 0;
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int32_t x = (int32_t)*in - input_offset;
    const scaler s = x >= 0 ? identity : alpha;
    int32_t v = narrow ? scale_narrow(x, s) : scale(x, s);
    if (x < 0 && alpha_negative) v = -v;
    *out = tml_saturate_s16(output_offset + v);
  }
}

void tml_leaky_relu_s16(const tml_leaky_relu_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int64_t largest = p->input_offset < 0 ? 32767 - (int64_t)p->input_offset : 32768 + (int64_t)p->input_offset;
  const int32_t left = p->identity_shift > p->alpha_shift ? p->identity_shift : p->alpha_shift;
  if (left < 31 && (largest << (left > 0 ? left : 0)) < ((int64_t)1 << 30)) {
    leaky_relu_run(p, in, out, n, 1);
  } else {
    leaky_relu_run(p, in, out, n, 0);
  }
}
