/* relu.c -- quantized RELU for int16: requantize to the output scale, clamp at zero.
 *
 * (int8 RELU is lowered to a lookup table.) Parameters live in locals: int16 stores may
 * alias the parameter block.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_relu_s16(const tml_relu_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int32_t input_offset = p->input_offset, output_offset = p->output_offset;
  const int32_t multiplier = p->multiplier, shift = p->shift, act_min = p->act_min, act_max = p->act_max;
  const int16_t *const end = in + n;
  for (; in < end; ++in, ++out) {
    const int32_t v =
        output_offset + tml_multiply_by_quantized_multiplier((int32_t)*in - input_offset, multiplier, shift);
    *out = (int16_t)tml_clamp_i32(v, act_min, act_max);
  }
}
