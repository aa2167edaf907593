/* depthwise_conv2d.c -- DEPTHWISE_CONV_2D, int8, per-channel, any depth multiplier.
 *
 * Bit-exact with TFLM reference_integer_ops::DepthwiseConvPerChannel. As in conv2d.c the input
 * zero point is folded into the bias; a tap outside the input points at `pad_row` (in_c bytes
 * of the zero point), so every output pixel runs the same branch-free loop over its k_h * k_w
 * tap pointers, four output channels at a time in registers. Accumulators of up to
 * TML_REQUANT_BLOCK channels are requantized together by tml_requant_s8.
 *
 * With depth multiplier 1 the weights are stored as [out_c / 4][k_h * k_w][4] (four channels'
 * weights of one tap in one word, the taps of a channel group consecutive; quantization.py
 * does not care, the lowering reorders them): on Armv7E-M one tap of four channels is then a
 * load of four inputs, a load of four weights, four SXTB16 and four 16x16 multiply-adds.
 */
#include "tml_dot.h"
#include "tml_requant.h"

/* Depth multiplier 1, channels [c0, c0 + n) (n <= TML_REQUANT_BLOCK; c0 and n multiples of 4 except
 * for the last block): acc[c - c0] = bias[c] + sum over taps of x[c] * w[c]. */
static void tml_depthwise_block_multiplier_1(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t ntaps,
                                             int32_t c0, int32_t n, int32_t *acc) {
  const int32_t *bias = p->bias + c0;
  const int8_t *w = p->weights + c0 * ntaps; /* channel group c0 / 4 */
  const int32_t groups = n >> 2;
  int32_t c = c0, i, t;
  for (i = 0; i < groups; ++i, c += 4, acc += 4, bias += 4) {
    int32_t acc0 = bias[0], acc1 = bias[1], acc2 = bias[2], acc3 = bias[3];
    const int8_t *const *tap = taps;
    for (t = 0; t < ntaps; ++t, w += 4) {
      const int8_t *x = *tap++ + c;
#if TML_HAVE_SIMD32
      const uint32_t xw = tml_load4(x), ww = tml_load4(w);
      const int32_t x_even = tml_sxtb16(xw), x_odd = tml_sxtb16_ror8(xw);
      const int32_t w_even = tml_sxtb16(ww), w_odd = tml_sxtb16_ror8(ww);
      acc0 = __smlabb(x_even, w_even, acc0);
      acc2 = __smlatt(x_even, w_even, acc2);
      acc1 = __smlabb(x_odd, w_odd, acc1);
      acc3 = __smlatt(x_odd, w_odd, acc3);
#else
      acc0 += x[0] * w[0];
      acc1 += x[1] * w[1];
      acc2 += x[2] * w[2];
      acc3 += x[3] * w[3];
#endif
    }
    acc[0] = acc0;
    acc[1] = acc1;
    acc[2] = acc2;
    acc[3] = acc3;
  }
  for (i = 0; i < (n & 3); ++i, ++c) { /* the last channels (out_c % 4): weights [tap][1] */
    int32_t sum = bias[i];
    const int8_t *wc = w + i * ntaps;
    for (t = 0; t < ntaps; ++t) {
      sum += taps[t][c] * wc[t];
    }
    acc[i] = sum;
  }
}

/* Depth multiplier m > 1 (weights [k_h * k_w][out_c] as in the model), output channels
 * [o0, o0 + n): output channel o reads input channel o / m. */
static void tml_depthwise_block_multiplier_n(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t ntaps,
                                             int32_t o0, int32_t n, int32_t *acc) {
  const int32_t oc = p->out_c;
  const int32_t m = p->depth_multiplier;
  int32_t i, t;
  for (i = 0; i < n; ++i) {
    const int32_t o = o0 + i;
    const int32_t c = o / m;
    const int8_t *w = p->weights + o;
    int32_t sum = p->bias[o];
    for (t = 0; t < ntaps; ++t, w += oc) {
      sum += taps[t][c] * *w;
    }
    acc[i] = sum;
  }
}

void tml_depthwise_conv2d_s8(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output, const int8_t **taps) {
  const int32_t ntaps = p->k_h * p->k_w;
  const int8_t *stack_taps[TML_DW_STACK_TAPS]; /* when the arena had no room for `taps` without growing */
  if (taps == NULL) {
    taps = stack_taps; /* ntaps <= TML_DW_STACK_TAPS: the lowering asked for optional scratch only */
  }
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;
  const int32_t dil_h = p->dilation_h, dil_w = p->dilation_w;
  const int32_t row_bytes = in_w * in_c;
  const int32_t oc = p->out_c;
  const int8_t *pad_row = p->pad_row;
  int32_t acc[TML_REQUANT_BLOCK];
  int32_t b, oy, ox, ky, kx, o0, n;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * in_h * row_bytes;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      const int rows_inside = iy0 >= 0 && iy0 + (k_h - 1) * dil_h < in_h;
      for (ox = 0; ox < p->out_w; ++ox, output += oc) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        const int8_t **tap = taps;
        if (rows_inside && ix0 >= 0 && ix0 + (k_w - 1) * dil_w < in_w) { /* the window is inside the input */
          const int8_t *row = in + iy0 * row_bytes + ix0 * in_c;
          for (ky = 0; ky < k_h; ++ky, row += dil_h * row_bytes) {
            const int8_t *x = row;
            for (kx = 0; kx < k_w; ++kx, x += dil_w * in_c) {
              *tap++ = x;
            }
          }
        } else {
          for (ky = 0; ky < k_h; ++ky) {
            const int32_t iy = iy0 + ky * dil_h;
            const int row_inside = iy >= 0 && iy < in_h;
            const int8_t *row = row_inside ? in + iy * row_bytes : in;
            for (kx = 0; kx < k_w; ++kx) {
              const int32_t ix = ix0 + kx * dil_w;
              *tap++ = (row_inside && ix >= 0 && ix < in_w) ? row + ix * in_c : pad_row;
            }
          }
        }
        for (o0 = 0; o0 < oc; o0 += n) {
          n = oc - o0 < TML_REQUANT_BLOCK ? oc - o0 : TML_REQUANT_BLOCK;
          if (p->depth_multiplier == 1) {
            tml_depthwise_block_multiplier_1(p, taps, ntaps, o0, n, acc);
          } else {
            tml_depthwise_block_multiplier_n(p, taps, ntaps, o0, n, acc);
          }
          tml_requant_s8(&p->out, o0, acc, n, output + o0);
        }
      }
    }
  }
}
