/* depthwise_conv2d_f32.c -- DEPTHWISE_CONV_2D float32 (TFLM reference_ops::DepthwiseConv, float):
 * output channel oc = ic * depth_multiplier + m sums input channel ic times weights[.., oc] from
 * 0.0f over the in-bounds taps (filter row, then column), adds the bias, clamps. The in-bounds
 * taps are a contiguous range of rows and columns, found once per output row / pixel; the sum
 * sees TFLM's products in TFLM's order. */
#include "tml_kernels.h"

static void tml_dw_tap_range(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *first,
                             int32_t *end) {
  int32_t k0 = 0, k1 = taps;
  while (k0 < taps && origin + dilation * k0 < 0) ++k0;
  while (k1 > k0 && origin + dilation * (k1 - 1) >= size) --k1;
  *first = k0;
  *end = k1;
}

void tml_depthwise_conv2d_f32(const tml_dwconv_f32_params *p, const float *input, float *output) {
  const int32_t row = p->in_w * p->in_c;
  const int32_t out_c = p->out_c;
  const float act_min = p->act_min, act_max = p->act_max;
  int32_t b, oy, ox, ic, m, fy, fx;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      int32_t fy0, fy1;
      tml_dw_tap_range(iy0, p->dilation_h, p->k_h, p->in_h, &fy0, &fy1);
      for (ox = 0; ox < p->out_w; ++ox, output += out_c) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        int32_t fx0, fx1;
        tml_dw_tap_range(ix0, p->dilation_w, p->k_w, p->in_w, &fx0, &fx1);
        for (ic = 0; ic < p->in_c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            float total = 0.0f;
            for (fy = fy0; fy < fy1; ++fy) {
              const float *x = image + (iy0 + p->dilation_h * fy) * row + ic;
              const float *w = p->weights + fy * p->k_w * out_c + oc;
              for (fx = fx0; fx < fx1; ++fx) total += x[(ix0 + p->dilation_w * fx) * p->in_c] * w[fx * out_c];
            }
            output[oc] = tml_activation_f32(total + (p->bias != NULL ? p->bias[oc] : 0.0f), act_min, act_max);
          }
        }
      }
    }
  }
}
