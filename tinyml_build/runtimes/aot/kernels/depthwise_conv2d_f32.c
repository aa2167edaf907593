/* depthwise_conv2d_f32.c -- DEPTHWISE_CONV_2D float32 (TFLM reference_ops::DepthwiseConv, float):
 * output channel oc = ic * depth_multiplier + m sums input channel ic times weights[.., oc] from
 * 0.0f over the in-bounds taps (filter row, then column), adds the bias, clamps.
 * Same products in the same order, faster: the in-bounds taps are a contiguous range of rows and
 * columns, found once per output row / pixel, and four neighbouring output channels are summed side by
 * side (four separate sums): their weights are neighbours in every tap, and so are their inputs with
 * depth multiplier 1 (the fastest form; above 1, each sum reads input channel oc / multiplier). */
#include "tml_kernels.h"
#include "tml_window.h"

typedef struct {
  const float *image; /* the batch's input */
  int32_t row, fy0, fy1, fx0, fx1, iy0, ix0;
} tml_dw_f32_taps;

/* Sums of output channels oc..oc+3 of depth multiplier 1: input channels oc..oc+3. */
static void tml_dw_f32_sum4(const tml_dwconv_f32_params *p, const tml_dw_f32_taps *t, int32_t oc, float sums[4]) {
  const int32_t x_step = p->dilation_w * p->in_c, w_step = p->out_c;
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t fy, fx;
  for (fy = t->fy0; fy < t->fy1; ++fy) {
    const float *x =
        t->image + (t->iy0 + p->dilation_h * fy) * t->row + (t->ix0 + p->dilation_w * t->fx0) * p->in_c + oc;
    const float *w = p->weights + (fy * p->k_w + t->fx0) * w_step + oc;
    for (fx = t->fx0; fx < t->fx1; ++fx, x += x_step, w += w_step) {
      s0 += x[0] * w[0];
      s1 += x[1] * w[1];
      s2 += x[2] * w[2];
      s3 += x[3] * w[3];
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

/* Sums of output channels oc..oc+3 of a depth multiplier above 1: input channels (oc + j) / multiplier. */
static void tml_dw_f32_sum4_multiplied(const tml_dwconv_f32_params *p, const tml_dw_f32_taps *t, int32_t oc,
                                       float sums[4]) {
  const int32_t x_step = p->dilation_w * p->in_c, w_step = p->out_c, mult = p->depth_multiplier;
  const int32_t c0 = oc / mult, c1 = (oc + 1) / mult, c2 = (oc + 2) / mult, c3 = (oc + 3) / mult;
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t fy, fx;
  for (fy = t->fy0; fy < t->fy1; ++fy) {
    const float *x = t->image + (t->iy0 + p->dilation_h * fy) * t->row + (t->ix0 + p->dilation_w * t->fx0) * p->in_c;
    const float *w = p->weights + (fy * p->k_w + t->fx0) * w_step + oc;
    for (fx = t->fx0; fx < t->fx1; ++fx, x += x_step, w += w_step) {
      s0 += x[c0] * w[0];
      s1 += x[c1] * w[1];
      s2 += x[c2] * w[2];
      s3 += x[c3] * w[3];
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

/* The sum of output channel oc, reading input channel oc / depth_multiplier. */
static float tml_dw_f32_sum1(const tml_dwconv_f32_params *p, const tml_dw_f32_taps *t, int32_t oc) {
  const int32_t x_step = p->dilation_w * p->in_c, w_step = p->out_c;
  const int32_t ic = oc / p->depth_multiplier;
  float total = 0.0f;
  int32_t fy, fx;
  for (fy = t->fy0; fy < t->fy1; ++fy) {
    const float *x =
        t->image + (t->iy0 + p->dilation_h * fy) * t->row + (t->ix0 + p->dilation_w * t->fx0) * p->in_c + ic;
    const float *w = p->weights + (fy * p->k_w + t->fx0) * w_step + oc;
    for (fx = t->fx0; fx < t->fx1; ++fx, x += x_step, w += w_step) total += *x * *w;
  }
  return total;
}

/* Bias and clamp of four sums into out[0..3]. */
static void tml_dw_f32_store4(const float sums[4], const float *bias, float act_min, float act_max, float *out) {
  int32_t j;
  for (j = 0; j < 4; ++j) out[j] = tml_activation_f32(sums[j] + (bias != NULL ? bias[j] : 0.0f), act_min, act_max);
}

void tml_depthwise_conv2d_f32(const tml_dwconv_f32_params *p, const float *input, float *output) {
  const int32_t out_c = p->out_c, mult = p->depth_multiplier;
  const float act_min = p->act_min, act_max = p->act_max;
  tml_dw_f32_taps t;
  float sums[4];
  int32_t b, oy, ox, oc;
  t.row = p->in_w * p->in_c;
  for (b = 0; b < p->batches; ++b) {
    t.image = input + b * p->in_h * t.row;
    for (oy = 0; oy < p->out_h; ++oy) {
      t.iy0 = oy * p->stride_h - p->pad_h;
      tml_valid_taps(t.iy0, p->dilation_h, p->k_h, p->in_h, &t.fy0, &t.fy1);
      for (ox = 0; ox < p->out_w; ++ox, output += out_c) {
        t.ix0 = ox * p->stride_w - p->pad_w;
        tml_valid_taps(t.ix0, p->dilation_w, p->k_w, p->in_w, &t.fx0, &t.fx1);
        oc = 0;
        if (mult == 1) {
          for (; oc + 4 <= out_c; oc += 4) {
            tml_dw_f32_sum4(p, &t, oc, sums);
            tml_dw_f32_store4(sums, p->bias != NULL ? p->bias + oc : NULL, act_min, act_max, output + oc);
          }
        } else {
          for (; oc + 4 <= out_c; oc += 4) {
            tml_dw_f32_sum4_multiplied(p, &t, oc, sums);
            tml_dw_f32_store4(sums, p->bias != NULL ? p->bias + oc : NULL, act_min, act_max, output + oc);
          }
        }
        for (; oc < out_c; ++oc) {
          const float v = tml_dw_f32_sum1(p, &t, oc);
          output[oc] = tml_activation_f32(v + (p->bias != NULL ? p->bias[oc] : 0.0f), act_min, act_max);
        }
      }
    }
  }
}
