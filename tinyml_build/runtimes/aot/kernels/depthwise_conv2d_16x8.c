/* depthwise_conv2d_16x8.c -- DEPTHWISE_CONV_2D with int16 activations and int8 (per-channel) weights.
 *
 * TFLM's reference DepthwiseConvPerChannel for int16: an int64 accumulator per output channel,
 * taps outside the input omitted, an optional int64 bias, the 64-bit MultiplyByQuantizedMultiplier
 * and no zero points (the lowering requires them to be 0). Weights are TFLM's
 * [filter_h][filter_w][out_ch]; output channel oc reads input channel oc / depth_multiplier.
 *
 * Speed: the valid taps of a window are found once per output pixel, not tested per tap, and
 * products (|x * w| <= 2^22) are summed in int32 over at most RUN_MAX taps before being widened
 * to int64, which is exact. With depth multiplier 1 and at most RUN_MAX taps, four adjacent
 * channels are summed together in registers, tap by tap (their inputs and weights are adjacent):
 * on SIMD32 cores one word of weights and two of inputs feed four SMLAxy (tml_dot.h's
 * sign extensions), about 3.5 instructions per MAC; other layers take the per-channel loop.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"
#include "tml_window.h"

#define RUN_MAX 256 /* 256 * 2^22 < 2^31: an int32 partial sum cannot overflow */

/* Where the taps of one output pixel are: `rows` x `cols` valid taps, the first at x / w. */
typedef struct {
  const int16_t *x;
  const int8_t *w;
  int32_t rows, cols;
  ptrdiff_t x_step, x_row, w_step, w_row;
} taps;

/* sums[0..3] = the products of channels 0..3 (from t->x, t->w) over every tap; <= RUN_MAX taps. */
static void sum4(const taps *t, int32_t sums[4]) {
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, r, c;
  const int16_t *xr = t->x;
  const int8_t *wr = t->w;
  for (r = 0; r < t->rows; ++r, xr += t->x_row, wr += t->w_row) {
    const int16_t *x = xr;
    const int8_t *w = wr;
    for (c = 0; c < t->cols; ++c, x += t->x_step, w += t->w_step) {
#if TML_HAVE_SIMD32
      uint32_t x01, x23;
      const uint32_t word = tml_load4(w);
      const int32_t w02 = tml_sxtb16(word), w13 = tml_sxtb16_ror8(word);
      memcpy(&x01, x, 4);
      memcpy(&x23, x + 2, 4);
      s0 = __smlabb((int32_t)x01, w02, s0);
      s1 = __smlatb((int32_t)x01, w13, s1);
      s2 = __smlabt((int32_t)x23, w02, s2);
      s3 = __smlatt((int32_t)x23, w13, s3);
#else
      s0 += x[0] * w[0];
      s1 += x[1] * w[1];
      s2 += x[2] * w[2];
      s3 += x[3] * w[3];
#endif
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

void tml_depthwise_conv2d_s16x8(const tml_dwconv16x8_params *p, const int16_t *input, const int8_t *filter,
                                const int64_t *bias, int16_t *output) {
  const int32_t in_ch = p->in_ch, out_ch = p->out_ch, m = p->depth_multiplier;
  const ptrdiff_t in_row = (ptrdiff_t)p->in_w * in_ch;
  const ptrdiff_t x_step = (ptrdiff_t)p->dilation_w * in_ch, x_row = (ptrdiff_t)p->dilation_h * in_row;
  const ptrdiff_t w_row = (ptrdiff_t)p->filter_w * out_ch;
  int32_t b, oy, ox, oc, fy, fx;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * in_row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      int32_t fy0, fy1;
      tml_valid_taps(iy0, p->dilation_h, p->filter_h, p->in_h, &fy0, &fy1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        int32_t fx0, fx1;
        const int16_t *x_first;
        const int8_t *w_first;
        tml_valid_taps(ix0, p->dilation_w, p->filter_w, p->in_w, &fx0, &fx1);
        x_first = in_batch + (iy0 + fy0 * p->dilation_h) * in_row + (ptrdiff_t)(ix0 + fx0 * p->dilation_w) * in_ch;
        w_first = filter + fy0 * w_row + (ptrdiff_t)fx0 * out_ch;
        oc = 0;
        if (m == 1 && (fy1 - fy0) * (fx1 - fx0) <= RUN_MAX) {
          taps t;
          t.rows = fy1 - fy0;
          t.cols = fx1 - fx0;
          t.x_step = x_step, t.x_row = x_row, t.w_step = out_ch, t.w_row = w_row;
          for (; oc + 4 <= out_ch; oc += 4) {
            int32_t sums[4], k;
            t.x = x_first + oc;
            t.w = w_first + oc;
            sum4(&t, sums);
            for (k = 0; k < 4; ++k) {
              const int32_t channel = oc + k;
              const int64_t acc = (int64_t)sums[k] + (bias ? bias[channel] : 0);
              const int32_t v = tml_multiply_by_quantized_multiplier_i64(acc, p->multiplier[channel & p->channel_mask],
                                                                         p->shift[channel & p->channel_mask]);
              *output++ = (int16_t)tml_clamp_i32(v, p->act_min, p->act_max);
            }
          }
        }
        for (; oc < out_ch; ++oc) {
          const int16_t *xr = x_first + oc / m;
          const int8_t *wr = w_first + oc;
          int64_t acc = 0;
          int32_t sum = 0, pending = 0, v;
          for (fy = fy0; fy < fy1; ++fy, xr += x_row, wr += w_row) {
            const int16_t *x = xr;
            const int8_t *w = wr;
            for (fx = fx0; fx < fx1; ++fx, x += x_step, w += out_ch) {
              sum += *x * *w;
              if (++pending == RUN_MAX) {
                acc += sum;
                sum = 0;
                pending = 0;
              }
            }
          }
          acc += sum;
          if (bias) acc += bias[oc];
          v = tml_multiply_by_quantized_multiplier_i64(acc, p->multiplier[oc & p->channel_mask],
                                                       p->shift[oc & p->channel_mask]);
          *output++ = (int16_t)tml_clamp_i32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
