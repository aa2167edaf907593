/* conv2d_f32.c -- CONV_2D float32 (TFLM reference_ops::Conv, float): for each output pixel and
 * channel, a float sum from 0.0f over the in-bounds taps (filter row, column, input channel of
 * the group, in that order), plus the bias, clamped. The in-bounds taps of a dilated window are
 * a contiguous range of filter rows and columns: computed once per output row / pixel instead of
 * testing every tap; the sum sees the same products in the same order, so the same rounding. */
#include "tml_kernels.h"

/* First and one-past-last filter index whose tap origin + dilation * k lies in [0, size). */
static void tml_tap_range(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *first, int32_t *end) {
  int32_t k0 = 0, k1 = taps;
  while (k0 < taps && origin + dilation * k0 < 0) ++k0;
  while (k1 > k0 && origin + dilation * (k1 - 1) >= size) --k1;
  *first = k0;
  *end = k1;
}

void tml_conv2d_f32(const tml_conv_f32_params *p, const float *input, float *output) {
  const int32_t fic = p->filter_in_c;
  const int32_t per_group = p->out_c / (p->in_c / fic);
  const int32_t row = p->in_w * p->in_c;
  const int32_t filter_size = p->k_h * p->k_w * fic;
  const float act_min = p->act_min, act_max = p->act_max;
  int32_t b, oy, ox, oc, fy, fx, ic;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      int32_t fy0, fy1;
      tml_tap_range(iy0, p->dilation_h, p->k_h, p->in_h, &fy0, &fy1);
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        int32_t fx0, fx1;
        tml_tap_range(ix0, p->dilation_w, p->k_w, p->in_w, &fx0, &fx1);
        for (oc = 0; oc < p->out_c; ++oc) {
          const float *filter = p->weights + oc * filter_size;
          const float *pixel0 = image + (oc / per_group) * fic;
          float total = 0.0f;
          for (fy = fy0; fy < fy1; ++fy) {
            const float *in_row = pixel0 + (iy0 + p->dilation_h * fy) * row;
            for (fx = fx0; fx < fx1; ++fx) {
              const float *x = in_row + (ix0 + p->dilation_w * fx) * p->in_c;
              const float *w = filter + (fy * p->k_w + fx) * fic;
              for (ic = 0; ic < fic; ++ic) total += x[ic] * w[ic];
            }
          }
          output[oc] = tml_activation_f32(total + (p->bias != NULL ? p->bias[oc] : 0.0f), act_min, act_max);
        }
      }
    }
  }
}
