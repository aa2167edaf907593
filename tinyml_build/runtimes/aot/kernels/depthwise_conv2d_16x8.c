/* depthwise_conv2d_16x8.c -- DEPTHWISE_CONV_2D with int16 activations and int8 (per-channel) weights.
 *
 * TFLM's reference DepthwiseConvPerChannel for int16: an int64 accumulator per output channel,
 * taps outside the input omitted, an optional int64 bias, the 64-bit MultiplyByQuantizedMultiplier
 * and no zero points (the lowering requires them to be 0). Weights are TFLM's
 * [filter_h][filter_w][out_ch]; output channel oc reads input channel oc / depth_multiplier.
 *
 * Speed: the valid taps of a window are found once per output pixel, not tested per tap, and
 * products (|x * w| <= 2^22) are summed in int32 over at most RUN_MAX taps before being widened
 * to int64, which is exact.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#define RUN_MAX 256 /* 256 * 2^22 < 2^31: an int32 partial sum cannot overflow */

/* Valid filter taps [first, end) along one axis for a window starting at origin. */
static void valid_taps(int32_t origin, int32_t dilation, int32_t filter, int32_t in_size, int32_t *first,
                       int32_t *end) {
  int32_t f = 0, e = filter;
  if (origin < 0) f = (-origin + dilation - 1) / dilation;
  if (origin + (filter - 1) * dilation >= in_size) {
    e = in_size - origin <= 0 ? 0 : (in_size - origin - 1) / dilation + 1;
  }
  *first = f;
  *end = e > f ? e : f;
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
      valid_taps(iy0, p->dilation_h, p->filter_h, p->in_h, &fy0, &fy1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        int32_t fx0, fx1;
        const int16_t *x_first;
        const int8_t *w_first;
        valid_taps(ix0, p->dilation_w, p->filter_w, p->in_w, &fx0, &fx1);
        x_first = in_batch + (iy0 + fy0 * p->dilation_h) * in_row + (ptrdiff_t)(ix0 + fx0 * p->dilation_w) * in_ch;
        w_first = filter + fy0 * w_row + (ptrdiff_t)fx0 * out_ch;
        for (oc = 0; oc < out_ch; ++oc) {
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
