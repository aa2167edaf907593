/* depthwise_conv2d.c -- DEPTHWISE_CONV_2D, int8, per-channel, any depth multiplier.
 *
 * Bit-exact with TFLM reference_integer_ops::DepthwiseConvPerChannel. As in conv2d.c the input
 * zero point is folded into the bias; a tap outside the input points at `pad_row` (in_c bytes
 * of the zero point), so every output pixel runs the same branch-free loop over its k_h * k_w
 * tap pointers, four output channels at a time in registers.
 *
 * A depthwise output value has only k_h * k_w MACs (9 in nearly every layer), so what decides
 * the speed is the cost per tap and per output around them:
 * - the tap pointers are set once per row for the pixels whose window is inside the input (the
 *   next pixel reads through the same pointers plus stride_w * in_c bytes), per pixel only at
 *   the border;
 * - with depth multiplier 1 the weights are stored as [out_c / 4][k_h * k_w][4] (four channels'
 *   weights of one tap in one word, the taps of a channel group consecutive; quantization.py
 *   does not care, the lowering reorders them), so one tap of four channels is a word load of
 *   inputs and of weights, four SXTB16 and four 16x16 multiply-adds on Armv7E-M;
 * - 3x3 with multiplier 1 and whole groups of four channels (the layers of kws, person_detect,
 *   MobileNets) has its nine taps unrolled in inline asm (11 instructions per tap and group of
 *   four, where GCC's own schedule spilled to 13-15) and each group requantized while its four
 *   accumulators are still in registers;
 * - everything else sums blocks of up to TML_REQUANT_BLOCK channels, then tml_requant_s8.
 */
#include "tml_dot.h"
#include "tml_requant.h"

/* acc[0..3] += the products of one tap of four channels: inputs x[0..3] times weights w[0..3]. On
 * Armv7E-M one word load of each, four SXTB16 and four 16x16 multiply-adds. */
static inline void tml_depthwise_tap4(const int8_t *x, const int8_t *w, int32_t *acc0, int32_t *acc1, int32_t *acc2,
                                      int32_t *acc3) {
#if TML_HAVE_SIMD32
  const uint32_t xw = tml_load4(x), ww = tml_load4(w);
  const int32_t x_even = tml_sxtb16(xw), x_odd = tml_sxtb16_ror8(xw);
  const int32_t w_even = tml_sxtb16(ww), w_odd = tml_sxtb16_ror8(ww);
  *acc0 = __smlabb(x_even, w_even, *acc0);
  *acc2 = __smlatt(x_even, w_even, *acc2);
  *acc1 = __smlabb(x_odd, w_odd, *acc1);
  *acc3 = __smlatt(x_odd, w_odd, *acc3);
#else
  *acc0 += x[0] * w[0];
  *acc1 += x[1] * w[1];
  *acc2 += x[2] * w[2];
  *acc3 += x[3] * w[3];
#endif
}

#if TML_HAVE_SIMD32 && defined(__GNUC__)
typedef struct {
  const int8_t *tap[9];
} tml_dw_taps9; /* the nine tap pointers as one object, for the asm's memory operand */

/* Tap K (a literal) of a 3x3 window for channels c..c+3: acc += the input word at taps[K] + c
 * times the weight word at w + 4K, loads included, in one asm statement: eleven instructions,
 * four scratch registers, the tap pointer and the weights read at fixed offsets. Written out
 * because GCC schedules the loads of several taps ahead, then spills accumulators and the tap
 * addresses (12-15 instructions per tap). The "m" operand tells it the nine tap pointers are
 * read (they were just stored); w is 4-aligned (whole words of an aligned weight array). */
#define TML_DW_TAP4_3X3(K)                                                                                    \
  do {                                                                                                        \
    int32_t x_, x_even_, w_, w_even_;                                                                         \
    __asm__("ldr %[x_even], [%[taps], #(4 * " #K ")]\n\t"                                                     \
            "ldr %[x], [%[x_even], %[c]]\n\t"                                                                 \
            "ldr %[ww], [%[w], #(4 * " #K ")]\n\t"                                                            \
            "sxtb16 %[w_even], %[ww]\n\t"                                                                     \
            "sxtb16 %[ww], %[ww], ror #8\n\t"                                                                 \
            "sxtb16 %[x_even], %[x]\n\t"                                                                      \
            "sxtb16 %[x], %[x], ror #8\n\t"                                                                   \
            "smlabb %[a0], %[x_even], %[w_even], %[a0]\n\t"                                                   \
            "smlatt %[a2], %[x_even], %[w_even], %[a2]\n\t"                                                   \
            "smlabb %[a1], %[x], %[ww], %[a1]\n\t"                                                            \
            "smlatt %[a3], %[x], %[ww], %[a3]"                                                                \
            : [x] "=&r"(x_), [x_even] "=&r"(x_even_), [ww] "=&r"(w_), [w_even] "=&r"(w_even_), [a0] "+r"(a0), \
              [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3)                                                     \
            : [taps] "r"(taps), [w] "r"(w), [c] "r"(c), "m"(*(const tml_dw_taps9 *)(const void *)taps));      \
  } while (0)
#else
#define TML_DW_TAP4_3X3(K) tml_depthwise_tap4(taps[K] + c, w + 4 * (K), &a0, &a1, &a2, &a3)
#endif

/* The nine taps of one group of four channels: a0..a3 += the products (taps, w, c as above). */
#define TML_DW_GROUP_3X3() \
  do {                     \
    TML_DW_TAP4_3X3(0);    \
    TML_DW_TAP4_3X3(1);    \
    TML_DW_TAP4_3X3(2);    \
    TML_DW_TAP4_3X3(3);    \
    TML_DW_TAP4_3X3(4);    \
    TML_DW_TAP4_3X3(5);    \
    TML_DW_TAP4_3X3(6);    \
    TML_DW_TAP4_3X3(7);    \
    TML_DW_TAP4_3X3(8);    \
  } while (0)

/* Depth multiplier 1, 3x3 (nearly every depthwise layer), `groups` groups of four channels from c:
 * the nine taps unrolled, so tap pointers and weights are read at fixed offsets (one load each,
 * no loop counter): 11 instructions per tap of four channels on Armv7E-M. */
static void tml_depthwise_groups_3x3(const int8_t *w, const int32_t *bias, const int8_t *const *taps, int32_t c,
                                     int32_t groups, int32_t *acc) {
  for (; groups > 0; --groups, c += 4, w += 36, bias += 4, acc += 4) {
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    TML_DW_GROUP_3X3();
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  }
}

/* How tml_depthwise_out requantizes: the ways of tml_requant_s8, the same operations, so the same bits. */
enum {
  TML_DW_FAST = 0,       /* every channel rshift >= 0, no activation clamp beyond int8 */
  TML_DW_FAST_CLAMP = 1, /* every channel rshift >= 0, clamped to [lo, hi] */
  TML_DW_GENERAL = 2     /* some channel rshift < 0: tml_requant, then the clamp */
};

/* One output of an accumulator: (multiplier, rshift) at s, k = 1 + 2 * offset (output zero point). */
static inline int8_t tml_depthwise_out(int32_t acc, const int32_t *s, int32_t k, int32_t offset, int32_t lo, int32_t hi,
                                       int form) {
  if (form == TML_DW_GENERAL) {
    return tml_clamp_s8(tml_requant(acc, s[0], s[1], offset), lo, hi);
  }
  const int32_t t = (tml_requant_high(acc, s[0]) >> s[1]) + k;
  return form == TML_DW_FAST_CLAMP ? tml_clamp_s8(t >> 1, lo, hi) : tml_half_saturated_s8(t);
}

/* Depth multiplier 1, 3x3, out_c a multiple of 4: `count` output pixels of one row that read the
 * input through the same taps, pixel i at byte offset i * step, each group of four channels
 * requantized as soon as it is summed (the four accumulators never leave registers): a depthwise
 * output has only nine MACs, and a separate requantization pass over stored accumulators cost
 * about as much as the MACs on small layers. s = the (multiplier, rshift) pairs of channels 0..3,
 * s_step = 8 (per-channel) or 0 (one pair, repeated four times). Inlined once with `form` general
 * and once with it fast (clamp or not decided per output: a predictable branch). */
static inline void tml_depthwise_run_3x3(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t count,
                                         int32_t step, const int32_t *scales, int32_t s_step, int form, int8_t *out) {
  const tml_requant_s8_params *q = &p->out;
  const int32_t k = 1 + 2 * q->offset, offset = q->offset, lo = q->lo, hi = q->hi;
  const int32_t all_groups = p->out_c >> 2;
  int32_t c0;
  for (c0 = 0; count > 0; --count, c0 += step) {
    const int32_t *bias = p->bias, *s = scales;
    const int8_t *w = p->weights;
    int32_t c = c0, groups;
    for (groups = all_groups; groups > 0; --groups, c += 4, w += 36, bias += 4, out += 4, s += s_step) {
      int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
      TML_DW_GROUP_3X3();
      out[0] = tml_depthwise_out(a0, s, k, offset, lo, hi, form);
      out[1] = tml_depthwise_out(a1, s + 2, k, offset, lo, hi, form);
      out[2] = tml_depthwise_out(a2, s + 4, k, offset, lo, hi, form);
      out[3] = tml_depthwise_out(a3, s + 6, k, offset, lo, hi, form);
    }
  }
}

static void tml_depthwise_run_3x3_fast(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t count,
                                       int32_t step, const int32_t *scales, int32_t s_step, int8_t *out) {
  const int clamp = p->out.lo > -128 || p->out.hi < 127;
  tml_depthwise_run_3x3(p, taps, count, step, scales, s_step, clamp ? TML_DW_FAST_CLAMP : TML_DW_FAST, out);
}

static void tml_depthwise_run_3x3_general(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t count,
                                          int32_t step, const int32_t *scales, int32_t s_step, int8_t *out) {
  tml_depthwise_run_3x3(p, taps, count, step, scales, s_step, TML_DW_GENERAL, out);
}

/* Depth multiplier 1, channels [c0, c0 + n) (n <= TML_REQUANT_BLOCK; c0 and n multiples of 4 except
 * for the last block): acc[c - c0] = bias[c] + sum over taps of x[c] * w[c], where the input of a
 * tap is at taps[t] + off (off: the pixel's distance from the pixel the taps were set for). */
static void tml_depthwise_block_multiplier_1(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t ntaps,
                                             int32_t off, int32_t c0, int32_t n, int32_t *acc) {
  const int32_t *bias = p->bias + c0;
  const int8_t *w = p->weights + c0 * ntaps; /* channel group c0 / 4 */
  const int32_t groups = n >> 2;
  int32_t c = c0 + off, i, t; /* the input offset of channel c0 */
  if (ntaps == 9) {
    tml_depthwise_groups_3x3(w, bias, taps, c, groups, acc);
    c += 4 * groups;
    w += 36 * groups;
    bias += 4 * groups;
    acc += 4 * groups;
  } else {
    for (i = 0; i < groups; ++i, c += 4, acc += 4, bias += 4) {
      int32_t acc0 = bias[0], acc1 = bias[1], acc2 = bias[2], acc3 = bias[3];
      const int8_t *const *tap = taps;
      for (t = 0; t < ntaps; ++t, w += 4) {
        tml_depthwise_tap4(*tap++ + c, w, &acc0, &acc1, &acc2, &acc3);
      }
      acc[0] = acc0;
      acc[1] = acc1;
      acc[2] = acc2;
      acc[3] = acc3;
    }
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
 * [o0, o0 + n): output channel o reads input channel o / m (at taps[t] + off + o / m). */
static void tml_depthwise_block_multiplier_n(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t ntaps,
                                             int32_t off, int32_t o0, int32_t n, int32_t *acc) {
  const int32_t oc = p->out_c;
  const int32_t m = p->depth_multiplier;
  int32_t i, t;
  for (i = 0; i < n; ++i) {
    const int32_t o = o0 + i;
    const int32_t c = off + o / m;
    const int8_t *w = p->weights + o;
    int32_t sum = p->bias[o];
    for (t = 0; t < ntaps; ++t, w += oc) {
      sum += taps[t][c] * *w;
    }
    acc[i] = sum;
  }
}

/* Sets the tap pointers of the window whose top-left tap is input pixel (iy0, ix0) of `in`: the
 * input pixel each tap reads, or pad_row where the tap is outside the input. */
static void tml_depthwise_taps(const tml_dwconv_s8_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                               const int8_t **tap) {
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;
  const int32_t dil_h = p->dilation_h, dil_w = p->dilation_w;
  const int32_t row_bytes = in_w * in_c;
  const int8_t *const pad_row = p->pad_row;
  int32_t ky, kx;
  if (iy0 >= 0 && iy0 + (k_h - 1) * dil_h < in_h && ix0 >= 0 && ix0 + (k_w - 1) * dil_w < in_w) { /* inside */
    const int8_t *row = in + iy0 * row_bytes + ix0 * in_c;
    for (ky = 0; ky < k_h; ++ky, row += dil_h * row_bytes) {
      const int8_t *x = row;
      for (kx = 0; kx < k_w; ++kx, x += dil_w * in_c) {
        *tap++ = x;
      }
    }
    return;
  }
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

/* `count` output pixels of one row through the same taps (pixel i at byte offset i * step), one
 * block of channels at a time, each block requantized by tml_requant_s8. */
static void tml_depthwise_run(const tml_dwconv_s8_params *p, const int8_t *const *taps, int32_t count, int32_t step,
                              int8_t *output) {
  const int32_t ntaps = p->k_h * p->k_w, oc = p->out_c;
  int32_t acc[TML_REQUANT_BLOCK];
  int32_t off, o0, n;
  for (off = 0; count > 0; --count, off += step, output += oc) {
    for (o0 = 0; o0 < oc; o0 += n) {
      n = oc - o0 < TML_REQUANT_BLOCK ? oc - o0 : TML_REQUANT_BLOCK;
      if (p->depth_multiplier == 1) {
        tml_depthwise_block_multiplier_1(p, taps, ntaps, off, o0, n, acc);
      } else {
        tml_depthwise_block_multiplier_n(p, taps, ntaps, off, o0, n, acc);
      }
      tml_requant_s8(&p->out, o0, acc, n, output + o0);
    }
  }
}

/* The output pixels of a row whose window lies inside the input (columns [inner_lo, inner_hi))
 * read it through the taps of the first of them plus a byte offset (stride_w * in_c per pixel):
 * the tap pointers are set once per row, not per pixel (a depthwise pixel of eight channels has
 * only 72 MACs). */
void tml_depthwise_conv2d_s8(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output, const int8_t **taps) {
  const int8_t *stack_taps[TML_DW_STACK_TAPS]; /* when the arena had no room for `taps` without growing */
  if (taps == NULL) {
    taps = stack_taps; /* k_h * k_w <= TML_DW_STACK_TAPS: the lowering asked for optional scratch only */
  }
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, oc = p->out_c;
  const int32_t stride_w = p->stride_w, pad_w = p->pad_w;
  const int32_t span_h = (p->k_h - 1) * p->dilation_h, span_w = (p->k_w - 1) * p->dilation_w;
  const int32_t step = stride_w * in_c; /* input bytes from one output pixel's window to the next */
  const tml_requant_s8_params *q = &p->out;
  const int fused_3x3 = p->k_h * p->k_w == 9 && p->depth_multiplier == 1 && (oc & 3) == 0;
  const int32_t tensor_scales[8] = {q->multiplier, q->rshift, q->multiplier, q->rshift,
                                    q->multiplier, q->rshift, q->multiplier, q->rshift};
  const int32_t *scales = q->multiplier_rshift != NULL ? q->multiplier_rshift : tensor_scales;
  const int32_t s_step = q->multiplier_rshift != NULL ? 8 : 0;
  /* columns whose window is inside the input horizontally: ox * stride_w - pad_w in [0, in_w - 1 - span_w] */
  const int32_t last_x = in_w - 1 - span_w + pad_w;
  int32_t inner_lo = (pad_w + stride_w - 1) / stride_w;
  int32_t inner_hi = last_x < 0 ? 0 : last_x / stride_w + 1;
  int32_t b, oy, ox;
  inner_lo = inner_lo < out_w ? inner_lo : out_w;
  inner_hi = inner_hi < out_w ? inner_hi : out_w;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * in_h * in_w * in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      const int rows_inside = iy0 >= 0 && iy0 + span_h < in_h;
      for (ox = 0; ox < out_w;) {
        const int32_t count = rows_inside && ox == inner_lo && inner_lo < inner_hi ? inner_hi - inner_lo : 1;
        tml_depthwise_taps(p, in, iy0, ox * stride_w - pad_w, taps);
        if (fused_3x3 && q->general) {
          tml_depthwise_run_3x3_general(p, taps, count, step, scales, s_step, output);
        } else if (fused_3x3) {
          tml_depthwise_run_3x3_fast(p, taps, count, step, scales, s_step, output);
        } else {
          tml_depthwise_run(p, taps, count, step, output);
        }
        ox += count;
        output += count * oc;
      }
    }
  }
}

/* ---- one input channel (audio features, grayscale images: micro_speech, person_detect) -----------
 * Every output channel reads the same input values, so a pixel is out_c dot products of its
 * window. The window is first copied to `window` as k_h * k_w consecutive bytes (rows inside the
 * input by words, the input zero point outside), so each dot product is one run of k_h * k_w
 * products without a break per kernel row (micro_speech's rows are only 8 wide). Weights per
 * group of four channels: (k_h * k_w) / 4 steps of [4 channels][4 weights], then (k_h * k_w) % 4
 * steps of [4 channels]. */

/* Four channels of one pixel: acc[0..3] += window[0..k) dotted with the group's weights, which *w
 * walks. On Armv7E-M a word of four inputs is sign-extended once and meets each channel's word
 * with two SMLADs (1.5 instructions per MAC). */
static void tml_depthwise_single_group(const int8_t *x, int32_t k, const int8_t **weights, int32_t *acc) {
  const int8_t *w = *weights;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t j;
  for (j = k >> 2; j > 0; --j, x += 4, w += 16) {
#if TML_HAVE_SIMD32
    const uint32_t xw = tml_load4(x);
    const int32_t x_even = tml_sxtb16(xw), x_odd = tml_sxtb16_ror8(xw);
    uint32_t ww = tml_load4(w);
    a0 = __smlad(x_odd, tml_sxtb16_ror8(ww), __smlad(x_even, tml_sxtb16(ww), a0));
    ww = tml_load4(w + 4);
    a1 = __smlad(x_odd, tml_sxtb16_ror8(ww), __smlad(x_even, tml_sxtb16(ww), a1));
    ww = tml_load4(w + 8);
    a2 = __smlad(x_odd, tml_sxtb16_ror8(ww), __smlad(x_even, tml_sxtb16(ww), a2));
    ww = tml_load4(w + 12);
    a3 = __smlad(x_odd, tml_sxtb16_ror8(ww), __smlad(x_even, tml_sxtb16(ww), a3));
#else
    const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    a0 += x0 * w[0] + x1 * w[1] + x2 * w[2] + x3 * w[3];
    a1 += x0 * w[4] + x1 * w[5] + x2 * w[6] + x3 * w[7];
    a2 += x0 * w[8] + x1 * w[9] + x2 * w[10] + x3 * w[11];
    a3 += x0 * w[12] + x1 * w[13] + x2 * w[14] + x3 * w[15];
#endif
  }
  for (j = k & 3; j > 0; --j, ++x, w += 4) {
    const int32_t v = *x;
    a0 += v * w[0];
    a1 += v * w[1];
    a2 += v * w[2];
    a3 += v * w[3];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  *weights = w;
}

/* Copies the k_h x k_w window at (iy0, ix0) of the one-channel input `in` to window[k_h][k_w],
 * the input zero point where it is outside the input; a row inside (dilation_w 1) by words. */
static void tml_depthwise_single_gather(const tml_dwconv_s8_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                                        int8_t *window) {
  const int32_t in_h = p->in_h, in_w = p->in_w, k_w = p->k_w, dil_w = p->dilation_w;
  const int8_t zero_point = p->pad_row[0];
  const int columns_inside = ix0 >= 0 && ix0 + (k_w - 1) * dil_w < in_w && dil_w == 1;
  int32_t ky, kx;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dilation_h;
    if (iy < 0 || iy >= in_h) {
      for (kx = 0; kx < k_w; ++kx) {
        *window++ = zero_point;
      }
      continue;
    }
    const int8_t *row = in + iy * in_w + ix0;
    if (columns_inside) {
      for (kx = k_w >> 2; kx > 0; --kx, row += 4, window += 4) {
        const uint32_t word = tml_load4(row);
        memcpy(window, &word, 4);
      }
      for (kx = k_w & 3; kx > 0; --kx) {
        *window++ = *row++;
      }
      continue;
    }
    int32_t ix = ix0;
    for (kx = 0; kx < k_w; ++kx, ix += dil_w) {
      *window++ = ix >= 0 && ix < in_w ? in[iy * in_w + ix] : zero_point;
    }
  }
}

void tml_depthwise_conv2d_s8_single(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output,
                                    int8_t *window) {
  int8_t stack_window[TML_DW_STACK_WINDOW]; /* when the arena had no room for `window` without growing */
  if (window == NULL) {
    window = stack_window; /* k_h * k_w <= TML_DW_STACK_WINDOW: the lowering asked for optional scratch only */
  }
  const tml_requant_s8_params *q = &p->out;
  const int32_t in_h = p->in_h, in_w = p->in_w, k = p->k_h * p->k_w, oc = p->out_c;
  const int32_t tensor_scales[8] = {q->multiplier, q->rshift, q->multiplier, q->rshift,
                                    q->multiplier, q->rshift, q->multiplier, q->rshift};
  const int32_t *scales = q->multiplier_rshift != NULL ? q->multiplier_rshift : tensor_scales;
  const int32_t s_step = q->multiplier_rshift != NULL ? 8 : 0;
  const int form = q->general ? TML_DW_GENERAL : (q->lo > -128 || q->hi < 127) ? TML_DW_FAST_CLAMP : TML_DW_FAST;
  const int32_t kk = 1 + 2 * q->offset, offset = q->offset, lo = q->lo, hi = q->hi;
  int32_t b, oy, ox, g;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * in_h * in_w;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h;
      for (ox = 0; ox < p->out_w; ++ox) {
        tml_depthwise_single_gather(p, in, iy0, ox * p->stride_w - p->pad_w, window);
        const int8_t *w = p->weights;
        const int32_t *bias = p->bias, *s = scales;
        for (g = oc >> 2; g > 0; --g, bias += 4, s += s_step, output += 4) {
          int32_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
          tml_depthwise_single_group(window, k, &w, acc);
          output[0] = tml_depthwise_out(acc[0], s, kk, offset, lo, hi, form);
          output[1] = tml_depthwise_out(acc[1], s + 2, kk, offset, lo, hi, form);
          output[2] = tml_depthwise_out(acc[2], s + 4, kk, offset, lo, hi, form);
          output[3] = tml_depthwise_out(acc[3], s + 6, kk, offset, lo, hi, form);
        }
      }
    }
  }
}
