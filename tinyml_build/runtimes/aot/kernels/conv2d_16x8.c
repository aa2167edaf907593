/* conv2d_16x8.c -- CONV_2D with int16 activations and int8 (per-channel) weights.
 *
 * TFLM's 16x8 reference accumulates in int64 when the bias is int64 (rescaled with the
 * 64-bit MultiplyByQuantizedMultiplier) and in int32 when the bias is int32. int16 tensors
 * have zero points of 0, so no offsets are involved. Supports strides, dilation, padding
 * and grouped convolution. Weights are [out_ch][filter_h][filter_w][filter_in_ch].
 *
 * Speed: four output channels of a pixel are accumulated together, so each input value is
 * loaded once per four products. The taps of a filter row that fall inside the input are a
 * list of runs (one run when dilation_w == 1 and there are no groups). Products
 * (|x * w| <= 2^22) are summed in int32 registers and widened to int64 at most every 256
 * products, which is exact. For the int32 path, the low 32 bits of the int64 sum are exactly
 * TFLM's (wrapping) int32 accumulator.
 *
 * Single-group convolutions take the patch path (tml_conv2d_s16x8_patch_*): the receptive field
 * of one output pixel is a contiguous int16 patch (im2col for one pixel, zeros where TFLM skips
 * taps outside the input: int16 zero points are 0), column-major so that consecutive pixels share
 * its columns (TML_CONV16X8_PATCHES), then every output channel is one long dot product over the
 * whole filter_h * filter_w * in_ch patch, four channels per pass over the weights the lowering
 * laid out in FULLY_CONNECTED 16x8's order (tml_dot.h: tml_dot4_rows_s16x8, int32 partial sums
 * widened every TML_S16X8_RUN_MAX products). Why: with short filter rows (conv0: 7 taps x 2
 * channels) the per-run set-up of the path above cost more than its products.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"
#include "tml_window.h"

#include <string.h>

#define RUN_MAX TML_S16X8_RUN_MAX /* 256 * 2^22 < 2^31: an int32 partial sum cannot overflow */

/* Where the products of one output pixel come from: `runs` runs of `run` contiguous
 * products per filter row, input runs x_step apart within a row, weights w_step apart. */
typedef struct {
  const int16_t *x; /* first input value of the first valid filter row */
  const int8_t *w;  /* matching weight of channel oc */
  int32_t rows, runs, run;
  ptrdiff_t x_step, w_step, x_row, w_row;
} window;

/* Four channels of a window with at most RUN_MAX products: int32 sums throughout. On cores
 * with SIMD32, four products per channel take two SMLADs (tml_dot.h: tml_dot4_s16x8), the
 * inputs repacked once for the four channels. */
static void accumulate4_small(const window *g, ptrdiff_t w_per_oc, int64_t acc[4]) {
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, row, r, i;
  const int32_t n = g->run;
  const int16_t *x_row = g->x;
  const int8_t *w_row = g->w;
  for (row = 0; row < g->rows; ++row, x_row += g->x_row, w_row += g->w_row) {
    const int16_t *x = x_row;
    const int8_t *w = w_row;
    for (r = 0; r < g->runs; ++r, x += g->x_step, w += g->w_step) {
      const int8_t *w1 = w + w_per_oc, *w2 = w1 + w_per_oc, *w3 = w2 + w_per_oc;
      i = 0;
#if TML_HAVE_SIMD32
      for (; i + 4 <= n; i += 4) {
        int32_t x_even, x_odd;
        tml_load_s16_pairs(x + i, &x_even, &x_odd);
        s0 = tml_dot4_s16x8(x_even, x_odd, w + i, s0);
        s1 = tml_dot4_s16x8(x_even, x_odd, w1 + i, s1);
        s2 = tml_dot4_s16x8(x_even, x_odd, w2 + i, s2);
        s3 = tml_dot4_s16x8(x_even, x_odd, w3 + i, s3);
      }
#endif
      for (; i < n; ++i) {
        const int32_t v = x[i];
        s0 += v * w[i];
        s1 += v * w1[i];
        s2 += v * w2[i];
        s3 += v * w3[i];
      }
    }
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}

/* acc[0..3] (int64) += the products of channels oc .. oc + 3 (weights w_per_oc apart). */
static void accumulate4(const window *g, ptrdiff_t w_per_oc, int64_t acc[4]) {
  int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, pending = 0, row, r, i;
  const int16_t *x_row = g->x;
  const int8_t *w_row = g->w;
  for (row = 0; row < g->rows; ++row, x_row += g->x_row, w_row += g->w_row) {
    const int16_t *x = x_row;
    const int8_t *w = w_row;
    for (r = 0; r < g->runs; ++r, x += g->x_step, w += g->w_step) {
      int32_t done = 0;
      while (done < g->run) {
        const int32_t n = g->run - done < RUN_MAX ? g->run - done : RUN_MAX;
        const int16_t *xp = x + done;
        const int8_t *w0 = w + done, *w1 = w0 + w_per_oc, *w2 = w1 + w_per_oc, *w3 = w2 + w_per_oc;
        if (pending + n > RUN_MAX) {
          a0 += s0, a1 += s1, a2 += s2, a3 += s3;
          s0 = s1 = s2 = s3 = 0;
          pending = 0;
        }
        for (i = 0; i < n; ++i) {
          const int32_t v = xp[i];
          s0 += v * w0[i];
          s1 += v * w1[i];
          s2 += v * w2[i];
          s3 += v * w3[i];
        }
        pending += n;
        done += n;
      }
    }
  }
  acc[0] = a0 + s0;
  acc[1] = a1 + s1;
  acc[2] = a2 + s2;
  acc[3] = a3 + s3;
}

/* The same for one channel. */
static int64_t accumulate1(const window *g) {
  int64_t a = 0;
  int32_t row, r, i;
  const int16_t *x_row = g->x;
  const int8_t *w_row = g->w;
  for (row = 0; row < g->rows; ++row, x_row += g->x_row, w_row += g->w_row) {
    const int16_t *x = x_row;
    const int8_t *w = w_row;
    for (r = 0; r < g->runs; ++r, x += g->x_step, w += g->w_step) {
      int32_t done = 0;
      while (done < g->run) {
        const int32_t n = g->run - done < RUN_MAX ? g->run - done : RUN_MAX;
        int32_t s = 0;
        for (i = 0; i < n; ++i) s += x[done + i] * w[done + i];
        a += s;
        done += n;
      }
    }
  }
  return a;
}

/* Calls emit(k, acc) for every output channel k of the pixel at (oy, ox), in order. */
#define TML_CONV16X8_PIXELS(emit)                                                                                  \
  const int32_t fin = p->filter_in_ch, in_ch = p->in_ch, out_ch = p->out_ch;                                       \
  const int32_t per_group = out_ch / (in_ch / fin);                                                                \
  const int contiguous = p->dilation_w == 1 && fin == in_ch;                                                       \
  const int small = p->filter_h * p->filter_w * fin <= RUN_MAX; /* no int32 partial sum can overflow */            \
  const ptrdiff_t in_row = (ptrdiff_t)p->in_w * in_ch;                                                             \
  const ptrdiff_t w_frow = (ptrdiff_t)p->filter_w * fin;                                                           \
  const ptrdiff_t w_per_oc = (ptrdiff_t)p->filter_h * w_frow;                                                      \
  int32_t b, oy, ox, oc;                                                                                           \
  for (b = 0; b < p->batches; ++b) {                                                                               \
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * in_row;                                             \
    for (oy = 0; oy < p->out_h; ++oy) {                                                                            \
      const int32_t iy0 = oy * p->stride_h - p->pad_h;                                                             \
      int32_t fy0, fy1;                                                                                            \
      tml_valid_taps(iy0, p->dilation_h, p->filter_h, p->in_h, &fy0, &fy1);                                        \
      for (ox = 0; ox < p->out_w; ++ox) {                                                                          \
        const int32_t ix0 = ox * p->stride_w - p->pad_w;                                                           \
        int32_t fx0, fx1;                                                                                          \
        window g;                                                                                                  \
        tml_valid_taps(ix0, p->dilation_w, p->filter_w, p->in_w, &fx0, &fx1);                                      \
        g.rows = fy1 - fy0;                                                                                        \
        g.runs = contiguous ? (fx1 > fx0) : fx1 - fx0;                                                             \
        g.run = contiguous ? (fx1 - fx0) * fin : fin;                                                              \
        g.x_step = (ptrdiff_t)p->dilation_w * in_ch;                                                               \
        g.w_step = fin;                                                                                            \
        g.x_row = (ptrdiff_t)p->dilation_h * in_row;                                                               \
        g.w_row = w_frow;                                                                                          \
        for (oc = 0; oc < out_ch;) {                                                                               \
          const int32_t group_left = per_group - oc % per_group;                                                   \
          int64_t acc[4];                                                                                          \
          int32_t count, k;                                                                                        \
          g.x = in_batch + (iy0 + fy0 * p->dilation_h) * in_row + (ptrdiff_t)(ix0 + fx0 * p->dilation_w) * in_ch + \
                (oc / per_group) * fin;                                                                            \
          g.w = filter + oc * w_per_oc + fy0 * w_frow + fx0 * fin;                                                 \
          if (group_left >= 4 && out_ch - oc >= 4) {                                                               \
            if (small) {                                                                                           \
              accumulate4_small(&g, w_per_oc, acc);                                                                \
            } else {                                                                                               \
              accumulate4(&g, w_per_oc, acc);                                                                      \
            }                                                                                                      \
            count = 4;                                                                                             \
          } else {                                                                                                 \
            acc[0] = accumulate1(&g);                                                                              \
            count = 1;                                                                                             \
          }                                                                                                        \
          for (k = 0; k < count; ++k, ++oc) emit(oc, acc[k]);                                                      \
        }                                                                                                          \
      }                                                                                                            \
    }                                                                                                              \
  }

/* The output stage of channel `channel` of the current pixel: add the bias, rescale, clamp, store.
 * EMIT64: TFLM's int64 accumulator; EMIT32: TFLM's int32 accumulator wraps, so keep the low 32
 * bits and add the bias with wrap-around. Both read p, bias, act_min, act_max and advance output. */
#define EMIT64(channel, sum)                                                                                    \
  {                                                                                                             \
    const int64_t total = (sum) + (bias ? bias[channel] : 0);                                                   \
    const int32_t v = tml_multiply_by_quantized_multiplier_i64(total, p->multiplier[(channel)&p->channel_mask], \
                                                               p->shift[(channel)&p->channel_mask]);            \
    *output++ = (int16_t)tml_clamp_i32(v, act_min, act_max);                                                    \
  }
#define EMIT32(channel, sum)                                                                                       \
  {                                                                                                                \
    const uint32_t low = (uint32_t)(uint64_t)(sum) + (uint32_t)(bias ? bias[channel] : 0);                         \
    const int32_t v = tml_multiply_by_quantized_multiplier((int32_t)low, p->multiplier[(channel)&p->channel_mask], \
                                                           p->shift[(channel)&p->channel_mask]);                   \
    *output++ = (int16_t)tml_clamp_i32(v, act_min, act_max);                                                       \
  }

void tml_conv2d_s16x8_acc64(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
  TML_CONV16X8_PIXELS(EMIT64)
}

void tml_conv2d_s16x8_acc32(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int32_t *bias, int16_t *output) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
  TML_CONV16X8_PIXELS(EMIT32)
}

/* ---- the patch path ------------------------------------------------------------------------ */

static inline void zero_s16(int16_t *dst, int32_t n) {
  for (; n > 0; --n) *dst++ = 0;
}

/* n int16 values from src to dst and to dst + mirror, a word (two values) per load: inlined, where
 * a library memcpy call of a few bytes costs more than the copy. */
static inline void copy_s16_twice(int16_t *dst, ptrdiff_t mirror, const int16_t *src, int32_t n) {
  for (; n >= 2; n -= 2, src += 2, dst += 2) {
    uint32_t v;
    memcpy(&v, src, 4);
    memcpy(dst, &v, 4);
    memcpy(dst + mirror, &v, 4);
  }
  if (n) dst[0] = dst[mirror] = src[0];
}

/* Input column ic of the current output row's window rows into a patch column at dst and at
 * dst + mirror: filter_h * in_ch values, row by row (filter rows [fy0, fy1) are inside the input,
 * row fy0 at input + row; the others, and columns outside the input, are 0 as TFLM skips them). */
static void load_column(const tml_conv16x8_params *p, const int16_t *input, ptrdiff_t row, int32_t fy0, int32_t fy1,
                        int32_t ic, int16_t *dst, ptrdiff_t mirror) {
  const int32_t in_ch = p->in_ch, col_len = p->filter_h * in_ch;
  const ptrdiff_t row_step = (ptrdiff_t)p->dilation_h * p->in_w * in_ch;
  int32_t fy;
  if (ic < 0 || ic >= p->in_w || fy0 >= fy1) {
    zero_s16(dst, col_len);
    zero_s16(dst + mirror, col_len);
    return;
  }
  zero_s16(dst, fy0 * in_ch);
  zero_s16(dst + mirror, fy0 * in_ch);
  zero_s16(dst + fy1 * in_ch, col_len - fy1 * in_ch);
  zero_s16(dst + mirror + fy1 * in_ch, col_len - fy1 * in_ch);
  row += (ptrdiff_t)ic * in_ch;
  for (fy = fy0, dst += fy0 * in_ch; fy < fy1; ++fy, dst += in_ch, row += row_step) {
    copy_s16_twice(dst, mirror, input + row, in_ch);
  }
}

/* Calls emit(k, acc) for every output channel k of every pixel, in order. The patch is column-major
 * (filter column, filter row, channel; the lowering transposes the weights to match) and, for
 * dilation_w 1, a mirrored ring of 2 * filter_w columns: input column ic sits in column
 * (ic - first) % filter_w and filter_w columns further, so every window is filter_w consecutive
 * columns and the next pixel loads only the stride_w columns it adds. A 1-row window with
 * dilation_w 1 wholly inside the input is read in place. Four channels per tml_dot4_rows_s16x8,
 * the last out_ch % 4 one at a time. */
#define TML_CONV16X8_PATCHES(emit)                                                                        \
  const int32_t depth = p->filter_h * p->filter_w * p->in_ch, out_ch = p->out_ch, fw = p->filter_w;       \
  const int32_t col_len = p->filter_h * p->in_ch, first = -p->pad_w;                                      \
  const ptrdiff_t in_row = (ptrdiff_t)p->in_w * p->in_ch, in_image = p->in_h * in_row, mirror = depth;    \
  const int in_place_rows = p->filter_h == 1 && (p->dilation_w == 1 || fw == 1);                          \
  int16_t stack_patch[TML_CONV16X8_STACK_PATCH];                                                          \
  int32_t b, oy, ox, oc;                                                                                  \
  if (patch == NULL) patch = stack_patch; /* 2 * depth <= TML_CONV16X8_STACK_PATCH: optional scratch */   \
  for (b = 0; b < p->batches; ++b) {                                                                      \
    for (oy = 0; oy < p->out_h; ++oy) {                                                                   \
      const int32_t iy0 = oy * p->stride_h - p->pad_h;                                                    \
      int32_t fy0, fy1, next = first; /* the first input column the ring does not hold yet */             \
      ptrdiff_t row;                                                                                      \
      tml_valid_taps(iy0, p->dilation_h, p->filter_h, p->in_h, &fy0, &fy1);                               \
      row = b * in_image + (iy0 + fy0 * p->dilation_h) * in_row;                                          \
      for (ox = 0; ox < p->out_w; ++ox) {                                                                 \
        const int32_t ix0 = ox * p->stride_w - p->pad_w;                                                  \
        const int16_t *x;                                                                                 \
        const int8_t *w = weights;                                                                        \
        int32_t ic;                                                                                       \
        if (in_place_rows && fy0 == 0 && fy1 == 1 && ix0 >= 0 && ix0 + fw <= p->in_w) {                   \
          x = input + row + (ptrdiff_t)ix0 * p->in_ch;                                                    \
        } else if (p->dilation_w == 1) {                                                                  \
          for (ic = ix0 > next ? ix0 : next; ic < ix0 + fw; ++ic) {                                       \
            load_column(p, input, row, fy0, fy1, ic, patch + (ic - first) % fw * col_len, mirror);        \
          }                                                                                               \
          next = ix0 + fw;                                                                                \
          x = patch + (ix0 - first) % fw * col_len;                                                       \
        } else {                                                                                          \
          for (ic = 0; ic < fw; ++ic) {                                                                   \
            load_column(p, input, row, fy0, fy1, ix0 + ic * p->dilation_w, patch + ic * col_len, mirror); \
          }                                                                                               \
          x = patch;                                                                                      \
        }                                                                                                 \
        for (oc = 0; oc + 4 <= out_ch; oc += 4, w += 4 * depth) {                                         \
          int64_t acc[4];                                                                                 \
          tml_dot4_rows_s16x8(x, w, depth, acc);                                                          \
          emit(oc, acc[0]);                                                                               \
          emit(oc + 1, acc[1]);                                                                           \
          emit(oc + 2, acc[2]);                                                                           \
          emit(oc + 3, acc[3]);                                                                           \
        }                                                                                                 \
        for (; oc < out_ch; ++oc, w += depth) emit(oc, tml_dot_row_s16x8(x, w, depth));                   \
      }                                                                                                   \
    }                                                                                                     \
  }

void tml_conv2d_s16x8_patch_acc64(const tml_conv16x8_params *p, const int16_t *input, const int8_t *weights,
                                  const int64_t *bias, int16_t *output, int16_t *patch) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
  TML_CONV16X8_PATCHES(EMIT64)
}

void tml_conv2d_s16x8_patch_acc32(const tml_conv16x8_params *p, const int16_t *input, const int8_t *weights,
                                  const int32_t *bias, int16_t *output, int16_t *patch) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
  TML_CONV16X8_PATCHES(EMIT32)
}
