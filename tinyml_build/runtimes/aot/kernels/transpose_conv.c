/* transpose_conv.c -- quantized TRANSPOSE_CONV (int8, and int16 activations x int8 weights).
 *
 * TFLM scatters every input pixel into an int32/int64 scratch copy of the output. Here
 * each output pixel gathers instead: the filter taps that reach it are those with
 * (out + pad - tap) divisible by the stride, which gives a small rectangle of input pixels
 * and taps. Integer sums do not depend on order, so the result is identical, and no
 * scratch memory is needed. Weights are [out_ch][filter_h][filter_w][in_ch] (OHWI). The
 * int8 input zero point is folded per tap at build time (tap_offset), so the inner loops
 * are plain int8 dot products (SIMD on Armv7E-M, tml_dot.h), two output channels at once.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Taps of one spatial axis reaching output coordinate `out`: the first tap, the input
 * coordinate it reads (which decreases by one per further tap), and how many there are. */
typedef struct {
  int32_t first_tap;
  int32_t first_in;
  int32_t count;
} tap_range;

static tap_range taps_for(int32_t out, int32_t pad, int32_t stride, int32_t filter, int32_t in_size) {
  tap_range r;
  const int32_t t = out + pad;
  int32_t tap = t % stride;
  int32_t in = t / stride;
  if (in >= in_size) { /* skip taps that would read past the input's end */
    const int32_t skip = in - in_size + 1;
    tap += skip * stride;
    in -= skip;
  }
  r.first_tap = tap;
  r.first_in = in;
  r.count = 0;
  if (tap < filter && in >= 0) {
    const int32_t by_filter = (filter - 1 - tap) / stride + 1;
    const int32_t by_input = in + 1;
    r.count = by_filter < by_input ? by_filter : by_input;
  }
  return r;
}

static inline int8_t requantize_s8(const tml_transpose_conv_params *p, int32_t acc, int32_t oc) {
  const int32_t v =
      tml_multiply_by_quantized_multiplier(acc, p->multiplier[oc & p->channel_mask], p->shift[oc & p->channel_mask]) +
      p->output_offset;
  return (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
}

void tml_transpose_conv_s8(const tml_transpose_conv_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output) {
  const int32_t in_ch = p->in_ch;
  const int32_t taps = p->filter_h * p->filter_w;
  const ptrdiff_t in_row = (ptrdiff_t)p->in_w * in_ch;
  const ptrdiff_t filter_per_oc = (ptrdiff_t)taps * in_ch;
  int32_t b, oy, ox, oc;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_batch = input + (ptrdiff_t)b * p->in_h * in_row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const tap_range ry = taps_for(oy, p->pad_h, p->stride_h, p->filter_h, p->in_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const tap_range rx = taps_for(ox, p->pad_w, p->stride_w, p->filter_w, p->in_w);
        const int any = ry.count > 0 && rx.count > 0; /* else only the bias reaches this pixel */
        const int8_t *in_first = any ? in_batch + ry.first_in * in_row + (ptrdiff_t)rx.first_in * in_ch : in_batch;
        const int32_t tap_first = any ? ry.first_tap * p->filter_w + rx.first_tap : 0;
        oc = 0;
        for (; oc + 2 <= p->out_ch; oc += 2) { /* two output channels share each input load */
          int32_t acc0 = bias ? bias[oc] : 0, acc1 = bias ? bias[oc + 1] : 0, ky, kx;
          for (ky = 0; any && ky < ry.count; ++ky) {
            for (kx = 0; kx < rx.count; ++kx) {
              const int32_t tap = tap_first + ky * p->stride_h * p->filter_w + kx * p->stride_w;
              const int8_t *w0 = filter + oc * filter_per_oc + (ptrdiff_t)tap * in_ch;
              tml_dot2_s8(in_first - ky * in_row - kx * in_ch, w0, w0 + filter_per_oc, in_ch, &acc0, &acc1);
              if (p->tap_offset) {
                acc0 += p->tap_offset[oc * taps + tap];
                acc1 += p->tap_offset[(oc + 1) * taps + tap];
              }
            }
          }
          *output++ = requantize_s8(p, acc0, oc);
          *output++ = requantize_s8(p, acc1, oc + 1);
        }
        if (oc < p->out_ch) {
          int32_t acc = bias ? bias[oc] : 0, ky, kx;
          for (ky = 0; any && ky < ry.count; ++ky) {
            for (kx = 0; kx < rx.count; ++kx) {
              const int32_t tap = tap_first + ky * p->stride_h * p->filter_w + kx * p->stride_w;
              acc = tml_dot_s8(in_first - ky * in_row - kx * in_ch,
                               filter + oc * filter_per_oc + (ptrdiff_t)tap * in_ch, in_ch, acc);
              if (p->tap_offset) acc += p->tap_offset[oc * taps + tap];
            }
          }
          *output++ = requantize_s8(p, acc, oc);
        }
      }
    }
  }
}

/* *s0 += x . w0 and *s1 += x . w1 over n int16 x int8 products (int32 sums: n <= 256 keeps
 * them exact). SIMD32 cores do four products per channel with two SMLADs (tml_dot.h:
 * tml_dot4_s16x8), the inputs repacked once for both channels. */
static inline void dot2_s16x8(const int16_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *s0,
                              int32_t *s1) {
  int32_t a0 = *s0, a1 = *s1, i = 0;
#if TML_HAVE_SIMD32
  for (; i + 4 <= n; i += 4) {
    int32_t x_even, x_odd;
    tml_load_s16_pairs(x + i, &x_even, &x_odd);
    a0 = tml_dot4_s16x8(x_even, x_odd, w0 + i, a0);
    a1 = tml_dot4_s16x8(x_even, x_odd, w1 + i, a1);
  }
#endif
  for (; i < n; ++i) {
    const int32_t v = x[i];
    a0 += v * w0[i];
    a1 += v * w1[i];
  }
  *s0 = a0;
  *s1 = a1;
}

#define RUN_MAX 256 /* products per int32 partial sum: 256 * 2^22 < 2^31 */

static inline int16_t requantize_s16(const tml_transpose_conv_params *p, int64_t acc, int32_t oc) {
  const int32_t v = tml_multiply_by_quantized_multiplier_i64(acc, p->multiplier[oc & p->channel_mask],
                                                             p->shift[oc & p->channel_mask]);
  return (int16_t)tml_clamp_i32(v, p->act_min, p->act_max);
}

void tml_transpose_conv_s16(const tml_transpose_conv_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output) {
  const int32_t in_ch = p->in_ch;
  const ptrdiff_t in_row = (ptrdiff_t)p->in_w * in_ch;
  const ptrdiff_t tap_step_y = (ptrdiff_t)p->stride_h * p->filter_w * in_ch;
  const ptrdiff_t tap_step_x = (ptrdiff_t)p->stride_w * in_ch;
  const ptrdiff_t filter_per_oc = (ptrdiff_t)p->filter_h * p->filter_w * in_ch;
  int32_t b, oy, ox, oc;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * in_row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const tap_range ry = taps_for(oy, p->pad_h, p->stride_h, p->filter_h, p->in_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const tap_range rx = taps_for(ox, p->pad_w, p->stride_w, p->filter_w, p->in_w);
        const int any = ry.count > 0 && rx.count > 0; /* else only the bias reaches this pixel */
        const int16_t *in_first = any ? in_batch + ry.first_in * in_row + (ptrdiff_t)rx.first_in * in_ch : in_batch;
        const ptrdiff_t filter_first = any ? ((ptrdiff_t)ry.first_tap * p->filter_w + rx.first_tap) * in_ch : 0;
        for (oc = 0; oc < p->out_ch; oc += 2) { /* two output channels share each input load */
          const int pair = oc + 1 < p->out_ch;
          const int8_t *w0_first = filter + oc * filter_per_oc + filter_first;
          const int8_t *w1_first = pair ? w0_first + filter_per_oc : w0_first;
          int64_t acc0 = bias ? bias[oc] : 0, acc1 = pair && bias ? bias[oc + 1] : 0;
          int32_t ky, kx, c;
          for (ky = 0; any && ky < ry.count; ++ky) {
            for (kx = 0; kx < rx.count; ++kx) {
              const int16_t *x = in_first - ky * in_row - kx * in_ch;
              const ptrdiff_t w_off = ky * tap_step_y + kx * tap_step_x;
              for (c = 0; c < in_ch; c += RUN_MAX) {
                const int32_t n = in_ch - c < RUN_MAX ? in_ch - c : RUN_MAX;
                int32_t s0 = 0, s1 = 0;
                dot2_s16x8(x + c, w0_first + w_off + c, w1_first + w_off + c, n, &s0, &s1);
                acc0 += s0;
                acc1 += s1;
              }
            }
          }
          *output++ = requantize_s16(p, acc0, oc);
          if (pair) *output++ = requantize_s16(p, acc1, oc + 1);
        }
      }
    }
  }
}
