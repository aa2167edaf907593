/* l2_pool2d.c -- L2_POOL_2D (float32), bit-exact with TFLM's reference_ops::L2Pool.
 *
 * Per output value: the squares of the window's values (clipped to the input) summed in float32 in
 * TFLM's order (rows, then columns; this file is C99, so no multiply-add is fused), divided by the
 * clipped count, square-rooted (sqrtf, exact) and clamped as ActivationFunctionWithMinMax.
 */
#include <math.h>

#include "tml_kernels.h"

void tml_l2_pool2d_f32(const tml_l2_pool_f32_params *p, const float *input, float *output) {
  const int32_t channels = p->channels;
  const int32_t row_step = p->in_w * channels;
  int32_t batch, out_y, out_x, channel;
  for (batch = 0; batch < p->batches; ++batch) {
    const float *image = input + batch * p->in_h * row_step;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
      const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
      const int32_t y_start = in_y0 < 0 ? -in_y0 : 0;
      const int32_t y_end = p->filter_h < p->in_h - in_y0 ? p->filter_h : p->in_h - in_y0;
      for (out_x = 0; out_x < p->out_w; ++out_x) {
        const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
        const int32_t x_start = in_x0 < 0 ? -in_x0 : 0;
        const int32_t x_end = p->filter_w < p->in_w - in_x0 ? p->filter_w : p->in_w - in_x0;
        const int32_t count = (y_end - y_start) * (x_end - x_start);
        const int32_t corner = in_y0 * row_step + in_x0 * channels; /* may be negative: only offsets */
        for (channel = 0; channel < channels; ++channel) {
          float sum_squares = 0.0f;
          float value;
          int32_t fy, fx;
          for (fy = y_start; fy < y_end; ++fy) {
            const int32_t row = corner + fy * row_step + channel;
            for (fx = x_start; fx < x_end; ++fx) {
              const float v = image[row + fx * channels];
              sum_squares += v * v;
            }
          }
          value = sqrtf(sum_squares / (float)count);
          value = value < p->act_min ? p->act_min : value;
          *output++ = p->act_max < value ? p->act_max : value;
        }
      }
    }
  }
}
