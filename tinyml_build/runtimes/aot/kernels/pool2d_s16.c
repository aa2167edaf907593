/* pool2d_s16.c -- AVERAGE_POOL_2D and MAX_POOL_2D on int16 (TFLM reference_integer_ops int16 pooling).
 *
 * Windows are clipped to the input (taps outside are not counted); the average is the int32 sum
 * rounded half away from zero over the clipped count, as TFLM computes it; both clamp to the
 * fused activation's range. Input and output share one quantization (the lowering checks it).
 *
 * Speed: the clipped window is found once per output pixel; four adjacent channels are then
 * reduced together in registers over the window's taps (their inputs are adjacent), the
 * remaining channels one at a time.
 */
#include "tml_kernels.h"

/* The clipped window of one output pixel: rows x cols taps, the first at `first`. */
typedef struct {
  const int16_t *first;
  int32_t rows, cols, count;
  ptrdiff_t col_step, row_step;
} window;

static window clipped(const tml_pool_params *p, const int16_t *in_batch, int32_t oy, int32_t ox) {
  const int32_t iy = oy * p->stride_h - p->pad_h, ix = ox * p->stride_w - p->pad_w;
  const int32_t y0 = iy < 0 ? 0 : iy, y1 = iy + p->filter_h < p->in_h ? iy + p->filter_h : p->in_h;
  const int32_t x0 = ix < 0 ? 0 : ix, x1 = ix + p->filter_w < p->in_w ? ix + p->filter_w : p->in_w;
  window g;
  g.rows = y1 > y0 ? y1 - y0 : 0;
  g.cols = x1 > x0 ? x1 - x0 : 0;
  g.count = g.rows * g.cols;
  g.col_step = p->channels;
  g.row_step = (ptrdiff_t)p->in_w * p->channels;
  g.first = in_batch + y0 * g.row_step + (ptrdiff_t)x0 * p->channels;
  return g;
}

static int16_t clamp16(int32_t v, const tml_pool_params *p) {
  return (int16_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
}

/* TFLM's rounded average; an empty window (TFLM returns an error; no model geometry makes one) gives 0. */
static int16_t average(int32_t sum, int32_t count, const tml_pool_params *p) {
  int32_t avg = 0;
  if (count > 0) avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return clamp16(avg, p);
}

void tml_average_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output) {
  const int32_t channels = p->channels;
  int32_t b, oy, ox, c, r, k;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * p->in_w * channels;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += channels) {
        const window g = clipped(p, in_batch, oy, ox);
        for (c = 0; c + 4 <= channels; c += 4) {
          int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          const int16_t *row = g.first + c;
          for (r = 0; r < g.rows; ++r, row += g.row_step) {
            const int16_t *x = row;
            for (k = 0; k < g.cols; ++k, x += g.col_step) {
              s0 += x[0];
              s1 += x[1];
              s2 += x[2];
              s3 += x[3];
            }
          }
          output[c] = average(s0, g.count, p);
          output[c + 1] = average(s1, g.count, p);
          output[c + 2] = average(s2, g.count, p);
          output[c + 3] = average(s3, g.count, p);
        }
        for (; c < channels; ++c) {
          int32_t s = 0;
          const int16_t *row = g.first + c;
          for (r = 0; r < g.rows; ++r, row += g.row_step) {
            const int16_t *x = row;
            for (k = 0; k < g.cols; ++k, x += g.col_step) s += *x;
          }
          output[c] = average(s, g.count, p);
        }
      }
    }
  }
}

static int32_t max32(int32_t a, int32_t b) {
  return a > b ? a : b;
}

void tml_max_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output) {
  const int32_t channels = p->channels;
  int32_t b, oy, ox, c, r, k;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * p->in_w * channels;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += channels) {
        const window g = clipped(p, in_batch, oy, ox);
        for (c = 0; c + 4 <= channels; c += 4) {
          int32_t m0 = INT16_MIN, m1 = INT16_MIN, m2 = INT16_MIN, m3 = INT16_MIN;
          const int16_t *row = g.first + c;
          for (r = 0; r < g.rows; ++r, row += g.row_step) {
            const int16_t *x = row;
            for (k = 0; k < g.cols; ++k, x += g.col_step) {
              m0 = max32(m0, x[0]);
              m1 = max32(m1, x[1]);
              m2 = max32(m2, x[2]);
              m3 = max32(m3, x[3]);
            }
          }
          output[c] = clamp16(m0, p);
          output[c + 1] = clamp16(m1, p);
          output[c + 2] = clamp16(m2, p);
          output[c + 3] = clamp16(m3, p);
        }
        for (; c < channels; ++c) {
          int32_t m = INT16_MIN;
          const int16_t *row = g.first + c;
          for (r = 0; r < g.rows; ++r, row += g.row_step) {
            const int16_t *x = row;
            for (k = 0; k < g.cols; ++k, x += g.col_step) m = max32(m, *x);
          }
          output[c] = clamp16(m, p);
        }
      }
    }
  }
}
