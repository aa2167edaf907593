/* depthwise_conv2d.c -- DEPTHWISE_CONV_2D, int8, per-channel, any depth multiplier.
 *
 * Bit-exact with TFLM reference_integer_ops::DepthwiseConvPerChannel. As in conv2d.c the input
 * zero point is folded into the bias; a tap outside the input points at `pad_row` (in_c bytes
 * of the zero point), so every output pixel runs the same branch-free loop over its k_h * k_w
 * tap pointers, four output channels at a time in registers.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* The per-output epilogue's inputs, copied out of the params so that int8 output stores (which
 * may alias anything) do not force reloads. */
typedef struct {
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t offset, lo, hi;
} tml_dw_epilogue;

static inline int8_t tml_dw_requantize(const tml_dw_epilogue *e, int32_t acc, int32_t o) {
  const int32_t v = tml_mbqm(acc, e->multiplier[o], e->shift[o]) + e->offset;
  return (int8_t)(v < e->lo ? e->lo : (v > e->hi ? e->hi : v));
}

/* Depth multiplier 1: output channel c reads input channel c. */
static void tml_dw_pixel_m1(const tml_dwconv_s8_params *p, const tml_dw_epilogue *e, const int8_t *const *taps,
                            int32_t ntaps, int8_t *out) {
  const int32_t oc = p->out_c;
  const int32_t *bias = p->bias;
  const int8_t *weights = p->weights;
  int32_t c = 0, t;
  for (; c + 4 <= oc; c += 4) {
    int32_t acc0 = bias[c], acc1 = bias[c + 1], acc2 = bias[c + 2], acc3 = bias[c + 3];
    const int8_t *w = weights + c;
    for (t = 0; t < ntaps; ++t, w += oc) {
      const int8_t *x = taps[t] + c;
      acc0 += x[0] * w[0];
      acc1 += x[1] * w[1];
      acc2 += x[2] * w[2];
      acc3 += x[3] * w[3];
    }
    out[c] = tml_dw_requantize(e, acc0, c);
    out[c + 1] = tml_dw_requantize(e, acc1, c + 1);
    out[c + 2] = tml_dw_requantize(e, acc2, c + 2);
    out[c + 3] = tml_dw_requantize(e, acc3, c + 3);
  }
  for (; c < oc; ++c) {
    int32_t acc = bias[c];
    const int8_t *w = weights + c;
    for (t = 0; t < ntaps; ++t, w += oc) {
      acc += taps[t][c] * *w;
    }
    out[c] = tml_dw_requantize(e, acc, c);
  }
}

/* Depth multiplier m > 1: output channels c*m .. c*m+m-1 all read input channel c. */
static void tml_dw_pixel_mn(const tml_dwconv_s8_params *p, const tml_dw_epilogue *e, const int8_t *const *taps,
                            int32_t ntaps, int8_t *out) {
  const int32_t oc = p->out_c;
  const int32_t m = p->depth_multiplier;
  const int32_t in_c = p->in_c;
  const int32_t *bias = p->bias;
  const int8_t *weights = p->weights;
  int32_t c, j, t;
  for (c = 0; c < in_c; ++c) {
    const int32_t o0 = c * m;
    for (j = 0; j + 4 <= m; j += 4) {
      const int32_t o = o0 + j;
      int32_t acc0 = bias[o], acc1 = bias[o + 1], acc2 = bias[o + 2], acc3 = bias[o + 3];
      const int8_t *w = weights + o;
      for (t = 0; t < ntaps; ++t, w += oc) {
        const int32_t x = taps[t][c];
        acc0 += x * w[0];
        acc1 += x * w[1];
        acc2 += x * w[2];
        acc3 += x * w[3];
      }
      out[o] = tml_dw_requantize(e, acc0, o);
      out[o + 1] = tml_dw_requantize(e, acc1, o + 1);
      out[o + 2] = tml_dw_requantize(e, acc2, o + 2);
      out[o + 3] = tml_dw_requantize(e, acc3, o + 3);
    }
    for (; j < m; ++j) {
      const int32_t o = o0 + j;
      int32_t acc = bias[o];
      const int8_t *w = weights + o;
      for (t = 0; t < ntaps; ++t, w += oc) {
        acc += taps[t][c] * *w;
      }
      out[o] = tml_dw_requantize(e, acc, o);
    }
  }
}

void tml_depthwise_conv2d_s8(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output, const int8_t **taps) {
  const int32_t ntaps = p->k_h * p->k_w;
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;
  const int32_t dil_h = p->dilation_h, dil_w = p->dilation_w;
  const int32_t row_bytes = in_w * in_c;
  const int8_t *pad_row = p->pad_row;
  tml_dw_epilogue e;
  int32_t b, oy, ox, ky, kx;
  e.multiplier = p->multiplier;
  e.shift = p->shift;
  e.offset = p->output_offset;
  e.lo = p->act_min;
  e.hi = p->act_max;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * in_h * row_bytes;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        const int8_t **tap = taps;
        for (ky = 0; ky < k_h; ++ky) {
          const int32_t iy = iy0 + ky * dil_h;
          const int row_inside = iy >= 0 && iy < in_h;
          const int8_t *row = row_inside ? in + iy * row_bytes : in;
          for (kx = 0; kx < k_w; ++kx) {
            const int32_t ix = ix0 + kx * dil_w;
            *tap++ = (row_inside && ix >= 0 && ix < in_w) ? row + ix * in_c : pad_row;
          }
        }
        if (p->depth_multiplier == 1) {
          tml_dw_pixel_m1(p, &e, taps, ntaps, output);
        } else {
          tml_dw_pixel_mn(p, &e, taps, ntaps, output);
        }
      }
    }
  }
}
