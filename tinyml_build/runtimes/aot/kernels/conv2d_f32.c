/* conv2d_f32.c -- CONV_2D float32 (TFLM reference_ops::Conv, float): for each output pixel and
 * channel, a float sum from 0.0f over the in-bounds taps (filter row, column, input channel of
 * the group, in that order), plus the bias, clamped.
 * Same products, same order, so the same rounding, faster: the in-bounds taps of a dilated window
 * are a contiguous range of filter rows and columns, computed once per output row / pixel instead
 * of testing every tap; four output channels of a group are summed side by side (four separate
 * sums, each in TFLM's order), so each input value is loaded once for four products. */
#include "tml_kernels.h"
#include "tml_window.h"

typedef struct {
  const float *pixel0; /* input pixel (0, 0) of the batch, at the group's first channel */
  int32_t row, fy0, fy1, fx0, fx1, iy0, ix0;
} tml_conv_f32_taps;

/* Four sums: output channels oc..oc+3 (weights `filter`, filter_size apart). */
static void tml_conv_f32_sum4(const tml_conv_f32_params *p, const tml_conv_f32_taps *t, const float *filter,
                              float sums[4]) {
  const int32_t fic = p->filter_in_c, filter_size = p->k_h * p->k_w * fic;
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t fy, fx, ic;
  for (fy = t->fy0; fy < t->fy1; ++fy) {
    const float *in_row = t->pixel0 + (t->iy0 + p->dilation_h * fy) * t->row;
    for (fx = t->fx0; fx < t->fx1; ++fx) {
      const float *x = in_row + (t->ix0 + p->dilation_w * fx) * p->in_c;
      const float *w0 = filter + (fy * p->k_w + fx) * fic;
      const float *w1 = w0 + filter_size, *w2 = w1 + filter_size, *w3 = w2 + filter_size;
      for (ic = 0; ic < fic; ++ic) {
        const float v = x[ic];
        s0 += v * w0[ic];
        s1 += v * w1[ic];
        s2 += v * w2[ic];
        s3 += v * w3[ic];
      }
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

static float tml_conv_f32_sum1(const tml_conv_f32_params *p, const tml_conv_f32_taps *t, const float *filter) {
  const int32_t fic = p->filter_in_c;
  float total = 0.0f;
  int32_t fy, fx, ic;
  for (fy = t->fy0; fy < t->fy1; ++fy) {
    const float *in_row = t->pixel0 + (t->iy0 + p->dilation_h * fy) * t->row;
    for (fx = t->fx0; fx < t->fx1; ++fx) {
      const float *x = in_row + (t->ix0 + p->dilation_w * fx) * p->in_c;
      const float *w = filter + (fy * p->k_w + fx) * fic;
      for (ic = 0; ic < fic; ++ic) total += x[ic] * w[ic];
    }
  }
  return total;
}

void tml_conv2d_f32(const tml_conv_f32_params *p, const float *input, float *output) {
  const int32_t fic = p->filter_in_c;
  const int32_t per_group = p->out_c / (p->in_c / fic);
  const int32_t filter_size = p->k_h * p->k_w * fic;
  const float act_min = p->act_min, act_max = p->act_max;
  tml_conv_f32_taps t;
  int32_t b, oy, ox, oc, j;
  t.row = p->in_w * p->in_c;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * t.row;
    for (oy = 0; oy < p->out_h; ++oy) {
      t.iy0 = oy * p->stride_h - p->pad_h;
      tml_valid_taps(t.iy0, p->dilation_h, p->k_h, p->in_h, &t.fy0, &t.fy1);
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        t.ix0 = ox * p->stride_w - p->pad_w;
        tml_valid_taps(t.ix0, p->dilation_w, p->k_w, p->in_w, &t.fx0, &t.fx1);
        for (oc = 0; oc < p->out_c;) {
          const int32_t group_end = (oc / per_group + 1) * per_group;
          float sums[4];
          t.pixel0 = image + (oc / per_group) * fic;
          for (; oc + 4 <= group_end; oc += 4) {
            tml_conv_f32_sum4(p, &t, p->weights + oc * filter_size, sums);
            for (j = 0; j < 4; ++j) {
              const float v = sums[j] + (p->bias != NULL ? p->bias[oc + j] : 0.0f);
              output[oc + j] = tml_activation_f32(v, act_min, act_max);
            }
          }
          for (; oc < group_end; ++oc) {
            const float v = tml_conv_f32_sum1(p, &t, p->weights + oc * filter_size);
            output[oc] = tml_activation_f32(v + (p->bias != NULL ? p->bias[oc] : 0.0f), act_min, act_max);
          }
        }
      }
    }
  }
}
