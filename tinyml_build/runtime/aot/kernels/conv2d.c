/* conv2d.c -- CONV_2D, int8 activations and weights, per-channel requantization.
 *
 * Bit-exact with TFLM reference_integer_ops::ConvPerChannel. The reference computes
 * bias + sum((x - zp) * w) over the taps inside the input; here the input zero point is folded
 * into the bias at build time (bias - zp * sum(w)) and taps outside the input read zp itself,
 * so acc = bias' + sum(x * w) over all taps is the same integer. Each output pixel's receptive
 * field is one contiguous row of k_h * k_w * filter_in_c bytes (read in place for 1x1
 * convolutions, gathered into `im2col` otherwise), and every output channel is one dot
 * product with its weight row. Two output pixels times two output channels are computed per
 * pass (each input and weight word is loaded once for two products).
 */
#include <string.h>

#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Everything the per-output epilogue needs, copied out of the params so that the int8 output
 * stores (which may alias anything) do not force the compiler to reload it. */
typedef struct {
  const int32_t *bias;
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t offset, lo, hi;
} tml_conv_epilogue;

static inline int8_t tml_conv_requantize(const tml_conv_epilogue *e, int32_t acc, int32_t o) {
  const int32_t v = tml_mbqm(acc, e->multiplier[o], e->shift[o]) + e->offset;
  return (int8_t)(v < e->lo ? e->lo : (v > e->hi ? e->hi : v));
}

/* out[o] for o in [oc_begin, oc_end): dot(row, w[o]) over k bytes, requantized. */
static void tml_conv_row(tml_conv_epilogue e, const int8_t *weights, const int8_t *row, int32_t k, int32_t oc_begin,
                         int32_t oc_end, int8_t *out) {
  const int8_t *w = weights + oc_begin * k;
  int32_t o = oc_begin;
  for (; o + 2 <= oc_end; o += 2, w += 2 * k) {
    int32_t acc0 = e.bias[o];
    int32_t acc1 = e.bias[o + 1];
    tml_dot2_s8(row, w, w + k, k, &acc0, &acc1);
    out[o] = tml_conv_requantize(&e, acc0, o);
    out[o + 1] = tml_conv_requantize(&e, acc1, o + 1);
  }
  if (o < oc_end) {
    out[o] = tml_conv_requantize(&e, tml_dot_s8(row, w, k, e.bias[o]), o);
  }
}

/* The same for two pixels at once: rows r0, r1 -> out0, out1 (two channels per pass). */
static void tml_conv_row2(tml_conv_epilogue e, const int8_t *weights, const int8_t *r0, const int8_t *r1, int32_t k,
                          int32_t oc_begin, int32_t oc_end, int8_t *out0, int8_t *out1) {
  const int8_t *w = weights + oc_begin * k;
  int32_t o = oc_begin;
  for (; o + 2 <= oc_end; o += 2, w += 2 * k) {
    int32_t acc[4];
    acc[0] = acc[2] = e.bias[o];
    acc[1] = acc[3] = e.bias[o + 1];
    tml_dot2x2_s8(r0, r1, w, w + k, k, acc);
    out0[o] = tml_conv_requantize(&e, acc[0], o);
    out0[o + 1] = tml_conv_requantize(&e, acc[1], o + 1);
    out1[o] = tml_conv_requantize(&e, acc[2], o);
    out1[o + 1] = tml_conv_requantize(&e, acc[3], o + 1);
  }
  if (o < oc_end) {
    int32_t acc0 = e.bias[o];
    int32_t acc1 = e.bias[o];
    tml_dot2_s8(w, r0, r1, k, &acc0, &acc1);
    out0[o] = tml_conv_requantize(&e, acc0, o);
    out1[o] = tml_conv_requantize(&e, acc1, o);
  }
}

static inline void tml_copy_bytes(int8_t *dst, const int8_t *src, int32_t n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    memcpy(dst, src, 4); /* one word load and store (unaligned access is fine on Cortex-M3+) */
  }
  for (; n > 0; --n) {
    *dst++ = *src++;
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
  const int32_t pixels = p->out_h * p->out_w;
  int8_t *col1 = im2col != NULL ? im2col + k : NULL;
  tml_conv_epilogue e;
  int32_t b, i, g;
  e.bias = p->bias;
  e.multiplier = p->multiplier;
  e.shift = p->shift;
  e.offset = p->output_offset;
  e.lo = p->act_min;
  e.hi = p->act_max;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->in_h * p->in_w * p->in_c;
    int32_t oy = 0, ox = 0; /* position of output pixel i */
    for (i = 0; i < pixels; i += 2) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
      int8_t *out0 = output + i * p->out_c;
      int32_t iy1, ix1;
      if (++ox == p->out_w) {
        ox = 0;
        ++oy;
      }
      if (i + 1 == pixels) { /* odd pixel count: the last pixel alone */
        for (g = 0; g < groups; ++g) {
          const int8_t *row = in + (iy0 * p->in_w + ix0) * p->in_c;
          if (im2col != NULL) {
            tml_im2col(p, in, iy0, ix0, g * p->filter_in_c, im2col);
            row = im2col;
          }
          tml_conv_row(e, p->weights, row, k, g * oc_per_group, (g + 1) * oc_per_group, out0);
        }
        break;
      }
      iy1 = oy * p->stride_h - p->pad_h;
      ix1 = ox * p->stride_w - p->pad_w;
      if (++ox == p->out_w) {
        ox = 0;
        ++oy;
      }
      for (g = 0; g < groups; ++g) {
        const int8_t *r0 = in + (iy0 * p->in_w + ix0) * p->in_c;
        const int8_t *r1 = in + (iy1 * p->in_w + ix1) * p->in_c;
        if (im2col != NULL) { /* gather both receptive fields; NULL: 1x1, the pixels are the rows */
          tml_im2col(p, in, iy0, ix0, g * p->filter_in_c, im2col);
          tml_im2col(p, in, iy1, ix1, g * p->filter_in_c, col1);
          r0 = im2col;
          r1 = col1;
        }
        tml_conv_row2(e, p->weights, r0, r1, k, g * oc_per_group, (g + 1) * oc_per_group, out0, out0 + p->out_c);
      }
    }
    output += pixels * p->out_c;
  }
}
