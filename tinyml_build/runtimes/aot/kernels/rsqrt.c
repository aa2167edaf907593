/* rsqrt.c -- int8 RSQRT: a build-time table (TFLM's RsqrtEvalQuantized for each input byte) and
 * TFLM's input check.
 *
 * TFLM's Invoke fails ("Rsqrt is only defined for positive values") on an input below the input zero
 * point; the kernel returns nonzero there so the model's invoke() reports TML_ERROR the same way
 * (the call is emitted `checked`). float32 RSQRT is in float_math.c.
 */
#include "tml_kernels.h"

int32_t tml_rsqrt_s8(const tml_rsqrt_s8_params *p, const int8_t *in, int8_t *out) {
  const int8_t *table = p->table;
  const int32_t input_min = p->input_min;
  uint32_t n = p->size;
  for (; n > 0u; --n) {
    const int8_t value = *in++;
    if (value < input_min) return 1;
    *out++ = table[(uint8_t)value];
  }
  return 0;
}
