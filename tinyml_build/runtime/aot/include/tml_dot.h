/* tml_dot.h -- int8 dot products shared by the matrix-shaped kernels (FC, CONV_2D).
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

/* acc + sum(a[i] * b[i]) for i < n. */
static inline int32_t tml_dot_s8(const int8_t *a, const int8_t *b, int32_t n, int32_t acc) {
#if TML_HAVE_SIMD32
  for (; n >= 4; n -= 4, a += 4, b += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t wb = tml_load4(b);
    acc = __smlad(__sxtb16(wa), __sxtb16(wb), acc);
    acc = __smlad(__sxtb16(__ror(wa, 8)), __sxtb16(__ror(wb, 8)), acc);
  }
#else
  for (; n >= 4; n -= 4, a += 4, b += 4) {
    acc += a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  }
#endif
  for (; n > 0; --n) {
    acc += *a++ * *b++;
  }
  return acc;
}

/* Two dot products sharing the `a` operand: *acc0 += a.b0, *acc1 += a.b1 (loads `a` once). */
static inline void tml_dot2_s8(const int8_t *a, const int8_t *b0, const int8_t *b1, int32_t n, int32_t *acc0,
                               int32_t *acc1) {
  int32_t s0 = *acc0;
  int32_t s1 = *acc1;
#if TML_HAVE_SIMD32
  for (; n >= 4; n -= 4, a += 4, b0 += 4, b1 += 4) {
    const uint32_t wa = tml_load4(a);
    const uint32_t w0 = tml_load4(b0);
    const uint32_t w1 = tml_load4(b1);
    const int32_t a_even = (int32_t)__sxtb16(wa);
    const int32_t a_odd = (int32_t)__sxtb16(__ror(wa, 8));
    s0 = __smlad(a_even, __sxtb16(w0), s0);
    s0 = __smlad(a_odd, __sxtb16(__ror(w0, 8)), s0);
    s1 = __smlad(a_even, __sxtb16(w1), s1);
    s1 = __smlad(a_odd, __sxtb16(__ror(w1, 8)), s1);
  }
#else
  for (; n >= 4; n -= 4, a += 4, b0 += 4, b1 += 4) {
    const int32_t x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
    s0 += x0 * b0[0] + x1 * b0[1] + x2 * b0[2] + x3 * b0[3];
    s1 += x0 * b1[0] + x1 * b1[1] + x2 * b1[2] + x3 * b1[3];
  }
#endif
  for (; n > 0; --n) {
    const int32_t x = *a++;
    s0 += x * *b0++;
    s1 += x * *b1++;
  }
  *acc0 = s0;
  *acc1 = s1;
}

#ifdef __cplusplus
}
#endif

#endif /* TML_DOT_H */
