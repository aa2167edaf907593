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
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"
#include "tml_window.h"

#define RUN_MAX 256 /* 256 * 2^22 < 2^31: an int32 partial sum cannot overflow */

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

void tml_conv2d_s16x8_acc64(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
#define EMIT64(channel, sum)                                                                                    \
  {                                                                                                             \
    const int64_t total = (sum) + (bias ? bias[channel] : 0);                                                   \
    const int32_t v = tml_multiply_by_quantized_multiplier_i64(total, p->multiplier[(channel)&p->channel_mask], \
                                                               p->shift[(channel)&p->channel_mask]);            \
    *output++ = (int16_t)tml_clamp_i32(v, act_min, act_max);                                                    \
  }
  TML_CONV16X8_PIXELS(EMIT64)
#undef EMIT64
}

void tml_conv2d_s16x8_acc32(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int32_t *bias, int16_t *output) {
  const int32_t act_min = p->act_min, act_max = p->act_max;
  /* TFLM's int32 accumulator wraps: keep the low 32 bits, add the bias with wrap-around */
#define EMIT32(channel, sum)                                                                                       \
  {                                                                                                                \
    const uint32_t low = (uint32_t)(uint64_t)(sum) + (uint32_t)(bias ? bias[channel] : 0);                         \
    const int32_t v = tml_multiply_by_quantized_multiplier((int32_t)low, p->multiplier[(channel)&p->channel_mask], \
                                                           p->shift[(channel)&p->channel_mask]);                   \
    *output++ = (int16_t)tml_clamp_i32(v, act_min, act_max);                                                       \
  }
  TML_CONV16X8_PIXELS(EMIT32)
#undef EMIT32
}
