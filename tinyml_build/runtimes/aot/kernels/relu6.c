/* relu6.c -- quantized RELU6 (int8, int16): a clamp between quantized 0 and 6.
 *
 * TFLM clamps in the input's quantized domain (the converter gives input and output the
 * same quantization), so no requantization happens here either.
 */
#include "tml_kernels.h"

void tml_relu6_s8(int8_t lower, int8_t upper, const int8_t *in, int8_t *out, int32_t n) {
  const int8_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int8_t v = *in;
    *out = v > upper ? upper : (v < lower ? lower : v);
  }
}

void tml_relu6_s16(int16_t lower, int16_t upper, const int16_t *in, int16_t *out, int32_t n) {
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int16_t v = *in;
    *out = v > upper ? upper : (v < lower ? lower : v);
  }
}
