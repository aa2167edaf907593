/* relu.c -- quantized RELU for int16: requantize to the output scale, clamp at zero.
 *
 * (int8 RELU is lowered to a lookup table, see lut.c.)
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_relu_s16(const tml_relu_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int32_t v = p->output_offset + tml_mbqm((int32_t)*in - p->input_offset, p->multiplier, p->shift);
    *out = (int16_t)tml_clamp_i32(v, p->act_min, p->act_max);
  }
}
