/* double.c -- IEEE 754 binary64 arithmetic for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: the ESP32 cores have no double-precision unit, so LLVM 22 calls a helper for every
 * double operation, and TFLM's Prepare computes its quantization multipliers in double
 * (QuantizeMultiplier: frexp, multiply, round). Debian's lx106 libgcc has these helpers only for
 * the call0 ABI. A multiplier one bit off changes model outputs, so every helper here is correctly
 * rounded to nearest-even, with subnormals, signed zeros, infinities and NaNs, written from the
 * IEEE 754 rules (tests/test_xtensa_double.py compares this file, compiled for the host, with the
 * host's hardware double on millions of operands).
 * The arithmetic (add, sub, mul, div, neg, unord, from 64-bit integers) is tml_rt_ieee_template.h,
 * the same algorithm float.c instantiates at binary32; this file gives its binary64 parameters, the
 * 53 x 53-bit significand product (from 32 x 32-bit products), the comparisons, float <-> double and
 * the conversions to integers.
 * NaN results: a NaN operand comes back quieted (the first one if both are NaN); an invalid
 * operation (inf - inf, 0 * inf, 0 / 0, inf / inf) gives the default NaN 0x7FF8000000000000.
 * Comparison helpers follow libgcc's contract (what LLVM's calls expect): __eqdf2/__nedf2 return 0
 * when equal; __ltdf2/__ledf2 return <0/<=0 when a < b / a <= b and 1 when unordered; __gtdf2/
 * __gedf2 return >0/>=0 when a > b / a >= b and -1 when unordered; __unorddf2 is non-zero when
 * either is a NaN. Conversions to integers truncate toward zero and saturate (NaN gives 0).
 *
 * Internal form (the template's): the significand's leading one at bit 61 (TML_RT_LEAD), 9 bits
 * below the binary64 precision for rounding, the lowest one sticky.
 */
#include <stdint.h>

#include "tml_rt_bits.h"
#include "tml_rt_softfp.h"

#define TML_RT_FLOAT double
#define TML_RT_WORD uint64_t
#define TML_RT_EXP_BITS 11
#define TML_RT_FRAC_BITS 52
#define TML_RT_EXTRA 9
#define TML_RT_CLZ(x) tml_rt_clz64(x)
#define TML_RT_BITS(f) tml_rt_bits64(f)
#define TML_RT_VALUE(w) tml_rt_double(w)
#define TML_RT_NAME(op, n) __##op##df##n
#include "tml_rt_ieee_template.h"

/* The 128-bit product a * b as high and low 64-bit halves, from 32 x 32 -> 64-bit products. */
static uint64_t tml_rt_mul128(uint64_t a, uint64_t b, uint64_t *low) {
  const uint64_t a0 = (uint32_t)a;
  const uint64_t a1 = a >> 32;
  const uint64_t b0 = (uint32_t)b;
  const uint64_t b1 = b >> 32;
  const uint64_t p00 = a0 * b0;
  const uint64_t p01 = a0 * b1;
  const uint64_t p10 = a1 * b0;
  const uint64_t p11 = a1 * b1;
  const uint64_t middle = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  *low = (middle << 32) | (uint32_t)p00;
  return p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

/* 53-bit significands: the product has 105 or 106 bits; its top 62 or 63 (leading one at TML_RT_LEAD
 * or one above) are kept, the rest is sticky. */
static uint64_t tml_rt_mul_significands(uint64_t mx, uint64_t my) {
  uint64_t low;
  const uint64_t high = tml_rt_mul128(mx, my, &low);
  const uint32_t drop = 2u * TML_RT_FRAC_BITS - TML_RT_LEAD; /* 43 */
  return (high << (64u - drop)) | (low >> drop) | ((low << (64u - drop)) != 0u ? 1u : 0u);
}

/* -1, 0 or 1 as a <, ==, > b; `unordered` when either is a NaN. +0 equals -0. */
static int tml_rt_compare(double a, double b, int unordered) {
  const uint64_t x = tml_rt_bits64(a);
  const uint64_t y = tml_rt_bits64(b);
  if (tml_rt_is_nan(x) || tml_rt_is_nan(y)) {
    return unordered;
  }
  if (((x | y) & ~TML_RT_SIGN) == 0u || x == y) {
    return 0;
  }
  /* sign-magnitude order: negative values order backwards */
  const int x_negative = (x & TML_RT_SIGN) != 0u;
  const int y_negative = (y & TML_RT_SIGN) != 0u;
  if (x_negative != y_negative) {
    return x_negative ? -1 : 1;
  }
  const int less = x_negative ? (x > y) : (x < y);
  return less ? -1 : 1;
}

int __eqdf2(double a, double b) {
  return tml_rt_compare(a, b, 1);
}

int __nedf2(double a, double b) {
  return tml_rt_compare(a, b, 1);
}

int __ltdf2(double a, double b) {
  return tml_rt_compare(a, b, 1);
}

int __ledf2(double a, double b) {
  return tml_rt_compare(a, b, 1);
}

int __gtdf2(double a, double b) {
  return tml_rt_compare(a, b, -1);
}

int __gedf2(double a, double b) {
  return tml_rt_compare(a, b, -1);
}

double __extendsfdf2(float a) {
  const uint32_t bits = tml_rt_bits32(a);
  const uint64_t sign = (uint64_t)(bits & 0x80000000u) << 32;
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude >= 0x7F800000u) { /* inf, or NaN (quieted, payload kept in the top bits) */
    const uint64_t payload = (uint64_t)(magnitude & 0x007FFFFFu) << 29;
    return tml_rt_double(sign | TML_RT_EXP_MASK | payload | (payload != 0u ? TML_RT_QUIET : 0u));
  }
  if (magnitude == 0u) {
    return tml_rt_double(sign);
  }
  uint32_t e = magnitude >> 23;
  uint64_t m = magnitude & 0x007FFFFFu;
  if (e == 0u) {                                                      /* subnormal float: a normal double */
    const uint32_t shift = (uint32_t)__builtin_clz((uint32_t)m) - 8u; /* leading one to bit 23 */
    m = (m << shift) & 0x007FFFFFu;
    e = 1u - shift;
  }
  return tml_rt_double(sign | ((uint64_t)(e + 1023u - 127u) << 52) | (m << 29));
}

float __truncdfsf2(double a) {
  const uint64_t x = tml_rt_bits64(a);
  const uint32_t sign = (uint32_t)(x >> 32) & 0x80000000u;
  const uint64_t ax = x & ~TML_RT_SIGN;
  if (ax >= TML_RT_EXP_MASK) {
    const uint32_t payload = (uint32_t)((ax & TML_RT_FRAC_MASK) >> 29);
    return tml_rt_float(sign | 0x7F800000u | (ax > TML_RT_EXP_MASK ? (payload | 0x00400000u) : 0u));
  }
  if (ax == 0u) {
    return tml_rt_float(sign);
  }
  int32_t e;
  uint64_t m = tml_rt_unpack(ax, &e); /* leading one at 61: a float keeps its top 24 bits */
  const int32_t fe = e - 1023 + 127;  /* the float's biased exponent */
  if (fe >= 255) {
    return tml_rt_float(sign | 0x7F800000u);
  }
  uint32_t field = 0u;
  if (fe >= 1) {
    field = (uint32_t)(fe - 1) << 23;
  } else {
    m = tml_rt_shift_right_sticky(m, (uint32_t)(1 - fe));
  }
  /* bits 61..38 are the float's 24 bits; 37..0 decide the rounding */
  uint32_t kept = (uint32_t)(m >> 38);
  const uint64_t rest = m & ((1ull << 38) - 1ull);
  const uint64_t half = 1ull << 37;
  if (rest > half || (rest == half && (kept & 1u) != 0u)) {
    kept += 1u;
  }
  return tml_rt_float(sign | (field + kept));
}

/* |a| truncated toward zero, as an unsigned integer of at most `bits` bits; saturates at 2^bits - 1
 * (the caller handles the sign and the signed limits). */
static uint64_t tml_rt_truncate(uint64_t magnitude, uint32_t bits) {
  const int32_t e = (int32_t)(magnitude >> 52);
  if (e < 1023) {
    return 0u; /* |a| < 1 */
  }
  const int32_t power = e - 1023; /* |a| in [2^power, 2^(power+1)) */
  if (power >= (int32_t)bits) {
    return bits >= 64u ? ~0ull : ((1ull << bits) - 1ull);
  }
  const uint64_t m = (magnitude & TML_RT_FRAC_MASK) | TML_RT_HIDDEN;
  return power >= 52 ? (m << (power - 52)) : (m >> (52 - power));
}

int64_t __fixdfdi(double a) {
  const uint64_t x = tml_rt_bits64(a);
  if (tml_rt_is_nan(x)) {
    return 0;
  }
  const uint64_t magnitude = tml_rt_truncate(x & ~TML_RT_SIGN, 64u);
  if ((x & TML_RT_SIGN) != 0u) {
    return magnitude >= TML_RT_SIGN ? INT64_MIN : -(int64_t)magnitude;
  }
  return magnitude >= TML_RT_SIGN ? INT64_MAX : (int64_t)magnitude;
}

int32_t __fixdfsi(double a) {
  const int64_t wide = __fixdfdi(a);
  return wide > INT32_MAX ? INT32_MAX : (wide < INT32_MIN ? INT32_MIN : (int32_t)wide);
}

uint64_t __fixunsdfdi(double a) {
  const uint64_t x = tml_rt_bits64(a);
  return (tml_rt_is_nan(x) || (x & TML_RT_SIGN) != 0u) ? 0u : tml_rt_truncate(x, 64u);
}

uint32_t __fixunsdfsi(double a) {
  const uint64_t wide = __fixunsdfdi(a);
  return wide > UINT32_MAX ? UINT32_MAX : (uint32_t)wide;
}

double __floatsidf(int32_t i) {
  return __floatdidf(i);
}

double __floatunsidf(uint32_t i) {
  return __floatundidf(i);
}
