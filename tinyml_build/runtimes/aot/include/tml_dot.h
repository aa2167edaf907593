/* tml_dot.h -- int8 and int16 x int8 dot products shared by the matrix-shaped kernels (FC,
 * CONV_2D, TRANSPOSE_CONV).
 *
 * Why a shared header: the inner loop is where nearly all instructions go. On cores with the
 * Armv7E-M SIMD32 instructions (Cortex-M4/M7/M33...) four int8 products cost two SMLADs plus
 * the sign extensions; elsewhere a 4x unrolled plain C loop is used. Products are exact in
 * int32, so every path gives the same bits.
 */
#ifndef TML_DOT_H
#define TML_DOT_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#define TML_HAVE_SIMD32 1
#else
#define TML_HAVE_SIMD32 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

static inline uint32_t tml_load4(const int8_t *p) {
  uint32_t word;
  memcpy(&word, p, 4); /* one (unaligned-capable) word load on Cortex-M3 and up */
  return word;
}

#if TML_HAVE_SIMD32
/* Sign-extend bytes 0 and 2 (tml_sxtb16) or bytes 1 and 3 (tml_sxtb16_ror8) into two int16 lanes. */
static inline int32_t tml_sxtb16(uint32_t x) {
  return (int32_t)__sxtb16(x);
}
#if defined(__GNUC__)
static inline int32_t tml_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); /* the rotate is free inside SXTB16 */
  return r;
}
#else
static inline int32_t tml_sxtb16_ror8(uint32_t x) {
  return (int32_t)__sxtb16((x >> 8) | (x << 24));
}
#endif
#endif

#if TML_HAVE_SIMD32
/* int16 x int8 products on SMLAD: four int16 inputs x[0..3] repacked as the lanes that match
 * tml_sxtb16 / tml_sxtb16_ror8 of four int8 weights, *even = (x0, x2) and *odd = (x1, x3). Load
 * them once, then tml_dot4_s16x8 for each weight row they meet. */
static inline void tml_load_s16_pairs(const int16_t *x, int32_t *even, int32_t *odd) {
  uint32_t lo, hi;
  memcpy(&lo, x, 4);
  memcpy(&hi, x + 2, 4);
  *even = (int32_t)((lo & 0xFFFFu) | (hi << 16));
  *odd = (int32_t)((lo >> 16) | (hi & 0xFFFF0000u));
}

/* acc + x[0..3] . w[0..3], with x as tml_load_s16_pairs gives it: two SMLADs. */
static inline int32_t tml_dot4_s16x8(int32_t x_even, int32_t x_odd, const int8_t *w, int32_t acc) {
  const uint32_t word = tml_load4(w);
  acc = __smlad(x_even, tml_sxtb16(word), acc);
  return __smlad(x_odd, tml_sxtb16_ror8(word), acc);
}
#endif

/* acc + sum(a[i] * b[i]) for i < n. */
static inline int32_t tml_dot_s8(const int8_t *a, const int8_t *b, int32_t n, int32_t acc) {
#if TML_HAVE_SIMD32
  int32_t g;
  for (g = n >> 2; g > 0; --g, a += 4, b += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t wb = tml_load4(b);
    acc = __smlad(tml_sxtb16(wa), tml_sxtb16(wb), acc);
    acc = __smlad(tml_sxtb16_ror8(wa), tml_sxtb16_ror8(wb), acc);
  }
#else
  int32_t g;
  for (g = n >> 2; g > 0; --g, a += 4, b += 4) {
    acc += a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  }
#endif
  for (g = n & 3; g > 0; --g) {
    acc += *a++ * *b++;
  }
  return acc;
}

/* Two dot products sharing the `a` operand: *acc0 += a.b0, *acc1 += a.b1 (loads `a` once).
 * Returns b1 + n: for consecutive rows (b1 = b0 + n) the next pair, so matrix kernels walk their
 * weights without recomputing row addresses. */
static inline const int8_t *tml_dot2_s8(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n, int32_t *acc0,
                                        int32_t *acc1) {
  int32_t s0 = *acc0;
  int32_t s1 = *acc1;
  int32_t g;
#if TML_HAVE_SIMD32
  for (g = n >> 2; g > 0; --g, a += 4, b0 += 4, b1 += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t w0 = tml_load4(b0);
    const uint32_t w1 = tml_load4(b1);
    const int32_t a_even = tml_sxtb16(wa);
    const int32_t a_odd = tml_sxtb16_ror8(wa);
    s0 = __smlad(a_even, tml_sxtb16(w0), s0);
    s0 = __smlad(a_odd, tml_sxtb16_ror8(w0), s0);
    s1 = __smlad(a_even, tml_sxtb16(w1), s1);
    s1 = __smlad(a_odd, tml_sxtb16_ror8(w1), s1);
  }
#else
  for (g = n >> 2; g > 0; --g, a += 4, b0 += 4, b1 += 4) {
    const int32_t x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
    s0 += x0 * b0[0] + x1 * b0[1] + x2 * b0[2] + x3 * b0[3];
    s1 += x0 * b1[0] + x1 * b1[1] + x2 * b1[2] + x3 * b1[3];
  }
#endif
  for (g = n & 3; g > 0; --g) {
    const int32_t x = *a++;
    s0 += x * *b0++;
    s1 += x * *b1++;
  }
  *acc0 = s0;
  *acc1 = s1;
  return b1;
}

/* Four dot products of two rows a0, a1 with two rows b0, b1:
 * acc[0] += a0.b0, acc[1] += a0.b1, acc[2] += a1.b0, acc[3] += a1.b1 (each operand loaded once). */
static inline void tml_dot2x2_s8(const int8_t *a0, const int8_t *a1, const int8_t *b0, const int8_t *b1, int32_t n,
                                 int32_t acc[4]) {
  int32_t s00 = acc[0], s01 = acc[1], s10 = acc[2], s11 = acc[3];
#if TML_HAVE_SIMD32
  for (; n >= 4; n -= 4, a0 += 4, a1 += 4, b0 += 4, b1 += 4) {
    const uint32_t wb0 = tml_load4(b0);
    const uint32_t wb1 = tml_load4(b1);
    const int32_t b0_even = tml_sxtb16(wb0), b0_odd = tml_sxtb16_ror8(wb0);
    const int32_t b1_even = tml_sxtb16(wb1), b1_odd = tml_sxtb16_ror8(wb1);
    uint32_t wa = tml_load4(a0);
    int32_t even = tml_sxtb16(wa), odd = tml_sxtb16_ror8(wa);
    s00 = __smlad(even, b0_even, s00);
    s00 = __smlad(odd, b0_odd, s00);
    s01 = __smlad(even, b1_even, s01);
    s01 = __smlad(odd, b1_odd, s01);
    wa = tml_load4(a1);
    even = tml_sxtb16(wa);
    odd = tml_sxtb16_ror8(wa);
    s10 = __smlad(even, b0_even, s10);
    s10 = __smlad(odd, b0_odd, s10);
    s11 = __smlad(even, b1_even, s11);
    s11 = __smlad(odd, b1_odd, s11);
  }
#else
  for (; n >= 2; n -= 2, a0 += 2, a1 += 2, b0 += 2, b1 += 2) {
    const int32_t x00 = a0[0], x01 = a0[1], x10 = a1[0], x11 = a1[1];
    const int32_t y00 = b0[0], y01 = b0[1], y10 = b1[0], y11 = b1[1];
    s00 += x00 * y00 + x01 * y01;
    s01 += x00 * y10 + x01 * y11;
    s10 += x10 * y00 + x11 * y01;
    s11 += x10 * y10 + x11 * y11;
  }
#endif
  for (; n > 0; --n) {
    const int32_t x0 = *a0++, x1 = *a1++, y0 = *b0++, y1 = *b1++;
    s00 += x0 * y0;
    s01 += x0 * y1;
    s10 += x1 * y0;
    s11 += x1 * y1;
  }
  acc[0] = s00;
  acc[1] = s01;
  acc[2] = s10;
  acc[3] = s11;
}

/* ---- offset dot products (SVDF) -------------------------------------------------------------
 * acc + sum((a[i] + a_offset) * b[i]): the zero point subtracted in the loop instead of folded into
 * a per-row constant table, so kernels need no flash for it. On SIMD32 cores SXTAB16 adds the
 * offset while it sign-extends, so the offset costs no instruction over tml_dot_s8. a_offset is
 * minus an int8 zero point, so every a[i] + a_offset fits an int16 lane. */
#if TML_HAVE_SIMD32
static inline int32_t tml_sxtab16(int32_t add, uint32_t x) {
  return (int32_t)__sxtab16(add, x);
}
#if defined(__GNUC__)
static inline int32_t tml_sxtab16_ror8(int32_t add, uint32_t x) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(add), "r"(x));
  return r;
}
#else
static inline int32_t tml_sxtab16_ror8(int32_t add, uint32_t x) {
  return (int32_t)__sxtab16(add, (x >> 8) | (x << 24));
}
#endif
#endif

static inline int32_t tml_dot_s8_offset(const int8_t *a, int32_t a_offset, const int8_t *b, int32_t n, int32_t acc) {
  int32_t g;
#if TML_HAVE_SIMD32
  const int32_t offsets = (int32_t)(((uint32_t)a_offset & 0xFFFFu) | ((uint32_t)a_offset << 16));
  for (g = n >> 2; g > 0; --g, a += 4, b += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t wb = tml_load4(b);
    acc = __smlad(tml_sxtab16(offsets, wa), tml_sxtb16(wb), acc);
    acc = __smlad(tml_sxtab16_ror8(offsets, wa), tml_sxtb16_ror8(wb), acc);
  }
#else
  for (g = n >> 2; g > 0; --g, a += 4, b += 4) {
    acc += (a[0] + a_offset) * b[0] + (a[1] + a_offset) * b[1] + (a[2] + a_offset) * b[2] + (a[3] + a_offset) * b[3];
  }
#endif
  for (g = n & 3; g > 0; --g) {
    acc += (*a++ + a_offset) * *b++;
  }
  return acc;
}

/* Two offset dot products sharing the `a` operand (offset once for both):
 * *acc0 += sum((a[i] + a_offset) * b0[i]), *acc1 likewise with b1. */
static inline void tml_dot2_s8_offset(const int8_t *a, int32_t a_offset, const int8_t *b0, const int8_t *b1, int32_t n,
                                      int32_t *acc0, int32_t *acc1) {
  int32_t s0 = *acc0;
  int32_t s1 = *acc1;
  int32_t g;
#if TML_HAVE_SIMD32
  const int32_t offsets = (int32_t)(((uint32_t)a_offset & 0xFFFFu) | ((uint32_t)a_offset << 16));
  for (g = n >> 2; g > 0; --g, a += 4, b0 += 4, b1 += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t w0 = tml_load4(b0);
    const uint32_t w1 = tml_load4(b1);
    const int32_t a_even = tml_sxtab16(offsets, wa);
    const int32_t a_odd = tml_sxtab16_ror8(offsets, wa);
    s0 = __smlad(a_even, tml_sxtb16(w0), s0);
    s0 = __smlad(a_odd, tml_sxtb16_ror8(w0), s0);
    s1 = __smlad(a_even, tml_sxtb16(w1), s1);
    s1 = __smlad(a_odd, tml_sxtb16_ror8(w1), s1);
  }
#else
  for (g = n >> 2; g > 0; --g, a += 4, b0 += 4, b1 += 4) {
    const int32_t x0 = a[0] + a_offset, x1 = a[1] + a_offset, x2 = a[2] + a_offset, x3 = a[3] + a_offset;
    s0 += x0 * b0[0] + x1 * b0[1] + x2 * b0[2] + x3 * b0[3];
    s1 += x0 * b1[0] + x1 * b1[1] + x2 * b1[2] + x3 * b1[3];
  }
#endif
  for (g = n & 3; g > 0; --g) {
    const int32_t x = *a++ + a_offset;
    s0 += x * *b0++;
    s1 += x * *b1++;
  }
  *acc0 = s0;
  *acc1 = s1;
}

/* ---- the SMLAD weight layout (FULLY_CONNECTED, CONV_2D) ---------------------------------------
 * Weights stored with bytes 0 and 2 of each quad offset by 128 (ops/fully_connected.py,
 * smlad_weights): the raw weight word is then one SMLAD operand and only bytes 1 and 3 need a sign
 * extension. An input quad x meets it as the forms xa = (x0, x2) and xb = (x1 - 128 - 256 x0,
 * x3 - 128 - 256 x2), made once per input quad and read by every weight row:
 *   SMLAD(xa, word) + SMLAD(xb, SXTB16(word ror 8)) = x.w + 128 (x0 + x2) - 128 (w1 + w3).
 * The weight term is folded into the bias at build time; tml_smlad_input_term is the input's.
 * (fully_connected.c keeps its own copies: compiled there through these inline functions its
 * micro_speech layer took 1.0 K instructions more.) */
#if TML_HAVE_SIMD32
/* xb of the input quad `word`: halfwords (~x0 << 8 | (x1 ^ 0x80), ~x2 << 8 | (x3 ^ 0x80)). */
static inline int32_t tml_smlad_xb(uint32_t word) {
#if defined(__GNUC__)
  uint32_t swapped;
  __asm__("rev16 %0, %1" : "=r"(swapped) : "r"(word)); /* GCC 12's arm_acle.h has no __rev16 */
#else
  const uint32_t swapped = __rev16(word);
#endif
  return (int32_t)(swapped ^ 0xFF80FF80u);
}
#endif

#if TML_HAVE_SIMD32
/* forms[2q], forms[2q + 1] = xa, xb of quad q of x, made once and read by every row (FULLY_CONNECTED,
 * LSTM); returns the quads' input term (tml_smlad_input_term), one SMLAD more per quad here. */
static inline uint32_t tml_smlad_forms(const int8_t *x, int32_t quads, int32_t *forms) {
  int32_t sum = 0;
  for (; quads > 0; --quads, x += 4, forms += 2) {
    const uint32_t word = tml_load4(x);
    const int32_t xa = tml_sxtb16(word);
    forms[0] = xa;
    forms[1] = tml_smlad_xb(word);
    sum = __smlad(xa, 0x00010001, sum);
  }
  return (uint32_t)sum << 7;
}
#endif

/* 128 * (x0 + x2) summed over the `quads` quads of x: the input term of the layout's sums. */
static inline uint32_t tml_smlad_input_term(const int8_t *x, int32_t quads) {
#if TML_HAVE_SIMD32
  int32_t sum = 0; /* SMLAD of (x0, x2) with (1, 1): a load, an extension and an add per quad */
  for (; quads > 0; --quads, x += 4) {
    sum = __smlad(tml_sxtb16(tml_load4(x)), 0x00010001, sum);
  }
  return (uint32_t)sum << 7;
#else
  uint32_t sum = 0;
  for (; quads > 0; --quads, x += 4) {
    sum += (uint32_t)(x[0] + x[2]);
  }
  return sum << 7;
#endif
}

/* One quad of input x against one layout quad w, the layout's sum (x.w + 128 (x0 + x2) - 128 (w1 + w3)),
 * modulo 2^32 as SMLAD computes it. */
static inline uint32_t tml_smlad_quad(const int8_t *x, const int8_t *w) {
#if TML_HAVE_SIMD32
  const uint32_t word = tml_load4(x), wv = tml_load4(w);
  const int32_t sum = __smlad(tml_sxtb16(word), (int32_t)wv, 0);
  return (uint32_t)__smlad(tml_smlad_xb(word), tml_sxtb16_ror8(wv), sum);
#else
  return (uint32_t)(x[0] * (int32_t)(uint8_t)w[0] + (x[1] - 128) * w[1] + x[2] * (int32_t)(uint8_t)w[2] +
                    (x[3] - 128) * w[3]);
#endif
}

/* ---- lstmspeed: one input quad's forms against a four-row group of the SMLAD layout -----------
 * For kernels that walk row groups of the layout above against stored input forms
 * (FULLY_CONNECTED, the integer LSTM's gates): loads (xa, xb) with one LDRD, then per row a post-indexed weight-word load, one
 * sign extension and two SMLADs into s0..s3 -- 17 instructions per 16 MACs. Written out because
 * GCC 12 loads the forms with two LDRs and spends separate pointer updates. Use inside
 * __asm__(TML_SMLAD_QUAD4_ASM ... TML_SMLAD_QUAD4_OPERANDS(forms, w, xa, xb, t)) with int32_t
 * s0..s3 in scope; forms (const int32_t *) and w (const int8_t *) advance past what was read. */
#if TML_HAVE_SIMD32 && defined(__GNUC__)
#define TML_SMLAD_QUAD4_ASM             \
  "ldrd %[xa], %[xb], [%[f]], #8\n\t"   \
  "ldr %[t], [%[w]], #4\n\t"            \
  "smlad %[s0], %[xa], %[t], %[s0]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"       \
  "smlad %[s0], %[xb], %[t], %[s0]\n\t" \
  "ldr %[t], [%[w]], #4\n\t"            \
  "smlad %[s1], %[xa], %[t], %[s1]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"       \
  "smlad %[s1], %[xb], %[t], %[s1]\n\t" \
  "ldr %[t], [%[w]], #4\n\t"            \
  "smlad %[s2], %[xa], %[t], %[s2]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"       \
  "smlad %[s2], %[xb], %[t], %[s2]\n\t" \
  "ldr %[t], [%[w]], #4\n\t"            \
  "smlad %[s3], %[xa], %[t], %[s3]\n\t" \
  "sxtb16 %[t], %[t], ror #8\n\t"       \
  "smlad %[s3], %[xb], %[t], %[s3]\n\t"
#define TML_SMLAD_QUAD4_OPERANDS(forms_, w_, xa_, xb_, t_)                                                       \
  : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [f] "+r"(forms_), [w] "+r"(w_), [xa] "=&r"(xa_), \
    [xb] "=&r"(xb_), [t] "=&r"(t_)                                                                             \
  :                                                                                                            \
  : "memory"
#endif

/* ---- conv16: int16 x int8 dot products over whole rows (FULLY_CONNECTED 16x8, CONV_2D 16x8) ----
 * Exact int64 sums of int16 x int8 products, as TFLM's 16x8 kernels accumulate. A product is at
 * most 2^22 in magnitude, so TML_S16X8_RUN_MAX products fit an int32 partial sum whatever the
 * values (2^30 < 2^31); the partial sums are widened to int64 after each such run. Shared so that
 * CONV_2D 16x8's gathered patch (one output pixel's receptive field, contiguous) is a row of
 * FULLY_CONNECTED 16x8 against weights in the same layout.
 *
 * The layout (ops/fully_connected_16x8.py s16x8_rows): every full quad of a row stored as (w0, w2,
 * w1, w3), so that SXTB16 of the word gives the lanes (w0, w1) and SXTB16 ror 8 gives (w2, w3): they
 * meet the input words (x0, x1) and (x2, x3) exactly as loaded, with no repacking of the inputs;
 * rows in groups of four with their quads interleaved (quad q of rows 0..3, then quad q + 1), then
 * the group's rows' depth % 4 tail bytes; the last rows % 4 rows row-major. */
#define TML_S16X8_RUN_MAX 256

/* acc + x[0..3] . w[0..3] for a quad stored as (w0, w2, w1, w3). SIMD32: x01 = (x0, x1) and
 * x23 = (x2, x3) as a word load of two int16 each gives them, two sign extensions and two SMLADs;
 * elsewhere the same sum in plain C from x itself (hence the other signature). */
#if TML_HAVE_SIMD32
static inline int32_t tml_dot4_s16x8_lanes(int32_t x01, int32_t x23, const int8_t *w, int32_t acc) {
  const uint32_t word = tml_load4(w);
  acc = __smlad(x01, tml_sxtb16(word), acc);
  return __smlad(x23, tml_sxtb16_ror8(word), acc);
}
#else
static inline int32_t tml_dot4_s16x8_lanes(const int16_t *x, const int8_t *w, int32_t acc) {
  return acc + x[0] * w[0] + x[1] * w[2] + x[2] * w[1] + x[3] * w[3];
}
#endif

/* acc[k] = x . row k for a group of four rows of the layout above. One weight pointer walks the
 * group, so the loop keeps its sums, the input words and the pointers in registers. */
static inline void tml_dot4_rows_s16x8(const int16_t *x, const int8_t *w, int32_t depth, int64_t acc[4]) {
  const int32_t quads = depth & ~3, tail = depth - quads;
  int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int32_t done = 0, j;
  while (done < quads) {
    const int32_t n = quads - done < TML_S16X8_RUN_MAX ? quads - done : TML_S16X8_RUN_MAX; /* a multiple of 4 */
    const int16_t *xp = x + done, *const end = xp + n;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; xp < end; xp += 4, w += 16) {
#if TML_HAVE_SIMD32
      int32_t x01, x23;
      memcpy(&x01, xp, 4);
      memcpy(&x23, xp + 2, 4);
      s0 = tml_dot4_s16x8_lanes(x01, x23, w, s0);
      s1 = tml_dot4_s16x8_lanes(x01, x23, w + 4, s1);
      s2 = tml_dot4_s16x8_lanes(x01, x23, w + 8, s2);
      s3 = tml_dot4_s16x8_lanes(x01, x23, w + 12, s3);
#else
      s0 = tml_dot4_s16x8_lanes(xp, w, s0);
      s1 = tml_dot4_s16x8_lanes(xp, w + 4, s1);
      s2 = tml_dot4_s16x8_lanes(xp, w + 8, s2);
      s3 = tml_dot4_s16x8_lanes(xp, w + 12, s3);
#endif
    }
    a0 += s0, a1 += s1, a2 += s2, a3 += s3;
    done += n;
  }
  for (j = 0; j < tail; ++j) {
    const int32_t v = x[quads + j];
    a0 += v * w[j];
    a1 += v * w[tail + j];
    a2 += v * w[2 * tail + j];
    a3 += v * w[3 * tail + j];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* x . w over depth products, w one row of the layout above (quads as (w0, w2, w1, w3), then the tail). */
static inline int64_t tml_dot_row_s16x8(const int16_t *x, const int8_t *w, int32_t depth) {
  const int32_t quads = depth & ~3;
  int64_t a = 0;
  int32_t done = 0, i;
  while (done < quads) {
    const int32_t n = quads - done < TML_S16X8_RUN_MAX ? quads - done : TML_S16X8_RUN_MAX;
    int32_t s = 0;
    for (i = done; i < done + n; i += 4) {
#if TML_HAVE_SIMD32
      int32_t x01, x23;
      memcpy(&x01, x + i, 4);
      memcpy(&x23, x + i + 2, 4);
      s = tml_dot4_s16x8_lanes(x01, x23, w + i, s);
#else
      s = tml_dot4_s16x8_lanes(x + i, w + i, s);
#endif
    }
    a += s;
    done += n;
  }
  for (i = quads; i < depth; ++i) a += x[i] * w[i];
  return a;
}

#ifdef __cplusplus
}
#endif

#endif /* TML_DOT_H */
