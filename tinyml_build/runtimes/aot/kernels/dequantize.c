/* dequantize.c -- DEQUANTIZE int8/uint8/int16 -> float32.
 *
 * TFLM computes static_cast<float>(double(scale) * (x - zero_point)). The double product of a
 * float32 scale and an integer below 2^17 is exact, so rounding it to float equals the single
 * float multiply below (IEEE multiplication is correctly rounded): bit-exact without doubles. */
#include "tml_kernels.h"

#define TML_DEFINE_DEQUANTIZE(name, in_t)                                       \
  void name(const tml_dequantize_params *p, const in_t *input, float *output) { \
    uint32_t i;                                                                 \
    for (i = 0; i < p->size; ++i) {                                             \
      output[i] = (float)((int32_t)input[i] - p->zero_point) * p->scale;        \
    }                                                                           \
  }

TML_DEFINE_DEQUANTIZE(tml_dequantize_s8_f32, int8_t)
TML_DEFINE_DEQUANTIZE(tml_dequantize_u8_f32, uint8_t)
TML_DEFINE_DEQUANTIZE(tml_dequantize_s16_f32, int16_t)
