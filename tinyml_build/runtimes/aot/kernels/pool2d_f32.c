/* pool2d_f32.c -- AVERAGE_POOL_2D and MAX_POOL_2D float32 (TFLM reference_ops::AveragePool and
 * MaxPool, float): each window clipped to the input. Average: a float sum from 0.0f over the
 * in-bounds taps (row, then column) divided by their count as a float (TFLM counts in a float,
 * which is exact for any window size here); max: from -FLT_MAX, v replaces the maximum only where
 * max < v (std::max), so NaN never wins and an all -inf window gives -FLT_MAX. Then clamped. */
#include <float.h>

#include "tml_kernels.h"

typedef struct {
  int32_t y0, y1, x0, x1; /* in-bounds input rows [y0, y1) and columns [x0, x1) */
} tml_pool_window;

static tml_pool_window tml_pool_clip(const tml_pool_f32_params *p, int32_t oy, int32_t ox) {
  const int32_t iy0 = oy * p->stride_h - p->pad_h;
  const int32_t ix0 = ox * p->stride_w - p->pad_w;
  tml_pool_window w;
  w.y0 = iy0 < 0 ? 0 : iy0;
  w.y1 = iy0 + p->filter_h > p->in_h ? p->in_h : iy0 + p->filter_h;
  w.x0 = ix0 < 0 ? 0 : ix0;
  w.x1 = ix0 + p->filter_w > p->in_w ? p->in_w : ix0 + p->filter_w;
  return w;
}

void tml_average_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output) {
  const int32_t c_n = p->channels;
  const int32_t row = p->in_w * c_n;
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += c_n) {
        const tml_pool_window w = tml_pool_clip(p, oy, ox);
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        for (c = 0; c < c_n; ++c) {
          float total = 0.0f;
          for (y = w.y0; y < w.y1; ++y) {
            const float *px = image + y * row + w.x0 * c_n + c;
            for (x = w.x0; x < w.x1; ++x, px += c_n) total += *px;
          }
          output[c] = tml_activation_f32(total / count, p->act_min, p->act_max);
        }
      }
    }
  }
}

void tml_max_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output) {
  const int32_t c_n = p->channels;
  const int32_t row = p->in_w * c_n;
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += c_n) {
        const tml_pool_window w = tml_pool_clip(p, oy, ox);
        for (c = 0; c < c_n; ++c) {
          float max = -FLT_MAX;
          for (y = w.y0; y < w.y1; ++y) {
            const float *px = image + y * row + w.x0 * c_n + c;
            for (x = w.x0; x < w.x1; ++x, px += c_n) max = max < *px ? *px : max;
          }
          output[c] = tml_activation_f32(max, p->act_min, p->act_max);
        }
      }
    }
  }
}
