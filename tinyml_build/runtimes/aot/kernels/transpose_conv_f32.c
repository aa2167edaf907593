/* transpose_conv_f32.c -- TRANSPOSE_CONV float32 (TFLM reference_ops::TransposeConv, float): TFLM
 * scatters, and so does this kernel, because the order in which products reach an output element
 * is its rounding: the output is zeroed, then each input element (batch, row, column, channel in
 * order) adds input * weight to every output element its filter reaches; finally each output
 * gets its bias and the clamp. Filter rows and columns that land outside the output are skipped
 * as whole ranges, found once per input row / column; the weights are stored [k_h][k_w][in_c][out_c]
 * (transposed at build time) so that the innermost loop over output channels reads them in a row. */
#include "tml_kernels.h"

static void tml_tc_reach(int32_t origin, int32_t taps, int32_t size, int32_t *first, int32_t *end) {
  *first = origin < 0 ? -origin : 0;
  *end = origin + taps > size ? size - origin : taps;
}

void tml_transpose_conv_f32(const tml_transpose_conv_f32_params *p, const float *input, float *output) {
  const int32_t out_c = p->out_c, in_c = p->in_c;
  const int32_t out_row = p->out_w * out_c;
  const int32_t total = p->batches * p->out_h * out_row;
  int32_t i, b, iy, ix, ic, fy, fx, oc;
  for (i = 0; i < total; ++i) output[i] = 0.0f;
  for (b = 0; b < p->batches; ++b) {
    float *image = output + b * p->out_h * out_row;
    for (iy = 0; iy < p->in_h; ++iy) {
      const int32_t oy0 = iy * p->stride_h - p->pad_h;
      int32_t fy0, fy1;
      tml_tc_reach(oy0, p->k_h, p->out_h, &fy0, &fy1);
      for (ix = 0; ix < p->in_w; ++ix, input += in_c) {
        const int32_t ox0 = ix * p->stride_w - p->pad_w;
        int32_t fx0, fx1;
        tml_tc_reach(ox0, p->k_w, p->out_w, &fx0, &fx1);
        /* one output element meets this pixel's channels in order: (fy, fx) outside, ic inside keeps it */
        for (fy = fy0; fy < fy1; ++fy) {
          for (fx = fx0; fx < fx1; ++fx) {
            float *y = image + (oy0 + fy) * out_row + (ox0 + fx) * out_c;
            const float *w = p->weights + (fy * p->k_w + fx) * in_c * out_c;
            for (ic = 0; ic < in_c; ++ic, w += out_c) {
              const float x = input[ic];
              for (oc = 0; oc + 4 <= out_c; oc += 4) { /* four independent outputs per pass */
                y[oc] += x * w[oc];
                y[oc + 1] += x * w[oc + 1];
                y[oc + 2] += x * w[oc + 2];
                y[oc + 3] += x * w[oc + 3];
              }
              for (; oc < out_c; ++oc) y[oc] += x * w[oc];
            }
          }
        }
      }
    }
  }
  for (i = 0; i < total; i += out_c) {
    for (oc = 0; oc < out_c; ++oc) {
      const float acc = p->bias != NULL ? output[i + oc] + p->bias[oc] : output[i + oc];
      output[i + oc] = tml_activation_f32(acc, p->act_min, p->act_max);
    }
  }
}
