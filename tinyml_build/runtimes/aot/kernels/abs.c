/* abs.c -- ABS (float32, int16), bit-exact with TFLM's micro kernel (kernels/elementwise.cc).
 *
 * float32: std::abs, i.e. the sign bit cleared (also for -0.0 and NaN), done on the bits so no
 * libm is needed. int16 with quantization: |x - input_offset|, rescaled by input_scale /
 * output_scale with MultiplyByQuantizedMultiplier only when the two float scales differ, plus
 * output_offset, clamped to int16. int16 without quantization: std::abs on the promoted value,
 * stored back to int16 (so -32768 wraps to itself). int8 is a table (ops/abs.py).
 */
#include <string.h>

#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_abs_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    uint32_t bits;
    float v;
    memcpy(&bits, &in[i], sizeof bits);
    bits &= 0x7FFFFFFFu;
    memcpy(&v, &bits, sizeof v);
    out[i] = v;
  }
}

void tml_abs_s16(const tml_abs_params *p, const int16_t *in, int16_t *out, int32_t n) {
  const int32_t in_off = p->input_offset, out_off = p->output_offset, m = p->multiplier, sh = p->shift;
  const int32_t rescale = p->rescale, wrap = p->wrap;
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t d = (int32_t)in[i] - in_off;
    const int32_t v = d < 0 ? -d : d;
    if (wrap) {
      out[i] = (int16_t)(uint16_t)(uint32_t)v;
    } else {
      const int32_t r = rescale ? tml_multiply_by_quantized_multiplier(v, m, sh) : v;
      out[i] = (int16_t)tml_clamp_i32(r + out_off, INT16_MIN, INT16_MAX);
    }
  }
}
