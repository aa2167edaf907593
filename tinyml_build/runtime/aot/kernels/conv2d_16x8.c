/* conv2d_16x8.c -- CONV_2D with int16 activations and int8 (per-channel) weights.
 *
 * TFLM's 16x8 reference accumulates in int64 when the bias is int64 (rescaled with the
 * 64-bit MultiplyByQuantizedMultiplier) and in int32 when the bias is int32. int16 tensors
 * have zero points of 0, so no offsets are involved. Supports strides, dilation, padding
 * and grouped convolution. Weights are [out_ch][filter_h][filter_w][filter_in_ch].
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Valid filter taps [first, end) along one axis for an output whose window starts at origin. */
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

#define TML_CONV16X8(name, acc_type, bias_type, rescale)                                                        \
  void name(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter, const bias_type *bias,   \
            int16_t *output) {                                                                                   \
    const int32_t fin = p->filter_in_ch;                                                                         \
    const int32_t per_group = p->out_ch / (p->in_ch / fin);                                                      \
    const ptrdiff_t in_row = (ptrdiff_t)p->in_w * p->in_ch;                                                      \
    const ptrdiff_t w_row = (ptrdiff_t)p->filter_w * fin;                                                        \
    const ptrdiff_t w_per_oc = (ptrdiff_t)p->filter_h * w_row;                                                   \
    int32_t b, oy, ox, oc;                                                                                       \
    for (b = 0; b < p->batches; ++b) {                                                                           \
      const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * in_row;                                         \
      for (oy = 0; oy < p->out_h; ++oy) {                                                                        \
        const int32_t iy0 = oy * p->stride_h - p->pad_h;                                                         \
        int32_t fy0, fy1;                                                                                        \
        valid_taps(iy0, p->dilation_h, p->filter_h, p->in_h, &fy0, &fy1);                                        \
        for (ox = 0; ox < p->out_w; ++ox) {                                                                      \
          const int32_t ix0 = ox * p->stride_w - p->pad_w;                                                       \
          int32_t fx0, fx1;                                                                                      \
          valid_taps(ix0, p->dilation_w, p->filter_w, p->in_w, &fx0, &fx1);                                      \
          for (oc = 0; oc < p->out_ch; ++oc) {                                                                   \
            const int16_t *in_oc = in_batch + (oc / per_group) * fin;                                            \
            const int8_t *w_oc = filter + oc * w_per_oc;                                                         \
            acc_type acc = 0;                                                                                    \
            int32_t fy, fx, c, v;                                                                                \
            for (fy = fy0; fy < fy1; ++fy) {                                                                     \
              const int16_t *x_row = in_oc + (iy0 + fy * p->dilation_h) * in_row;                               \
              for (fx = fx0; fx < fx1; ++fx) {                                                                   \
                const int16_t *x = x_row + (ptrdiff_t)(ix0 + fx * p->dilation_w) * p->in_ch;                     \
                const int8_t *w = w_oc + fy * w_row + fx * fin;                                                  \
                for (c = 0; c < fin; ++c) acc += (int32_t)x[c] * w[c];                                           \
              }                                                                                                  \
            }                                                                                                    \
            if (bias) acc += bias[oc];                                                                           \
            v = rescale(acc, p->multiplier[oc], p->shift[oc]);                                                   \
            *output++ = (int16_t)tml_clamp_i32(v, p->act_min, p->act_max);                                       \
          }                                                                                                      \
        }                                                                                                        \
      }                                                                                                          \
    }                                                                                                            \
  }

TML_CONV16X8(tml_conv2d_s16x8_acc64, int64_t, int64_t, tml_mbqm64)
TML_CONV16X8(tml_conv2d_s16x8_acc32, int32_t, int32_t, tml_mbqm)
