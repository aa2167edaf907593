/* average_pool2d.c -- AVERAGE_POOL_2D, int8 (TFLM reference_integer_ops::AveragePool).
 *
 * The window is clipped to the input; the sum is divided by the clipped count with rounding
 * half away from zero, exactly as the reference does (C division truncates toward zero). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_average_pool2d_s8(const tml_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->channels;
  const int32_t row_bytes = p->in_w * c_n;
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->in_h * row_bytes;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      const int32_t y0 = iy0 < 0 ? 0 : iy0;
      const int32_t y1 = iy0 + p->filter_h > p->in_h ? p->in_h : iy0 + p->filter_h;
      for (ox = 0; ox < p->out_w; ++ox, output += c_n) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        const int32_t x0 = ix0 < 0 ? 0 : ix0;
        const int32_t x1 = ix0 + p->filter_w > p->in_w ? p->in_w : ix0 + p->filter_w;
        const int32_t count = (y1 - y0) * (x1 - x0);
        const int8_t *window = in + y0 * row_bytes + x0 * c_n;
        for (c = 0; c < c_n; ++c) {
          const int8_t *row = window + c;
          int32_t acc = 0;
          for (y = y0; y < y1; ++y, row += row_bytes) {
            const int8_t *px = row;
            for (x = x0; x < x1; ++x, px += c_n) {
              acc += *px;
            }
          }
          if (count > 0) {
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          output[c] = (int8_t)tml_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
