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

/* Sum (average) or maximum of channels c..c+n-1 (n = 4 or 1) over a window; each channel on its own. */
static void tml_pool_avg(const float *corner, int32_t row, int32_t c_n, const tml_pool_window *w, int32_t n,
                         float out[4]) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t y, x;
  for (y = w->y0; y < w->y1; ++y, corner += row) {
    const float *px = corner;
    for (x = w->x0; x < w->x1; ++x, px += c_n) {
      s0 += px[0];
      if (n == 4) {
        s1 += px[1];
        s2 += px[2];
        s3 += px[3];
      }
    }
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

static void tml_pool_max(const float *corner, int32_t row, int32_t c_n, const tml_pool_window *w, int32_t n,
                         float out[4]) {
  float m0 = -FLT_MAX, m1 = -FLT_MAX, m2 = -FLT_MAX, m3 = -FLT_MAX;
  int32_t y, x;
  for (y = w->y0; y < w->y1; ++y, corner += row) {
    const float *px = corner;
    for (x = w->x0; x < w->x1; ++x, px += c_n) {
      m0 = m0 < px[0] ? px[0] : m0;
      if (n == 4) {
        m1 = m1 < px[1] ? px[1] : m1;
        m2 = m2 < px[2] ? px[2] : m2;
        m3 = m3 < px[3] ? px[3] : m3;
      }
    }
  }
  out[0] = m0;
  out[1] = m1;
  out[2] = m2;
  out[3] = m3;
}

static void tml_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output, int32_t average) {
  const int32_t c_n = p->channels;
  const int32_t row = p->in_w * c_n;
  int32_t b, oy, ox, c, j;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += c_n) {
        const tml_pool_window w = tml_pool_clip(p, oy, ox);
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        const float *corner = image + w.y0 * row + w.x0 * c_n;
        for (c = 0; c < c_n;) {
          const int32_t n = c_n - c >= 4 ? 4 : 1; /* four channels side by side, then one at a time */
          float v[4];
          if (average) {
            tml_pool_avg(corner + c, row, c_n, &w, n, v);
            for (j = 0; j < n; ++j) v[j] = v[j] / count;
          } else {
            tml_pool_max(corner + c, row, c_n, &w, n, v);
          }
          for (j = 0; j < n; ++j, ++c) output[c] = tml_activation_f32(v[j], p->act_min, p->act_max);
        }
      }
    }
  }
}

void tml_average_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output) {
  tml_pool2d_f32(p, input, output, 1);
}

void tml_max_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output) {
  tml_pool2d_f32(p, input, output, 0);
}
