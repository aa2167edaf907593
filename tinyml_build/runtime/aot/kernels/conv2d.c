/* conv2d.c -- CONV_2D, int8 activations and weights, per-channel requantization.
 *
 * Bit-exact with TFLM reference_integer_ops::ConvPerChannel. The reference computes
 * bias + sum((x - zp) * w) over the taps inside the input; here the input zero point is folded
 * into the bias at build time (bias - zp * sum(w)) and taps outside the input read zp itself,
 * so acc = bias' + sum(x * w) over all taps is the same integer. Each output pixel's receptive
 * field is one contiguous row of k_h * k_w * filter_in_c bytes (read in place for 1x1
 * convolutions, gathered into `im2col` otherwise), and every output channel is one dot
 * product with its weight row, two channels per pass.
 */
#include <string.h>

#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int8_t tml_conv_requantize(const tml_conv_s8_params *p, int32_t acc, int32_t o) {
  const int32_t v = tml_mbqm(acc, p->multiplier[o], p->shift[o]) + p->output_offset;
  return (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
}

/* out[o] for o in [oc_begin, oc_end): dot(row, weights[o]) over k bytes, requantized. */
static void tml_conv_row(const tml_conv_s8_params *p, const int8_t *row, int32_t k, int32_t oc_begin, int32_t oc_end,
                         int8_t *out) {
  const int8_t *w = p->weights + oc_begin * k;
  int32_t o = oc_begin;
  for (; o + 2 <= oc_end; o += 2, w += 2 * k) {
    int32_t acc0 = p->bias[o];
    int32_t acc1 = p->bias[o + 1];
    tml_dot2_s8(row, w, w + k, k, &acc0, &acc1);
    out[o] = tml_conv_requantize(p, acc0, o);
    out[o + 1] = tml_conv_requantize(p, acc1, o + 1);
  }
  if (o < oc_end) {
    out[o] = tml_conv_requantize(p, tml_dot_s8(row, w, k, p->bias[o]), o);
  }
}

static inline void tml_copy_bytes(int8_t *dst, const int8_t *src, int32_t n) {
  if (n >= 16) {
    memcpy(dst, src, (size_t)n);
  } else {
    for (; n > 0; --n) {
      *dst++ = *src++;
    }
  }
}

static inline void tml_fill_bytes(int8_t *dst, int8_t value, int32_t n) {
  for (; n > 0; --n) {
    *dst++ = value;
  }
}

/* Gather the receptive field of the output pixel whose window starts at (iy0, ix0), channels
 * [c0, c0 + fic), into col; taps outside the input become the input zero point. */
static void tml_im2col(const tml_conv_s8_params *p, const int8_t *in, int32_t iy0, int32_t ix0, int32_t c0, int8_t *col) {
  const int32_t fic = p->filter_in_c;
  const int32_t row_bytes = p->in_w * p->in_c;
  const int8_t zp = (int8_t)p->input_zero_point;
  const int32_t ix_last = ix0 + (p->k_w - 1) * p->dilation_w;
  const int contiguous = p->dilation_w == 1 && fic == p->in_c && ix0 >= 0 && ix_last < p->in_w;
  int32_t ky, kx;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dilation_h;
    if (iy < 0 || iy >= p->in_h) {
      tml_fill_bytes(col, zp, p->k_w * fic);
      col += p->k_w * fic;
      continue;
    }
    if (contiguous) { /* the whole kernel row is one run of input bytes */
      tml_copy_bytes(col, in + iy * row_bytes + ix0 * p->in_c, p->k_w * fic);
      col += p->k_w * fic;
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx, col += fic) {
      const int32_t ix = ix0 + kx * p->dilation_w;
      if (ix < 0 || ix >= p->in_w) {
        tml_fill_bytes(col, zp, fic);
      } else {
        tml_copy_bytes(col, in + iy * row_bytes + ix * p->in_c + c0, fic);
      }
    }
  }
}

void tml_conv2d_s8(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col) {
  const int32_t groups = p->in_c / p->filter_in_c;
  const int32_t oc_per_group = p->out_c / groups;
  const int32_t k = p->k_h * p->k_w * p->filter_in_c;
  int32_t b, oy, ox, g;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        if (im2col == NULL) { /* 1x1, no padding, one group: the input pixel is the row */
          tml_conv_row(p, in + (iy0 * p->in_w + ix0) * p->in_c, k, 0, p->out_c, output);
          continue;
        }
        for (g = 0; g < groups; ++g) {
          tml_im2col(p, in, iy0, ix0, g * p->filter_in_c, im2col);
          tml_conv_row(p, im2col, k, g * oc_per_group, (g + 1) * oc_per_group, output);
        }
      }
    }
  }
}
