/* conv2d.c -- CONV_2D, int8 activations and weights, per-channel requantization.
 *
 * Bit-exact with TFLM reference_integer_ops::ConvPerChannel. The reference computes
 * bias + sum((x - zp) * w) over the taps inside the input; here the input zero point is folded
 * into the bias at build time (bias - zp * sum(w)) and taps outside the input read zp itself,
 * so acc = bias' + sum(x * w) over all taps is the same integer. Each output pixel's receptive
 * field is one contiguous row of k = k_h * k_w * filter_in_c bytes (read in place for 1x1
 * convolutions, gathered into `im2col` otherwise), and every output channel is one dot
 * product with its weight row. Rows are k bytes apart (no padding per row: flash holds the
 * weights and nothing more); the dot products read whole words, so a row's last word may take
 * up to 3 bytes of the next row (or of the 0..3 zero bytes after the last one), which meet
 * input bytes that are zero in the sign-extended buffer and add nothing.
 *
 * Two output pixels times two output channels per pass. The two pixels' rows are used by every
 * output channel, so they are sign-extended once (per block of channels, TML_CONV_CHUNK bytes at
 * a time) into int16 pairs laid out as SMLAD operands: the inner loop then loads four ready
 * operand words and two weight words per 4 bytes of depth instead of sign-extending the input
 * again for every channel. Accumulators go to a block buffer, requantized by tml_requant_s8.
 * Both buffers are the call's work buffer: arena scratch where the arena has room, else a
 * wrapper's stack (tml_kernels.h TML_CONV_ROW_WORK_BYTES, TML_CONV_WORK_BYTES), never the frames
 * of the convolution proper, which stay small (tests/test_aot_conv2d_stack.py).
 *
 * Most convolutions (single group, out_c >= 4, k >= 8: every CONV_2D of kws and person_detect but
 * the last) take tml_conv2d_s8_smlad instead, on weights in FULLY_CONNECTED's SMLAD layout: see
 * its section below. tml_conv2d_s8 runs grouped convolutions and the small ones.
 */
#include <string.h>

#include "tml_dot.h"
#include "tml_requant.h"

/* Functions kept out of their callers: a caller's frame would be the sum of their paths' frames,
 * and the frames of one call chain add up on the stack. */
#define TML_CONV_FRAME __attribute__((noinline))

/* Bytes of depth sign-extended at a time: 4 * TML_CONV_CHUNK bytes of the work buffer. */
#define TML_CONV_CHUNK 64

/* ext[8g .. 8g+7] = r0[4g], r0[4g+2], r0[4g+1], r0[4g+3], r1[4g], r1[4g+2], r1[4g+1], r1[4g+3] as
 * int16 for 4g < k (bytes at or past k read as 0): each int16 pair is one SMLAD operand. */
static void tml_conv_extend2(const int8_t *r0, const int8_t *r1, int32_t k, int16_t *ext) {
  int32_t g;
  for (g = k >> 2; g > 0; --g, r0 += 4, r1 += 4, ext += 8) {
#if TML_HAVE_SIMD32
    const uint32_t x0 = tml_load4(r0), x1 = tml_load4(r1);
    const int32_t words[4] = {tml_sxtb16(x0), tml_sxtb16_ror8(x0), tml_sxtb16(x1), tml_sxtb16_ror8(x1)};
    memcpy(ext, words, sizeof(words));
#else
    ext[0] = r0[0], ext[1] = r0[2], ext[2] = r0[1], ext[3] = r0[3];
    ext[4] = r1[0], ext[5] = r1[2], ext[6] = r1[1], ext[7] = r1[3];
#endif
  }
  if (k & 3) { /* the last, partial group: missing bytes are zero */
    int8_t t0[4] = {0, 0, 0, 0}, t1[4] = {0, 0, 0, 0};
    memcpy(t0, r0, (size_t)(k & 3));
    memcpy(t1, r1, (size_t)(k & 3));
    tml_conv_extend2(t0, t1, 4, ext);
  }
}

#if TML_HAVE_SIMD32
/* Four SMLAD operand words (two int16 lanes each) from 8-byte aligned `p`: two LDRDs. */
static inline void tml_load_pairs(const int16_t *p, int32_t x[4]) {
  uint64_t lo, hi;
#if defined(__GNUC__)
  p = (const int16_t *)__builtin_assume_aligned(p, 8);
#endif
  memcpy(&lo, p, 8);
  memcpy(&hi, p + 4, 8);
  x[0] = (int32_t)(uint32_t)lo;
  x[1] = (int32_t)(uint32_t)(lo >> 32);
  x[2] = (int32_t)(uint32_t)hi;
  x[3] = (int32_t)(uint32_t)(hi >> 32);
}
#endif

/* One group of 4 bytes of depth: s[0] += r0.w0, s[1] += r0.w1, s[2] += r1.w0, s[3] += r1.w1, with
 * r0/r1 the group's 8 int16 values in tml_conv_extend2's layout. */
static inline void tml_conv_group2x2(const int16_t *ext, const int8_t *w0, const int8_t *w1, int32_t s[4]) {
#if TML_HAVE_SIMD32
  int32_t x[4], even, odd;
  uint32_t w;
  tml_load_pairs(ext, x);
  w = tml_load4(w0);
  even = tml_sxtb16(w);
  odd = tml_sxtb16_ror8(w);
  s[0] = __smlad(x[0], even, s[0]);
  s[0] = __smlad(x[1], odd, s[0]);
  s[2] = __smlad(x[2], even, s[2]);
  s[2] = __smlad(x[3], odd, s[2]);
  w = tml_load4(w1);
  even = tml_sxtb16(w);
  odd = tml_sxtb16_ror8(w);
  s[1] = __smlad(x[0], even, s[1]);
  s[1] = __smlad(x[1], odd, s[1]);
  s[3] = __smlad(x[2], even, s[3]);
  s[3] = __smlad(x[3], odd, s[3]);
#else
  const int32_t a0 = ext[0], a2 = ext[1], a1 = ext[2], a3 = ext[3];
  const int32_t b0 = ext[4], b2 = ext[5], b1 = ext[6], b3 = ext[7];
  s[0] += a0 * w0[0] + a1 * w0[1] + a2 * w0[2] + a3 * w0[3];
  s[1] += a0 * w1[0] + a1 * w1[1] + a2 * w1[2] + a3 * w1[3];
  s[2] += b0 * w0[0] + b1 * w0[1] + b2 * w0[2] + b3 * w0[3];
  s[3] += b0 * w1[0] + b1 * w1[1] + b2 * w1[2] + b3 * w1[3];
#endif
}

/* acc[0] += r0.w0, acc[1] += r0.w1, acc[2] += r1.w0, acc[3] += r1.w1 over `groups` groups of 4
 * bytes, r0/r1 taken from tml_conv_extend2's `ext`. */
static inline void tml_conv_dot2x2(const int16_t *ext, const int8_t *w0, const int8_t *w1, int32_t groups,
                                   int32_t acc[4]) {
  int32_t s[4];
  s[0] = acc[0];
  s[1] = acc[1];
  s[2] = acc[2];
  s[3] = acc[3];
  const int16_t *const end = ext + 8 * groups;
  for (; ext != end; ext += 8, w0 += 4, w1 += 4) {
    tml_conv_group2x2(ext, w0, w1, s);
  }
  acc[0] = s[0];
  acc[1] = s[1];
  acc[2] = s[2];
  acc[3] = s[3];
}

/* tml_conv2d_s8's work buffer (TML_CONV_ROW_WORK_BYTES): both pixels' accumulator blocks, then
 * TML_CONV_CHUNK bytes of both rows sign-extended. */
typedef char tml_conv_row_work_size[TML_CONV_ROW_WORK_BYTES == 8 * TML_REQUANT_BLOCK + 4 * TML_CONV_CHUNK ? 1 : -1];

/* Output channels [oc_begin, oc_end) of two pixels with receptive-field rows r0 and r1 (k bytes);
 * out1 may be NULL (odd pixel count: the last pixel alone, r1 == r0). The rows are sign-extended
 * TML_CONV_CHUNK bytes at a time into the work buffer (8-aligned, TML_CONV_ROW_WORK_BYTES),
 * accumulating partial sums per chunk for a block of channels. */
static TML_CONV_FRAME void tml_conv_channels(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1, int32_t k,
                                             int32_t oc_begin, int32_t oc_end, int8_t *out0, int8_t *out1,
                                             int32_t *work) {
  int32_t *const acc0 = work, *const acc1 = work + TML_REQUANT_BLOCK;
#if defined(__GNUC__) /* the operand words are stored and loaded in pairs (STRD, LDRD) */
  int16_t *const ext = (int16_t *)__builtin_assume_aligned(work + 2 * TML_REQUANT_BLOCK, 8);
#else
  int16_t *const ext = (int16_t *)(void *)(work + 2 * TML_REQUANT_BLOCK);
#endif
  int32_t o0, n, d, i;
  for (o0 = oc_begin; o0 < oc_end; o0 += n) {
    n = oc_end - o0 < TML_REQUANT_BLOCK ? oc_end - o0 : TML_REQUANT_BLOCK;
    for (d = 0; d < k; d += TML_CONV_CHUNK) {
      const int32_t len = k - d < TML_CONV_CHUNK ? k - d : TML_CONV_CHUNK;
      const int32_t groups = (len + 3) >> 2;
      const int8_t *w = p->weights + o0 * k + d;
      /* the first chunk starts from the bias, the others from the partial sums */
      const int32_t *in0 = d == 0 ? p->bias + o0 : acc0, *in1 = d == 0 ? p->bias + o0 : acc1;
      int32_t *a0 = acc0, *a1 = acc1;
      tml_conv_extend2(r0 + d, r1 + d, len, ext);
      for (i = n >> 1; i > 0; --i, w += 2 * k, a0 += 2, a1 += 2, in0 += 2, in1 += 2) {
        int32_t acc[4];
        acc[0] = in0[0];
        acc[1] = in0[1];
        acc[2] = in1[0];
        acc[3] = in1[1];
        tml_conv_dot2x2(ext, w, w + k, groups, acc);
        a0[0] = acc[0];
        a0[1] = acc[1];
        a1[0] = acc[2];
        a1[1] = acc[3];
      }
      if (n & 1) { /* an odd last channel, paired with itself */
        int32_t acc[4];
        acc[0] = acc[1] = in0[0];
        acc[2] = acc[3] = in1[0];
        tml_conv_dot2x2(ext, w, w, groups, acc);
        a0[0] = acc[0];
        a1[0] = acc[2];
      }
    }
    tml_requant_s8(&p->out, o0, acc0, n, out0 + o0);
    if (out1 != NULL) {
      tml_requant_s8(&p->out, o0, acc1, n, out1 + o0);
    }
  }
}

/* ---- tml_conv2d_s8_smlad: single-group convolutions on the SMLAD weight layout ---------------
 * A convolution is the matrix product of its receptive-field rows (pixels x k) with the weights
 * (k x out_c), and the weights are read once per pair of pixels: their cost per word is the
 * kernel's speed. Here they are stored in FULLY_CONNECTED's SMLAD layout (ops/_conv2d_smlad.py:
 * rows in groups of four interleaved quad by quad, bytes 0 and 2 offset by 128; tml_dot.h explains
 * the algebra, the layout's row constant is folded into the bias), so a weight word needs one sign
 * extension, and two pixels share it: each pixel's quads are turned into the forms (xa, xb) once,
 * then a pass computes two output channels of two pixels, 14 instructions per 16 MACs. */

/* Rows per group of the layout (ops/fully_connected.py ROW_GROUP). */
#define TML_CONV_ROWS 4

/* acc[j] += the layout sums of pixel row x (quads quads) with the r rows of the group at w (quad
 * stride 4 r): the last, partial group of the SIMD path and every group of the portable one. */
static void tml_conv_rows(const int8_t *x, const int8_t *w, int32_t quads, int32_t r, uint32_t *acc) {
  int32_t j, q;
  for (j = 0; j < r; ++j) {
    const int8_t *wq = w + 4 * j;
    const int8_t *xq = x;
    uint32_t sum = acc[j];
    for (q = 0; q < quads; ++q, xq += 4, wq += 4 * r) {
      sum += tml_smlad_quad(xq, wq);
    }
    acc[j] = sum;
  }
}

/* acc[i] += the k % 4 tail products of rows first .. first + n - 1 (each group's rows end with
 * their tails, row by row, after the group's quads). */
static void tml_conv_tails(const int8_t *x, const int8_t *rows, int32_t k, int32_t first, int32_t n, int32_t out_c,
                           uint32_t *acc) {
  const int32_t quads = k >> 2, tail = k & 3;
  int32_t i, j, t;
  x += 4 * quads;
  for (i = 0; i < n; i += TML_CONV_ROWS) {
    const int32_t r = out_c - first - i < TML_CONV_ROWS ? out_c - first - i : TML_CONV_ROWS;
    const int8_t *w = rows + (first + i) * k + 4 * r * quads;
    for (j = 0; j < r && i + j < n; ++j, w += tail) {
      for (t = 0; t < tail; ++t) {
        acc[i + j] += (uint32_t)(x[t] * w[t]);
      }
    }
  }
}

#if TML_HAVE_SIMD32
/* forms[4q .. 4q + 3] = xa, xb of quad q of r0, then of r1. */
static void tml_conv_forms2(const int8_t *r0, const int8_t *r1, int32_t quads, int32_t *forms) {
  for (; quads > 0; --quads, r0 += 4, r1 += 4, forms += 4) {
    const uint32_t a = tml_load4(r0), b = tml_load4(r1);
    forms[0] = tml_sxtb16(a);
    forms[1] = tml_smlad_xb(a);
    forms[2] = tml_sxtb16(b);
    forms[3] = tml_smlad_xb(b);
  }
}

/* tml_conv_forms2 over whole rows, and *term0 / *term1 = tml_smlad_input_term of r0 / r1 (the same
 * SMLADs of xa with (1, 1), on the forms' own sign extensions: no second pass over the rows). */
static inline void tml_conv_forms2_terms(const int8_t *r0, const int8_t *r1, int32_t quads, int32_t *forms,
                                         uint32_t *term0, uint32_t *term1) {
  int32_t sum0 = 0, sum1 = 0;
  for (; quads > 0; --quads, r0 += 4, r1 += 4, forms += 4) {
    const uint32_t a = tml_load4(r0), b = tml_load4(r1);
    const int32_t xa0 = tml_sxtb16(a), xa1 = tml_sxtb16(b);
    forms[0] = xa0;
    forms[1] = tml_smlad_xb(a);
    forms[2] = xa1;
    forms[3] = tml_smlad_xb(b);
    sum0 = __smlad(xa0, 0x00010001, sum0);
    sum1 = __smlad(xa1, 0x00010001, sum1);
  }
  *term0 = (uint32_t)sum0 << 7;
  *term1 = (uint32_t)sum1 << 7;
}

#if defined(__GNUC__)
/* One quad: both pixels' forms against rows 0 and 1 of the group at w (then w + 16, the next
 * quad). 14 instructions per 16 MACs. s0, s1: pixel 0's rows 0, 1; s2, s3: pixel 1's. */
#define TML_CONV_QUAD_ASM                \
  "ldrd %[xa0], %[xb0], [%[f]], #8\n\t"  \
  "ldrd %[xa1], %[xb1], [%[f]], #8\n\t"  \
  "ldr %[t], [%[w]], #4\n\t"             \
  "smlad %[s0], %[xa0], %[t], %[s0]\n\t" \
  "smlad %[s2], %[xa1], %[t], %[s2]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"        \
  "smlad %[s0], %[xb0], %[t], %[s0]\n\t" \
  "smlad %[s2], %[xb1], %[t], %[s2]\n\t" \
  "ldr %[t], [%[w]], #12\n\t"            \
  "smlad %[s1], %[xa0], %[t], %[s1]\n\t" \
  "smlad %[s3], %[xa1], %[t], %[s3]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"        \
  "smlad %[s1], %[xb0], %[t], %[s1]\n\t" \
  "smlad %[s3], %[xb1], %[t], %[s3]\n\t"

/* One pass: the four sums from the accumulators at a (pixel 0's two rows) and a + one block
 * (pixel 1's), every quad of forms from fbase to end, the sums stored back and a advanced to the
 * next group's rows (4 words). The whole pass is assembly: with the pass's loop state around an
 * inline-asm quad loop GCC 12 spilled and reloaded about 45 instructions per pass. Four quads per
 * loop iteration; ENTRY runs the quads % 4 others first (TML_CONV_ENTRY1..3, or "" for none). */
#define TML_CONV_ENTRY_END "cmp %[f], %[end]\n\tbeq 2f\n\t"
#define TML_CONV_ENTRY1 TML_CONV_QUAD_ASM TML_CONV_ENTRY_END
#define TML_CONV_ENTRY2 TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM TML_CONV_ENTRY_END
#define TML_CONV_ENTRY3 TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM TML_CONV_ENTRY_END
/* START: TML_CONV_FROM_ACC (the sums so far) or TML_CONV_FROM_BIAS (the chunk is the first: the bias
 * at *bp, advanced 4 words, minus each pixel's input term; no pass over the accumulators before). */
#define TML_CONV_FROM_ACC         \
  "ldrd %[s0], %[s1], [%[a]]\n\t" \
  "ldrd %[s2], %[s3], [%[a], %[other]]\n\t"
#define TML_CONV_FROM_BIAS             \
  "ldr %[t], %[bp]\n\t"                \
  "ldrd %[s0], %[s1], [%[t]]\n\t"      \
  "ldrd %[s2], %[s3], [%[t]], #16\n\t" \
  "str %[t], %[bp]\n\t"                \
  "ldr %[f], %[term0]\n\t"             \
  "sub %[s0], %[s0], %[f]\n\t"         \
  "sub %[s1], %[s1], %[f]\n\t"         \
  "ldr %[f], %[term1]\n\t"             \
  "sub %[s2], %[s2], %[f]\n\t"         \
  "sub %[s3], %[s3], %[f]\n\t"
#define TML_CONV_PASS(START, ENTRY)                                                                                    \
  __asm__ volatile(                                                                                                    \
      START "ldr %[f], %[fbase]\n\t" ENTRY                                                                             \
            "1:\n\t" TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM TML_CONV_QUAD_ASM "cmp %[f], %[end]\n\t"    \
            "bne 1b\n\t"                                                                                               \
            "2:\n\t"                                                                                                   \
            "strd %[s2], %[s3], [%[a], %[other]]\n\t"                                                                  \
            "strd %[s0], %[s1], [%[a]], #16\n\t"                                                                       \
      : [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [f] "=&r"(f), [w] "+r"(wg), [a] "+r"(a),       \
        [xa0] "=&r"(xa0), [xb0] "=&r"(xb0), [xa1] "=&r"(xa1), [xb1] "=&r"(xb1), [t] "=&r"(t), [bp] "+m"(bp)            \
      : [end] "r"(end), [fbase] "m"(fbase), [term0] "m"(term0), [term1] "m"(term1), [other] "I"(4 * TML_REQUANT_BLOCK) \
      : "cc", "memory")

/* Every pass of rows h, h + 1 of each full group, with the loop entry ENTRY. */
#define TML_CONV_PASSES(ENTRY)                                \
  do {                                                        \
    if (bias != NULL) {                                       \
      for (i = h; i < full; i += TML_CONV_ROWS, wg += skip) { \
        TML_CONV_PASS(TML_CONV_FROM_BIAS, ENTRY);             \
      }                                                       \
    } else {                                                  \
      for (i = h; i < full; i += TML_CONV_ROWS, wg += skip) { \
        TML_CONV_PASS(TML_CONV_FROM_ACC, ENTRY);              \
      }                                                       \
    }                                                         \
  } while (0)

/* The passes of one chunk of `quads` forms over `full` rows (whole groups) from the group at w (at
 * the chunk's first quad; groups group_stride bytes apart): rows 0 and 1 of every group, then rows
 * 2 and 3. acc: pixel 0's accumulators, pixel 1's one block (TML_REQUANT_BLOCK) further; they start
 * from bias - term0 / term1 when bias is not NULL (the first chunk), else from their values. */
static __attribute__((noinline)) void tml_conv_passes(const int32_t *forms, const int8_t *w, int32_t quads,
                                                      int32_t full, int32_t group_stride, const int32_t *bias,
                                                      uint32_t term0, uint32_t term1, uint32_t *acc) {
  const int32_t *const end = forms + 4 * quads;
  const int32_t *fbase = forms;
  const int32_t skip = group_stride - 16 * quads; /* from a pass's last quad to the next group's first */
  int32_t h, i;
  for (h = 0; h < TML_CONV_ROWS; h += 2) {
    const int8_t *wg = w + 4 * h;
    const int32_t *bp = bias + h;
    uint32_t *a = acc + h;
    int32_t s0, s1, s2, s3, xa0, xb0, xa1, xb1, t;
    const int32_t *f;
    switch (quads & 3) {
      case 1: TML_CONV_PASSES(TML_CONV_ENTRY1); break;
      case 2: TML_CONV_PASSES(TML_CONV_ENTRY2); break;
      case 3: TML_CONV_PASSES(TML_CONV_ENTRY3); break;
      default: TML_CONV_PASSES(""); break;
    }
  }
}
#else
/* The passes of one chunk of `quads` forms over `full` rows (whole groups) from the group at w (at
 * the chunk's first quad; groups group_stride bytes apart), two rows x two pixels at a time. acc:
 * pixel 0's accumulators, pixel 1's one block (TML_REQUANT_BLOCK) further. */
static void tml_conv_passes(const int32_t *forms, const int8_t *w, int32_t quads, int32_t full, int32_t group_stride,
                            const int32_t *bias, uint32_t term0, uint32_t term1, uint32_t *acc) {
  int32_t i, q;
  for (i = 0; i < full; i += 2) {
    const int8_t *wq = w + (i >> 2) * group_stride + 4 * (i & 2);
    const int32_t *f = forms;
    uint32_t *a0 = acc + i, *a1 = acc + TML_REQUANT_BLOCK + i;
    int32_t s0, s1, s2, s3;
    if (bias != NULL) {
      s0 = (int32_t)((uint32_t)bias[i] - term0);
      s1 = (int32_t)((uint32_t)bias[i + 1] - term0);
      s2 = (int32_t)((uint32_t)bias[i] - term1);
      s3 = (int32_t)((uint32_t)bias[i + 1] - term1);
    } else {
      s0 = (int32_t)a0[0];
      s1 = (int32_t)a0[1];
      s2 = (int32_t)a1[0];
      s3 = (int32_t)a1[1];
    }
    for (q = 0; q < quads; ++q, f += 4, wq += 4 * TML_CONV_ROWS) {
      const uint32_t w0 = tml_load4(wq), w1 = tml_load4(wq + 4);
      s0 = __smlad(f[0], (int32_t)w0, s0);
      s0 = __smlad(f[1], tml_sxtb16_ror8(w0), s0);
      s2 = __smlad(f[2], (int32_t)w0, s2);
      s2 = __smlad(f[3], tml_sxtb16_ror8(w0), s2);
      s1 = __smlad(f[0], (int32_t)w1, s1);
      s1 = __smlad(f[1], tml_sxtb16_ror8(w1), s1);
      s3 = __smlad(f[2], (int32_t)w1, s3);
      s3 = __smlad(f[3], tml_sxtb16_ror8(w1), s3);
    }
    a0[0] = (uint32_t)s0;
    a0[1] = (uint32_t)s1;
    a1[0] = (uint32_t)s2;
    a1[1] = (uint32_t)s3;
  }
}
#endif

/* Channels [o0, o0 + n) of two pixels with receptive-field rows r0, r1 (k bytes; r1 == r0 for
 * an odd last pixel): acc0 / acc1 = TFLM's accumulators. Full groups two rows x two pixels per
 * pass over chunks of forms; the last, partial group and the k % 4 tails row by row. */
static void tml_conv_smlad_block(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1, int32_t k,
                                 uint32_t term0, uint32_t term1, int32_t o0, int32_t n, int32_t *forms, int32_t ready,
                                 uint32_t *acc) {
  const int32_t quads = k >> 2, full = n & ~(TML_CONV_ROWS - 1);
  const int8_t *const rows = p->weights;
  const int32_t *const bias = p->bias + o0;
  uint32_t *const acc1 = acc + TML_REQUANT_BLOCK;
  int32_t i, q0;
  for (i = full; i < n; ++i) { /* the passes start the full groups' sums themselves */
    acc[i] = (uint32_t)bias[i] - term0;
    acc1[i] = (uint32_t)bias[i] - term1;
  }
  for (q0 = 0; full > 0 && q0 < quads; q0 += TML_CONV_FORM_QUADS) {
    const int32_t chunk = quads - q0 < TML_CONV_FORM_QUADS ? quads - q0 : TML_CONV_FORM_QUADS;
    if (!ready) {
      tml_conv_forms2(r0 + 4 * q0, r1 + 4 * q0, chunk, forms);
    }
    tml_conv_passes(forms, rows + o0 * k + 16 * q0, chunk, full, 4 * k, q0 == 0 ? bias : NULL, term0, term1, acc);
  }
  if (full < n) { /* the layout's last group, n - full rows */
    tml_conv_rows(r0, rows + (o0 + full) * k, quads, n - full, acc + full);
    tml_conv_rows(r1, rows + (o0 + full) * k, quads, n - full, acc1 + full);
  }
  if (k & 3) {
    tml_conv_tails(r0, rows, k, o0, n, p->out_c, acc);
    tml_conv_tails(r1, rows, k, o0, n, p->out_c, acc1);
  }
}

/* The outputs of channels [c0, c0 + n) of two pixels: acc holds pixel 0's n sums, pixel 1's one
 * block (TML_REQUANT_BLOCK) further. A per-channel layer in tml_requant_s8's fast forms (every
 * rshift >= 0) is requantized here, both pixels per channel, so each (multiplier, rshift) pair is
 * loaded once and one loop serves both (about 2 instructions per output fewer on small layers,
 * where requantization is a third of the work); the same operations as tml_requant_s8, so the same
 * bits. Other layers call tml_requant_s8 per pixel. */
static void tml_conv_requant2(const tml_requant_s8_params *q, int32_t c0, const uint32_t *acc, int32_t n, int8_t *out0,
                              int8_t *out1) {
  const uint32_t *const acc1 = acc + TML_REQUANT_BLOCK;
  const int32_t c = 1 + 2 * q->offset, lo = q->lo, hi = q->hi;
  const int32_t *scales;
  int32_t i;
  if (q->multiplier_rshift == NULL || q->general) {
    tml_requant_s8(q, c0, (const int32_t *)acc, n, out0);
    tml_requant_s8(q, c0, (const int32_t *)acc1, n, out1);
    return;
  }
  scales = q->multiplier_rshift + 2 * c0;
  if (lo <= -128 && hi >= 127) {
    for (i = 0; i < n; ++i, scales += 2) {
      const int32_t m = scales[0], rshift = scales[1];
      out0[i] = tml_half_saturated_s8((tml_requant_high((int32_t)acc[i], m) >> rshift) + c);
      out1[i] = tml_half_saturated_s8((tml_requant_high((int32_t)acc1[i], m) >> rshift) + c);
    }
    return;
  }
  for (i = 0; i < n; ++i, scales += 2) {
    const int32_t m = scales[0], rshift = scales[1];
    out0[i] = tml_clamp_s8(((tml_requant_high((int32_t)acc[i], m) >> rshift) + c) >> 1, lo, hi);
    out1[i] = tml_clamp_s8(((tml_requant_high((int32_t)acc1[i], m) >> rshift) + c) >> 1, lo, hi);
  }
}

#if defined(__GNUC__)
/* Two quads (k = 8, e.g. a pointwise layer of 8 input channels): the passes' set-up would
 * cost more than their quads, so one pixel at a time with its four forms in registers, every
 * weight word of a group of four rows read in order (quad 0 of rows 0..3, then quad 1): 44
 * instructions per 32 MACs, the group loop included (term and end in memory: the asm then needs
 * 12 registers, which GCC finds at every optimization level). acc[4g + j] = bias - term + the layout sums
 * of quads 0 and 1 of row j of group g, for `groups` full groups from w. */
#define TML_CONV_Q2_ROW(S, XA, XB)                \
  "ldr %[t], [%[w]], #4\n\t"                      \
  "smlad %[" S "], %[" XA "], %[t], %[" S "]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"                 \
  "smlad %[" S "], %[" XB "], %[t], %[" S "]\n\t"
static void tml_conv_q2_groups(uint32_t word0, uint32_t word1, const int8_t *w, const int32_t *bias, uint32_t term,
                               int32_t groups, uint32_t *acc) {
  const int32_t xa0 = tml_sxtb16(word0), xb0 = tml_smlad_xb(word0);
  const int32_t xa1 = tml_sxtb16(word1), xb1 = tml_smlad_xb(word1);
  const uint32_t *const end = acc + 4 * groups;
  int32_t s0, s1, s2, s3, t;
  __asm__ volatile("1:\n\t"
                   "ldrd %[s0], %[s1], [%[b]], #8\n\t"
                   "ldrd %[s2], %[s3], [%[b]], #8\n\t"
                   "ldr %[t], %[term]\n\t"
                   "sub %[s0], %[s0], %[t]\n\t"
                   "sub %[s1], %[s1], %[t]\n\t"
                   "sub %[s2], %[s2], %[t]\n\t"
                   "sub %[s3], %[s3], %[t]\n\t" TML_CONV_Q2_ROW("s0", "xa0", "xb0") TML_CONV_Q2_ROW("s1", "xa0", "xb0")
                       TML_CONV_Q2_ROW("s2", "xa0", "xb0") TML_CONV_Q2_ROW("s3", "xa0", "xb0")
                           TML_CONV_Q2_ROW("s0", "xa1", "xb1") TML_CONV_Q2_ROW("s1", "xa1", "xb1")
                               TML_CONV_Q2_ROW("s2", "xa1", "xb1")
                                   TML_CONV_Q2_ROW("s3", "xa1", "xb1") "strd %[s0], %[s1], [%[a]], #8\n\t"
                                                                       "strd %[s2], %[s3], [%[a]], #8\n\t"
                                                                       "ldr %[t], %[end]\n\t"
                                                                       "cmp %[a], %[t]\n\t"
                                                                       "bne 1b\n\t"
                   : [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [t] "=&r"(t), [w] "+r"(w),
                     [b] "+r"(bias), [a] "+r"(acc)
                   : [xa0] "r"(xa0), [xb0] "r"(xb0), [xa1] "r"(xa1), [xb1] "r"(xb1), [term] "m"(term), [end] "m"(end)
                   : "cc", "memory");
}

/* Every output channel of two pixels (out1 NULL: one) whose receptive fields are two quads (k = 8:
 * groups are 32 bytes, no tail bytes). */
static TML_CONV_FRAME void tml_conv_smlad_q2(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1,
                                             int8_t *out0, int8_t *out1, uint32_t *acc) {
  const int32_t out_c = p->out_c;
  const int8_t *const rows[2] = {r0, r1};
  int32_t o0, i, j;
  for (o0 = 0; o0 < out_c; o0 += TML_REQUANT_BLOCK) {
    const int32_t n = out_c - o0 < TML_REQUANT_BLOCK ? out_c - o0 : TML_REQUANT_BLOCK;
    const int32_t full = n & ~(TML_CONV_ROWS - 1);
    for (j = 0; j < (out1 != NULL ? 2 : 1); ++j) {
      const int8_t *const r = rows[j];
      const uint32_t term = tml_smlad_input_term(r, 2);
      uint32_t *const a = acc + j * TML_REQUANT_BLOCK;
      if (full > 0) {
        tml_conv_q2_groups(tml_load4(r), tml_load4(r + 4), p->weights + o0 * 8, p->bias + o0, term, full >> 2, a);
      }
      for (i = full; i < n; ++i) {
        a[i] = (uint32_t)p->bias[o0 + i] - term;
      }
      if (full < n) {
        tml_conv_rows(r, p->weights + (o0 + full) * 8, 2, n - full, a + full);
      }
    }
    if (out1 != NULL) {
      tml_conv_requant2(&p->out, o0, acc, n, out0 + o0, out1 + o0);
    } else {
      tml_requant_s8(&p->out, o0, (const int32_t *)acc, n, out0 + o0);
    }
  }
}
#endif

/* Every output channel of two pixels (out1 NULL: one pixel, r1 == r0), k != 8; acc and forms: the
 * parts of the work buffer (TML_CONV_WORK_BYTES). */
static TML_CONV_FRAME void tml_conv_smlad_blocks(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1,
                                                 int32_t k, uint32_t *acc, int32_t *forms, int8_t *out0, int8_t *out1) {
  const int32_t quads = k >> 2, out_c = p->out_c;
  const int32_t ready = quads <= TML_CONV_FORM_QUADS; /* the forms of the whole rows, made once */
  uint32_t term0, term1;
  int32_t o0;
  if (ready) { /* with the input terms from the same sign extensions */
    tml_conv_forms2_terms(r0, r1, quads, forms, &term0, &term1);
  } else {
    term0 = tml_smlad_input_term(r0, quads);
    term1 = tml_smlad_input_term(r1, quads);
  }
  for (o0 = 0; o0 < out_c; o0 += TML_REQUANT_BLOCK) {
    const int32_t n = out_c - o0 < TML_REQUANT_BLOCK ? out_c - o0 : TML_REQUANT_BLOCK;
    tml_conv_smlad_block(p, r0, r1, k, term0, term1, o0, n, forms, ready, acc);
    if (out1 != NULL) {
      tml_conv_requant2(&p->out, o0, acc, n, out0 + o0, out1 + o0);
    } else {
      tml_requant_s8(&p->out, o0, (const int32_t *)acc, n, out0 + o0);
    }
  }
}

/* Every output channel of two pixels (out1 NULL: one pixel, r1 == r0). work: TML_CONV_WORK_BYTES(k),
 * the accumulator block (pixel 0's, then pixel 1's) and then the forms. Each path its own frame
 * (TML_CONV_FRAME): inlined together they made one frame of both paths' spills, and slower code. */
static inline void tml_conv_smlad_pair(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1, int32_t k,
                                       int32_t *work, int8_t *out0, int8_t *out1) {
  uint32_t *const acc = (uint32_t *)work;
#if defined(__GNUC__)
  if (k == 8) {
    tml_conv_smlad_q2(p, r0, r1, out0, out1, acc);
    return;
  }
#endif
  tml_conv_smlad_blocks(p, r0, r1, k, acc, work + 2 * TML_REQUANT_BLOCK, out0, out1);
}
#else
/* The portable path: the same sums from the same bytes, one pixel at a time. */
static void tml_conv_smlad_one(const tml_conv_s8_params *p, const int8_t *r, int32_t k, int8_t *out) {
  uint32_t acc[TML_REQUANT_BLOCK];
  const int32_t quads = k >> 2, out_c = p->out_c;
  const uint32_t term = tml_smlad_input_term(r, quads);
  int32_t o0, i;
  for (o0 = 0; o0 < out_c; o0 += TML_REQUANT_BLOCK) {
    const int32_t n = out_c - o0 < TML_REQUANT_BLOCK ? out_c - o0 : TML_REQUANT_BLOCK;
    for (i = 0; i < n; ++i) {
      acc[i] = (uint32_t)p->bias[o0 + i] - term;
    }
    for (i = 0; i < n; i += TML_CONV_ROWS) {
      const int32_t group_rows = out_c - o0 - i < TML_CONV_ROWS ? out_c - o0 - i : TML_CONV_ROWS;
      tml_conv_rows(r, p->weights + (o0 + i) * k, quads, group_rows, acc + i);
    }
    if (k & 3) {
      tml_conv_tails(r, p->weights, k, o0, n, out_c, acc);
    }
    tml_requant_s8(&p->out, o0, (const int32_t *)acc, n, out + o0);
  }
}

static void tml_conv_smlad_pair(const tml_conv_s8_params *p, const int8_t *r0, const int8_t *r1, int32_t k,
                                int32_t *work, int8_t *out0, int8_t *out1) {
  (void)work; /* the portable path keeps one pixel's accumulators on its frame, and makes no forms */
  tml_conv_smlad_one(p, r0, k, out0);
  if (out1 != NULL) {
    tml_conv_smlad_one(p, r1, k, out1);
  }
}
#endif

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
 * [c0, c0 + fic), into col; taps outside the input become the input zero point. Without
 * dilation or groups a kernel row is one run of input bytes: clipped at the input's left and
 * right edges, it is copied at once and only the clipped taps are filled. */
static void tml_im2col(const tml_conv_s8_params *p, const int8_t *in, int32_t iy0, int32_t ix0, int32_t c0,
                       int8_t *col) {
  const int32_t fic = p->filter_in_c, k_w = p->k_w;
  const int32_t row_bytes = p->in_w * p->in_c;
  const int8_t zp = (int8_t)p->input_zero_point;
  const int runs = p->dilation_w == 1 && fic == p->in_c;
  /* taps [left, k_w - right) of a row are inside the input (runs only) */
  const int32_t left = ix0 < 0 ? (-ix0 < k_w ? -ix0 : k_w) : 0;
  const int32_t over = ix0 + k_w - p->in_w;
  const int32_t right = over > 0 ? (over < k_w - left ? over : k_w - left) : 0;
  int32_t ky, kx;
  if (runs && left == 0 && right == 0 && iy0 >= 0 && iy0 + (p->k_h - 1) * p->dilation_h < p->in_h) {
    /* the window is inside the input: k_h runs of k_w * fic bytes */
    const int8_t *src = in + iy0 * row_bytes + ix0 * fic;
    for (ky = 0; ky < p->k_h; ++ky, src += p->dilation_h * row_bytes, col += k_w * fic) {
      tml_copy_bytes(col, src, k_w * fic);
    }
    return;
  }
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dilation_h;
    if (iy < 0 || iy >= p->in_h) {
      tml_fill_bytes(col, zp, k_w * fic);
      col += k_w * fic;
      continue;
    }
    if (runs) {
      tml_fill_bytes(col, zp, left * fic);
      tml_copy_bytes(col + left * fic, in + iy * row_bytes + (ix0 + left) * fic, (k_w - left - right) * fic);
      tml_fill_bytes(col + (k_w - right) * fic, zp, right * fic);
      col += k_w * fic;
      continue;
    }
    for (kx = 0; kx < k_w; ++kx, col += fic) {
      const int32_t ix = ix0 + kx * p->dilation_w;
      if (ix < 0 || ix >= p->in_w) {
        tml_fill_bytes(col, zp, fic);
      } else {
        tml_copy_bytes(col, in + iy * row_bytes + ix * p->in_c + c0, fic);
      }
    }
  }
}

/* The convolution proper; im2col is NULL exactly for direct convolutions. smlad: the weights are
 * in the SMLAD layout (single group; tml_conv2d_s8_smlad) and work is its TML_CONV_WORK_BYTES(k),
 * else the row-major rows' TML_CONV_ROW_WORK_BYTES. */
static TML_CONV_FRAME void tml_conv2d_run(const tml_conv_s8_params *p, const int8_t *input, int8_t *output,
                                          int8_t *im2col, int32_t *work, int smlad) {
  const int32_t groups = p->in_c / p->filter_in_c;
  const int32_t oc_per_group = p->out_c / groups;
  const int32_t k = p->k_h * p->k_w * p->filter_in_c;
  const int32_t pixels = p->out_h * p->out_w;
  int8_t *col1 = im2col != NULL ? im2col + k : NULL;
  int32_t b, i, g;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in = input + b * p->in_h * p->in_w * p->in_c;
    int32_t oy = 0, ox = 0; /* position of output pixel i */
    for (i = 0; i < pixels; i += 2) {
      const int32_t iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
      const int single = i + 1 == pixels; /* odd pixel count: the last pixel alone */
      int8_t *out0 = output + i * p->out_c;
      int32_t iy1 = iy0, ix1 = ix0;
      if (++ox == p->out_w) {
        ox = 0;
        ++oy;
      }
      if (!single) {
        iy1 = oy * p->stride_h - p->pad_h;
        ix1 = ox * p->stride_w - p->pad_w;
        if (++ox == p->out_w) {
          ox = 0;
          ++oy;
        }
      }
      for (g = 0; g < groups; ++g) {
        const int8_t *r0 = in + (iy0 * p->in_w + ix0) * p->in_c;
        const int8_t *r1 = in + (iy1 * p->in_w + ix1) * p->in_c;
        if (im2col != NULL) { /* gather both receptive fields; NULL: 1x1, the pixels are the rows */
          tml_im2col(p, in, iy0, ix0, g * p->filter_in_c, im2col);
          r0 = r1 = im2col;
          if (!single) {
            tml_im2col(p, in, iy1, ix1, g * p->filter_in_c, col1);
            r1 = col1;
          }
        }
        if (smlad) {
          tml_conv_smlad_pair(p, r0, r1, k, work, out0, single ? NULL : out0 + p->out_c);
        } else {
          tml_conv_channels(p, r0, r1, k, g * oc_per_group, (g + 1) * oc_per_group, out0,
                            single ? NULL : out0 + p->out_c, work);
        }
      }
    }
    output += pixels * p->out_c;
  }
}

/* A convolution whose im2col the arena had no room for without growing (2 * k <= TML_CONV_STACK_COL):
 * gathered on this frame, a separate one so that the direct convolutions do not carry it. */
static TML_CONV_FRAME void tml_conv2d_stack_col(const tml_conv_s8_params *p, const int8_t *input, int8_t *output,
                                                int32_t *work, int smlad) {
  int8_t stack_col[TML_CONV_STACK_COL];
  tml_conv2d_run(p, input, output, stack_col, work, smlad);
}

/* The convolution with its im2col: the arena's, none (direct) or tml_conv2d_stack_col's. */
static inline void tml_conv2d_gather(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col,
                                     int32_t *work, int smlad) {
  if (p->direct || im2col != NULL) {
    tml_conv2d_run(p, input, output, im2col, work, smlad);
  } else { /* NULL: 2 * k <= TML_CONV_STACK_COL, the lowering asked for optional scratch only */
    tml_conv2d_stack_col(p, input, output, work, smlad);
  }
}

/* tml_conv2d_s8 whose work buffer the arena had no room for without growing: on this frame. */
static TML_CONV_FRAME void tml_conv2d_stack_row_work(const tml_conv_s8_params *p, const int8_t *input, int8_t *output,
                                                     int8_t *im2col) {
  int32_t work[TML_CONV_ROW_WORK_BYTES / 4] TML_ALIGNED(8);
  tml_conv2d_gather(p, input, output, im2col, work, 0);
}

void tml_conv2d_s8(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col, int32_t *work) {
  if (work == NULL) {
    tml_conv2d_stack_row_work(p, input, output, im2col);
  } else {
    tml_conv2d_gather(p, input, output, im2col, work, 0);
  }
}

#if TML_HAVE_SIMD32
/* The SMLAD convolution whose work buffer the arena had no room for without growing: on this frame,
 * BYTES = TML_CONV_WORK_BYTES of the largest k the function serves (one function per size, so that
 * a small convolution does not reserve the largest buffer). */
#define TML_CONV_STACK_WORK(NAME, BYTES)                                                                              \
  static TML_CONV_FRAME void NAME(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col) { \
    int32_t work[(BYTES) / 4] TML_ALIGNED(8);                                                                         \
    tml_conv2d_gather(p, input, output, im2col, work, 1);                                                             \
  }
TML_CONV_STACK_WORK(tml_conv2d_stack_work2, TML_CONV_WORK_BYTES(8))   /* k <= 11: two quads */
TML_CONV_STACK_WORK(tml_conv2d_stack_work16, TML_CONV_WORK_BYTES(64)) /* k <= 67: 16 quads */
TML_CONV_STACK_WORK(tml_conv2d_stack_work, TML_CONV_WORK_BYTES(4 * TML_CONV_FORM_QUADS))
#endif

/* tml_conv2d_s8 for weights in the SMLAD layout: single-group convolutions with out_c >= 4 and
 * k >= 4 (ops/_conv2d_smlad.py). work: TML_CONV_WORK_BYTES(k) of arena scratch, or NULL where it
 * would have grown the arena (then on the stack). */
void tml_conv2d_s8_smlad(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col,
                         int32_t *work) {
#if TML_HAVE_SIMD32
  if (work == NULL) {
    const int32_t quads = p->k_h * p->k_w * p->filter_in_c / 4;
    if (quads <= 2) {
      tml_conv2d_stack_work2(p, input, output, im2col);
    } else if (quads <= 16) {
      tml_conv2d_stack_work16(p, input, output, im2col);
    } else {
      tml_conv2d_stack_work(p, input, output, im2col);
    }
    return;
  }
#endif
  tml_conv2d_gather(p, input, output, im2col, work, 1); /* without SIMD32 work is not used */
}
