/* double.c -- IEEE 754 binary64 arithmetic for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: the ESP32 cores have no double-precision unit, so LLVM 22 calls a helper for every
 * double operation, and TFLM's Prepare computes its quantization multipliers in double
 * (QuantizeMultiplier: frexp, multiply, round). Debian's lx106 libgcc has these helpers only for
 * the call0 ABI. A multiplier one bit off changes model outputs, so every helper here is correctly
 * rounded to nearest-even, with subnormals, signed zeros, infinities and NaNs, written from the
 * IEEE 754 rules (tests/test_xtensa_double.py compares this file, compiled for the host, with the
 * host's hardware double on millions of operands).
 * NaN results: a NaN operand comes back quieted (the first one if both are NaN); an invalid
 * operation (inf - inf, 0 * inf, 0 / 0, inf / inf) gives the default NaN 0x7FF8000000000000.
 * Comparison helpers follow libgcc's contract (what LLVM's calls expect): __eqdf2/__nedf2 return 0
 * when equal; __ltdf2/__ledf2 return <0/<=0 when a < b / a <= b and 1 when unordered; __gtdf2/
 * __gedf2 return >0/>=0 when a > b / a >= b and -1 when unordered; __unorddf2 is non-zero when
 * either is a NaN. Conversions to integers truncate toward zero and saturate (NaN gives 0).
 *
 * Internal form: a finite non-zero value is sign, biased exponent e and a significand m with its
 * leading one at bit 61 (TML_RT_LEAD) and 9 bits below the binary64 precision for rounding: the
 * value is m * 2^(e - 1023 - 61). The lowest bit is sticky (any non-zero bit shifted out).
 */
#include <stdint.h>

#include "tml_rt_bits.h"
#include "tml_rt_double.h"

#define TML_RT_SIGN TML_RT_F64_SIGN
#define TML_RT_EXP_MASK TML_RT_F64_EXP_MASK
#define TML_RT_FRAC_MASK TML_RT_F64_FRAC_MASK
#define TML_RT_HIDDEN TML_RT_F64_HIDDEN
#define TML_RT_QUIET 0x0008000000000000ull
#define TML_RT_DEFAULT_NAN 0x7FF8000000000000ull
#define TML_RT_EXTRA 9 /* bits below the 53-bit precision in the internal significand */
#define TML_RT_LEAD 61 /* 52 + TML_RT_EXTRA: where the internal significand's leading one sits */
#define TML_RT_HALF (1ull << (TML_RT_EXTRA - 1))
#define TML_RT_EXTRA_MASK ((1ull << TML_RT_EXTRA) - 1ull)

static int tml_rt_is_nan(uint64_t bits) {
  return (bits & ~TML_RT_SIGN) > TML_RT_EXP_MASK;
}

/* x >> shift, with every bit shifted out ORed into bit 0 (shift may be >= 64). */
static uint64_t tml_rt_shift_right_sticky(uint64_t x, uint32_t shift) {
  if (shift == 0u) {
    return x;
  }
  if (shift >= 64u) {
    return x != 0u ? 1u : 0u;
  }
  return (x >> shift) | ((x & ((1ull << shift) - 1ull)) != 0u ? 1u : 0u);
}

/* The internal significand (leading one at TML_RT_LEAD) and biased exponent of a finite non-zero
 * magnitude; subnormals are normalized (their exponent goes below 1). */
static uint64_t tml_rt_unpack(uint64_t magnitude, int32_t *exponent) {
  const int32_t e = (int32_t)(magnitude >> 52);
  uint64_t m = magnitude & TML_RT_FRAC_MASK;
  if (e != 0) {
    *exponent = e;
    m |= TML_RT_HIDDEN;
  } else {
    const int32_t shift = (int32_t)tml_rt_clz64(m) - 11; /* leading one to bit 52 */
    *exponent = 1 - shift;
    m <<= shift;
  }
  return m << TML_RT_EXTRA;
}

/* sign | m * 2^(e - 1023 - 61) rounded to nearest-even; m has its leading one at TML_RT_LEAD (or is
 * below it only when the value is exact). Overflow gives infinity, underflow a subnormal or zero. */
static uint64_t tml_rt_round_pack(uint64_t sign, int32_t e, uint64_t m) {
  if (e >= 2047) {
    return sign | TML_RT_EXP_MASK;
  }
  uint64_t field = 0u; /* exponent field minus one, as a multiple of 2^52 */
  if (e >= 1) {
    field = (uint64_t)(uint32_t)(e - 1) << 52;
  } else {
    m = tml_rt_shift_right_sticky(m, (uint32_t)(1 - e));
  }
  uint64_t kept = m >> TML_RT_EXTRA;
  const uint64_t rest = m & TML_RT_EXTRA_MASK;
  if (rest > TML_RT_HALF || (rest == TML_RT_HALF && (kept & 1u) != 0u)) {
    kept += 1u;
  }
  /* The hidden bit adds one to the exponent field; a carry out of the significand (to the next
   * binade, from the largest subnormal to the smallest normal, or to infinity) falls out. */
  return sign | (field + kept);
}

/* A NaN operand's result (the first NaN, quieted) in *result; 0 when neither is a NaN. */
static int tml_rt_nan_operand(uint64_t x, uint64_t y, uint64_t *result) {
  if (tml_rt_is_nan(x)) {
    *result = x | TML_RT_QUIET;
    return 1;
  }
  if (tml_rt_is_nan(y)) {
    *result = y | TML_RT_QUIET;
    return 1;
  }
  return 0;
}

static uint64_t tml_rt_add_bits(uint64_t x, uint64_t y) {
  const uint64_t ax = x & ~TML_RT_SIGN;
  const uint64_t ay = y & ~TML_RT_SIGN;
  uint64_t nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return nan;
  }
  if (ax == TML_RT_EXP_MASK) { /* inf + inf of the other sign is invalid */
    return (ay == TML_RT_EXP_MASK && x != y) ? TML_RT_DEFAULT_NAN : x;
  }
  if (ay == TML_RT_EXP_MASK) {
    return y;
  }
  if (ay == 0u) { /* x + 0: x, except (-0) + (+0) = +0 */
    return ax == 0u ? (x & y) : x;
  }
  if (ax == 0u) {
    return y;
  }
  uint64_t big = x;
  uint64_t small = y;
  if (ay > ax) {
    big = y;
    small = x;
  }
  int32_t eb;
  int32_t es;
  uint64_t mb = tml_rt_unpack(big & ~TML_RT_SIGN, &eb);
  uint64_t ms = tml_rt_unpack(small & ~TML_RT_SIGN, &es);
  ms = tml_rt_shift_right_sticky(ms, (uint32_t)(eb - es)); /* align: |big| >= |small|, so eb >= es */
  const uint64_t sign = big & TML_RT_SIGN;
  if (((x ^ y) & TML_RT_SIGN) == 0u) {
    mb += ms;
    if ((mb >> (TML_RT_LEAD + 1)) != 0u) {
      mb = tml_rt_shift_right_sticky(mb, 1u);
      eb += 1;
    }
    return tml_rt_round_pack(sign, eb, mb);
  }
  mb -= ms;
  if (mb == 0u) {
    return 0u; /* exact cancellation is +0 when rounding to nearest */
  }
  /* Renormalize; when more than one bit is lost the alignment shift was at most one, so no sticky
   * bit was made and the shifted value is exact. */
  const int32_t shift = (int32_t)tml_rt_clz64(mb) - (63 - TML_RT_LEAD);
  return tml_rt_round_pack(sign, eb - shift, mb << shift);
}

double __adddf3(double a, double b) {
  return tml_rt_double(tml_rt_add_bits(tml_rt_bits64(a), tml_rt_bits64(b)));
}

double __subdf3(double a, double b) {
  const uint64_t y = tml_rt_bits64(b);
  /* a NaN b keeps its sign for the result (a - NaN is that NaN, not its negation) */
  return tml_rt_double(tml_rt_add_bits(tml_rt_bits64(a), tml_rt_is_nan(y) ? y : (y ^ TML_RT_SIGN)));
}

double __negdf2(double a) {
  return tml_rt_double(tml_rt_bits64(a) ^ TML_RT_SIGN);
}

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

double __muldf3(double a, double b) {
  const uint64_t x = tml_rt_bits64(a);
  const uint64_t y = tml_rt_bits64(b);
  const uint64_t sign = (x ^ y) & TML_RT_SIGN;
  const uint64_t ax = x & ~TML_RT_SIGN;
  const uint64_t ay = y & ~TML_RT_SIGN;
  uint64_t nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return tml_rt_double(nan);
  }
  if (ax == TML_RT_EXP_MASK || ay == TML_RT_EXP_MASK) { /* inf * 0 is invalid */
    return tml_rt_double((ax == 0u || ay == 0u) ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ax == 0u || ay == 0u) {
    return tml_rt_double(sign);
  }
  int32_t ex;
  int32_t ey;
  /* 53-bit significands: their product has 105 or 106 bits */
  const uint64_t mx = tml_rt_unpack(ax, &ex) >> TML_RT_EXTRA;
  const uint64_t my = tml_rt_unpack(ay, &ey) >> TML_RT_EXTRA;
  uint64_t low;
  const uint64_t high = tml_rt_mul128(mx, my, &low);
  /* product in [2^104, 2^106): keep its top 62 bits (leading one at 61), the rest is sticky */
  int32_t e = ex + ey - 1023;
  uint32_t drop = 43u;
  if ((high >> 41) != 0u) { /* product >= 2^105 */
    drop = 44u;
    e += 1;
  }
  const uint64_t m = (high << (64u - drop)) | (low >> drop) | ((low << (64u - drop)) != 0u ? 1u : 0u);
  return tml_rt_double(tml_rt_round_pack(sign, e, m));
}

double __divdf3(double a, double b) {
  const uint64_t x = tml_rt_bits64(a);
  const uint64_t y = tml_rt_bits64(b);
  const uint64_t sign = (x ^ y) & TML_RT_SIGN;
  const uint64_t ax = x & ~TML_RT_SIGN;
  const uint64_t ay = y & ~TML_RT_SIGN;
  uint64_t nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return tml_rt_double(nan);
  }
  if (ax == TML_RT_EXP_MASK) { /* inf / inf is invalid */
    return tml_rt_double(ay == TML_RT_EXP_MASK ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ay == TML_RT_EXP_MASK) {
    return tml_rt_double(sign);
  }
  if (ay == 0u) { /* 0 / 0 is invalid */
    return tml_rt_double(ax == 0u ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ax == 0u) {
    return tml_rt_double(sign);
  }
  int32_t ex;
  int32_t ey;
  uint64_t mx = tml_rt_unpack(ax, &ex) >> TML_RT_EXTRA;
  const uint64_t my = tml_rt_unpack(ay, &ey) >> TML_RT_EXTRA;
  if (mx < my) { /* make the significand ratio lie in [1, 2) */
    mx <<= 1;
    ex -= 1;
  }
  /* q = floor(mx / my * 2^61): one integer bit and 61 fraction bits, by long division */
  uint64_t q = 0u;
  uint64_t r = mx;
  for (int i = 0; i <= TML_RT_LEAD; ++i) {
    q <<= 1;
    if (r >= my) {
      r -= my;
      q |= 1u;
    }
    r <<= 1;
  }
  q |= (r != 0u) ? 1u : 0u;
  return tml_rt_double(tml_rt_round_pack(sign, ex - ey + 1023, q));
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

int __unorddf2(double a, double b) {
  return tml_rt_is_nan(tml_rt_bits64(a)) || tml_rt_is_nan(tml_rt_bits64(b));
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

double __floatundidf(uint64_t i) {
  if (i == 0u) {
    return tml_rt_double(0u);
  }
  const uint32_t lead = 63u - tml_rt_clz64(i); /* i in [2^lead, 2^(lead+1)) */
  uint64_t m = (lead <= TML_RT_LEAD) ? (i << (TML_RT_LEAD - lead)) : tml_rt_shift_right_sticky(i, lead - TML_RT_LEAD);
  return tml_rt_double(tml_rt_round_pack(0u, (int32_t)lead + 1023, m));
}

double __floatdidf(int64_t i) {
  const uint64_t magnitude = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
  const uint64_t sign = i < 0 ? TML_RT_SIGN : 0u;
  return tml_rt_double(tml_rt_bits64(__floatundidf(magnitude)) | sign);
}

double __floatsidf(int32_t i) {
  return __floatdidf(i);
}

double __floatunsidf(uint32_t i) {
  return __floatundidf(i);
}
