/* average_pool2d.c -- AVERAGE_POOL_2D, int8 (TFLM reference_integer_ops::AveragePool).
 *
 * The window is clipped to the input; the sum is divided by the clipped count with rounding
 * half away from zero, exactly as the reference does (C division truncates toward zero).
 *
 * Why four channels at a time: the channels of one pixel are adjacent bytes, so on Armv7E-M one
 * word load and two SXTAB16s add four channels of a tap into four int16 lanes -- exact while a
 * window holds at most TML_POOL_LANE_TAPS taps (256 x 128 fits int16). Larger windows, the
 * remaining channels and cores without SIMD32 sum each channel in an int32.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Taps of a window whose int8 sum always fits an int16 lane: 256 * -128 = INT16_MIN. */
#define TML_POOL_LANE_TAPS 256

/* sum / count rounded half away from zero, clamped to the activation range. */
static inline int8_t tml_pool_average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return (int8_t)tml_clamp_i32(sum, lo, hi);
}

/* Sum of channel c over the window's rows y0..y1 and columns x0..x1 (window points at (y0, x0)). */
static int32_t tml_pool_channel_sum(const int8_t *window, int32_t rows, int32_t cols, int32_t row_bytes, int32_t c_n) {
  int32_t acc = 0, y, x;
  for (y = 0; y < rows; ++y, window += row_bytes) {
    const int8_t *px = window;
    for (x = 0; x < cols; ++x, px += c_n) {
      acc += *px;
    }
  }
  return acc;
}

/* Averages of the c_n channels of one output pixel. */
static void tml_pool_pixel(const tml_pool_params *p, const int8_t *window, int32_t rows, int32_t cols, int8_t *output) {
  const int32_t c_n = p->channels, row_bytes = p->in_w * c_n, count = rows * cols;
  const int32_t lo = p->act_min, hi = p->act_max;
  int32_t c = 0;
  if (count == 0) { /* a window entirely in the padding: the reference's sum, undivided (0) */
    for (; c < c_n; ++c) {
      output[c] = (int8_t)tml_clamp_i32(0, lo, hi);
    }
    return;
  }
#if TML_HAVE_SIMD32
  if (count <= TML_POOL_LANE_TAPS) {
    for (; c + 4 <= c_n; c += 4) {
      const int8_t *row = window + c;
      uint32_t even = 0, odd = 0; /* lanes (c, c + 2) and (c + 1, c + 3) */
      int32_t y;
      for (y = 0; y < rows; ++y, row += row_bytes) {
        const int8_t *px = row;
        const int8_t *const end = row + cols * c_n;
        for (; px != end; px += c_n) {
          const uint32_t word = tml_load4(px);
          even = __sxtab16(even, word);
          odd = (uint32_t)tml_sxtab16_ror8((int32_t)odd, word); /* tml_dot.h: bytes 1 and 3 */
        }
      }
      output[c] = tml_pool_average((int16_t)even, count, lo, hi);
      output[c + 1] = tml_pool_average((int16_t)odd, count, lo, hi);
      output[c + 2] = tml_pool_average((int32_t)even >> 16, count, lo, hi);
      output[c + 3] = tml_pool_average((int32_t)odd >> 16, count, lo, hi);
    }
  }
#endif
  for (; c < c_n; ++c) {
    output[c] = tml_pool_average(tml_pool_channel_sum(window + c, rows, cols, row_bytes, c_n), count, lo, hi);
  }
}

void tml_average_pool2d_s8(const tml_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->channels;
  const int32_t row_bytes = p->in_w * c_n;
  int32_t b, oy, ox;
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
        const int32_t rows = y1 > y0 ? y1 - y0 : 0, cols = x1 > x0 ? x1 - x0 : 0;
        tml_pool_pixel(p, in + y0 * row_bytes + x0 * c_n, rows, cols, output);
      }
    }
  }
}
