/* quantize.c -- QUANTIZE from float32, int16 and int32 (8-bit inputs are table lookups, lut.c).
 *
 * Matches TFLM reference_ops::AffineQuantize (float division, std::round) and
 * reference_ops::Requantize (MultiplyByQuantizedMultiplier of x - input zero point). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Clamp in float first so the conversion to int32 is always defined. */
static inline int32_t tml_quantize_one(float x, const tml_quantize_f32_params *p, int32_t lo, int32_t hi) {
  float q = x / p->scale;
  int64_t v;
  q = q < -2147483520.0f ? -2147483520.0f : (q > 2147483520.0f ? 2147483520.0f : q);
  v = (int64_t)tml_round_f32(q) + p->zero_point;
  return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

void tml_quantize_f32_s8(const tml_quantize_f32_params *p, const float *input, int8_t *output) {
  uint32_t i;
  for (i = 0; i < p->size; ++i) {
    output[i] = (int8_t)tml_quantize_one(input[i], p, -128, 127);
  }
}

void tml_quantize_f32_s16(const tml_quantize_f32_params *p, const float *input, int16_t *output) {
  uint32_t i;
  for (i = 0; i < p->size; ++i) {
    output[i] = (int16_t)tml_quantize_one(input[i], p, -32768, 32767);
  }
}

/* x - zero point with TFLM's int32 wrap-around. */
static inline int32_t tml_minus_zero_point(int32_t x, int32_t zero_point) {
  return (int32_t)((uint32_t)x - (uint32_t)zero_point);
}

/* TFLM's Requantize of one value: MultiplyByQuantizedMultiplier(x) + output zero point, clamped;
 * in int64 so that an int32 output saturates instead of wrapping. */
static inline int64_t tml_requantize_one(int32_t x, const tml_requantize_params *p, int64_t lo, int64_t hi) {
  const int64_t v = (int64_t)tml_multiply_by_quantized_multiplier(x, p->multiplier, p->shift) + p->output_zero_point;
  return v < lo ? lo : (v > hi ? hi : v);
}

/* `narrow` (8- and 16-bit outputs): with shift <= -2 (every scale ratio below 1/2, as in quantize0's
 * int32 -> int16) the one-multiply form tml_requant_short gives the same bits, within +-2^30 before
 * the output zero point (|zero point| < 2^16 there), so int32 arithmetic and the clamp cannot
 * overflow. */
#define TML_DEFINE_REQUANTIZE(name, in_t, out_t, lo, hi, narrow)                                              \
  void name(const tml_requantize_params *p, const in_t *input, out_t *output) {                               \
    const int32_t rshift = -2 - p->shift, multiplier = p->multiplier;                                         \
    const int32_t in_zp = p->input_zero_point, out_zp = p->output_zero_point;                                 \
    const in_t *const end = input + p->size;                                                                  \
    if ((narrow) && rshift >= 0) {                                                                            \
      for (; input < end; ++input, ++output) {                                                                \
        const int32_t v = tml_requant_short(tml_minus_zero_point(*input, in_zp), multiplier, rshift, out_zp); \
        *output = (out_t)tml_clamp_i32(v, (lo), (hi));                                                        \
      }                                                                                                       \
      return;                                                                                                 \
    }                                                                                                         \
    for (; input < end; ++input, ++output) {                                                                  \
      *output = (out_t)tml_requantize_one(tml_minus_zero_point(*input, in_zp), p, (lo), (hi));                \
    }                                                                                                         \
  }

TML_DEFINE_REQUANTIZE(tml_requantize_s16_s8, int16_t, int8_t, -128, 127, 1)
TML_DEFINE_REQUANTIZE(tml_requantize_s16_s16, int16_t, int16_t, -32768, 32767, 1)
TML_DEFINE_REQUANTIZE(tml_requantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX, 0)
TML_DEFINE_REQUANTIZE(tml_requantize_s32_s8, int32_t, int8_t, -128, 127, 1)
TML_DEFINE_REQUANTIZE(tml_requantize_s32_s16, int32_t, int16_t, -32768, 32767, 1)
