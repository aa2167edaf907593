/* float.c -- IEEE 754 binary32 arithmetic for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: LLVM 22 lowers every float `/` on Xtensa to a call to __divsf3 (the FPU's DIV0.S/
 * DIVN.S Newton sequence is not used), and a file the tool rebuilds without `+fp` (LLVM 22's
 * float-select crash, see toolchains/xtensa_cc.py) calls a helper for every float operation,
 * comparison and conversion; sqrtf is a call too (no square-root instruction), reached by TFLM's
 * tensor utilities. Debian's lx106 libgcc is call0-ABI code. Model outputs must be
 * bit-exact, so every helper is correctly rounded to nearest-even (what the FPU's ADD.S/SUB.S/MUL.S
 * and the host give), with subnormal operands and results, signed zeros, infinities and NaNs,
 * written from the IEEE 754 rules (tests/test_xtensa_float.py compares this file, compiled for the
 * host, with the host's hardware float on millions of operands).
 * NaN results: a NaN operand is returned quieted (the first one if both are NaN); an invalid
 * operation (inf - inf, 0 * inf, 0/0, inf/inf, sqrt of a negative) gives the default NaN 0x7FC00000.
 * Comparison helpers follow libgcc's contract, as double.c's do (they are double.c's, on the exact
 * binary64 values). Conversions to integers truncate toward zero and saturate (NaN gives 0);
 * conversions from integers round to nearest-even. float <-> double conversions are in double.c.
 *
 * Internal form: a finite non-zero value is sign, biased exponent e and a significand m with its
 * leading one at bit 30 (TML_RT_LEAD) and 7 bits below the binary32 precision for rounding: the
 * value is m * 2^(e - 127 - 30). The lowest bit is sticky (any non-zero bit shifted out).
 */
#include <stdint.h>

#include "tml_rt_bits.h"
#include "tml_rt_double.h"

float __addsf3(float a, float b);
float __subsf3(float a, float b);
float __mulsf3(float a, float b);
float __divsf3(float a, float b);
float sqrtf(float a);
float __negsf2(float a);
int __eqsf2(float a, float b);
int __nesf2(float a, float b);
int __ltsf2(float a, float b);
int __lesf2(float a, float b);
int __gtsf2(float a, float b);
int __gesf2(float a, float b);
int __unordsf2(float a, float b);
int32_t __fixsfsi(float a);
int64_t __fixsfdi(float a);
uint32_t __fixunssfsi(float a);
uint64_t __fixunssfdi(float a);
float __floatsisf(int32_t i);
float __floatunsisf(uint32_t i);
float __floatdisf(int64_t i);
float __floatundisf(uint64_t i);

#define TML_RT_SIGN 0x80000000u
#define TML_RT_EXP_MASK 0x7F800000u
#define TML_RT_QUIET 0x00400000u
#define TML_RT_DEFAULT_NAN 0x7FC00000u
#define TML_RT_EXTRA 7 /* bits below the 24-bit precision in the internal significand */
#define TML_RT_LEAD 30 /* 23 + TML_RT_EXTRA: where the internal significand's leading one sits */
#define TML_RT_HALF (1u << (TML_RT_EXTRA - 1))
#define TML_RT_EXTRA_MASK ((1u << TML_RT_EXTRA) - 1u)

static int tml_rt_is_nan(uint32_t bits) {
  return (bits & ~TML_RT_SIGN) > TML_RT_EXP_MASK;
}

/* x >> shift, with every bit shifted out ORed into bit 0 (shift may be >= 32). */
static uint32_t tml_rt_shift_right_sticky(uint32_t x, uint32_t shift) {
  if (shift == 0u) {
    return x;
  }
  if (shift >= 32u) {
    return x != 0u ? 1u : 0u;
  }
  return (x >> shift) | ((x & ((1u << shift) - 1u)) != 0u ? 1u : 0u);
}

/* sign | m * 2^(e - 127 - 30) rounded to nearest-even; m has its leading one at TML_RT_LEAD (or is
 * below it only when the value is exact). Overflow gives infinity, underflow a subnormal or zero. */
static uint32_t tml_rt_round_pack(uint32_t sign, int32_t e, uint32_t m) {
  if (e >= 255) {
    return sign | TML_RT_EXP_MASK;
  }
  uint32_t field = 0u; /* exponent field minus one, as a multiple of 2^23 */
  if (e >= 1) {
    field = (uint32_t)(e - 1) << 23;
  } else {
    m = tml_rt_shift_right_sticky(m, (uint32_t)(1 - e));
  }
  uint32_t kept = m >> TML_RT_EXTRA;
  const uint32_t rest = m & TML_RT_EXTRA_MASK;
  if (rest > TML_RT_HALF || (rest == TML_RT_HALF && (kept & 1u) != 0u)) {
    kept += 1u; /* round to nearest, ties to even */
  }
  /* The hidden bit adds one to the exponent field; a carry out of the significand (to the next
   * binade, from the largest subnormal to the smallest normal, or to infinity) falls out. */
  return sign | (field + kept);
}

/* The internal significand (leading one at TML_RT_LEAD) and biased exponent of a finite non-zero
 * magnitude; subnormals are normalized (their exponent goes below 1). */
static uint32_t tml_rt_unpack(uint32_t magnitude, int32_t *exponent) {
  const int32_t e = (int32_t)(magnitude >> 23);
  uint32_t m = magnitude & 0x007FFFFFu;
  if (e != 0) {
    *exponent = e;
    m |= 0x00800000u;
  } else {
    const int32_t shift = __builtin_clz(m) - 8; /* leading one to bit 23 */
    *exponent = 1 - shift;
    m <<= shift;
  }
  return m << TML_RT_EXTRA;
}

/* A NaN operand's result (the first NaN, quieted) in *result; 0 when neither is a NaN. */
static int tml_rt_nan_operand(uint32_t x, uint32_t y, uint32_t *result) {
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

static uint32_t tml_rt_add_bits(uint32_t x, uint32_t y) {
  const uint32_t ax = x & ~TML_RT_SIGN;
  const uint32_t ay = y & ~TML_RT_SIGN;
  uint32_t nan;
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
  uint32_t big = x;
  uint32_t small = y;
  if (ay > ax) {
    big = y;
    small = x;
  }
  int32_t eb;
  int32_t es;
  uint32_t mb = tml_rt_unpack(big & ~TML_RT_SIGN, &eb);
  uint32_t ms = tml_rt_unpack(small & ~TML_RT_SIGN, &es);
  ms = tml_rt_shift_right_sticky(ms, (uint32_t)(eb - es)); /* align: |big| >= |small|, so eb >= es */
  const uint32_t sign = big & TML_RT_SIGN;
  if (((x ^ y) & TML_RT_SIGN) == 0u) {
    mb += ms; /* below 2^32: both are below 2^31 */
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
  const int32_t shift = __builtin_clz(mb) - (31 - TML_RT_LEAD);
  return tml_rt_round_pack(sign, eb - shift, mb << shift);
}

float __addsf3(float a, float b) {
  return tml_rt_float(tml_rt_add_bits(tml_rt_bits32(a), tml_rt_bits32(b)));
}

float __subsf3(float a, float b) {
  const uint32_t y = tml_rt_bits32(b);
  /* a NaN b keeps its sign for the result (a - NaN is that NaN, not its negation) */
  return tml_rt_float(tml_rt_add_bits(tml_rt_bits32(a), tml_rt_is_nan(y) ? y : (y ^ TML_RT_SIGN)));
}

float __negsf2(float a) {
  return tml_rt_float(tml_rt_bits32(a) ^ TML_RT_SIGN);
}

float __mulsf3(float a, float b) {
  const uint32_t x = tml_rt_bits32(a);
  const uint32_t y = tml_rt_bits32(b);
  const uint32_t sign = (x ^ y) & TML_RT_SIGN;
  const uint32_t ax = x & ~TML_RT_SIGN;
  const uint32_t ay = y & ~TML_RT_SIGN;
  uint32_t nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return tml_rt_float(nan);
  }
  if (ax == TML_RT_EXP_MASK || ay == TML_RT_EXP_MASK) { /* inf * 0 is invalid */
    return tml_rt_float((ax == 0u || ay == 0u) ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ax == 0u || ay == 0u) {
    return tml_rt_float(sign);
  }
  int32_t ex;
  int32_t ey;
  /* 24-bit significands: their product has 47 or 48 bits */
  const uint64_t product =
      (uint64_t)(tml_rt_unpack(ax, &ex) >> TML_RT_EXTRA) * (tml_rt_unpack(ay, &ey) >> TML_RT_EXTRA);
  /* product in [2^46, 2^48): keep its top 31 bits (leading one at 30), the rest is sticky */
  int32_t e = ex + ey - 127;
  uint32_t drop = 16u;
  if ((product >> 47) != 0u) {
    drop = 17u;
    e += 1;
  }
  const uint32_t m = (uint32_t)(product >> drop) | ((product & ((1ull << drop) - 1ull)) != 0u ? 1u : 0u);
  return tml_rt_float(tml_rt_round_pack(sign, e, m));
}

float __divsf3(float a, float b) {
  const uint32_t x = tml_rt_bits32(a);
  const uint32_t y = tml_rt_bits32(b);
  const uint32_t sign = (x ^ y) & TML_RT_SIGN;
  const uint32_t ax = x & ~TML_RT_SIGN;
  const uint32_t ay = y & ~TML_RT_SIGN;
  uint32_t nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return tml_rt_float(nan);
  }
  if (ax == TML_RT_EXP_MASK) { /* inf / finite = inf; inf / inf is invalid */
    return tml_rt_float(ay == TML_RT_EXP_MASK ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ay == TML_RT_EXP_MASK) {
    return tml_rt_float(sign);
  }
  if (ay == 0u) { /* x / 0 = inf; 0 / 0 is invalid */
    return tml_rt_float(ax == 0u ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK));
  }
  if (ax == 0u) {
    return tml_rt_float(sign);
  }
  int32_t ea;
  int32_t eb;
  uint32_t ma = tml_rt_unpack(ax, &ea) >> TML_RT_EXTRA;
  const uint32_t mb = tml_rt_unpack(ay, &eb) >> TML_RT_EXTRA;
  if (ma < mb) { /* make the significand ratio lie in [1, 2) */
    ma <<= 1;
    ea -= 1;
  }
  /* q = floor(ma / mb * 2^25): 1 integer bit, 23 fraction bits, guard bit, round bit. */
  uint32_t q = 0u;
  uint32_t r = ma;
  for (int i = 0; i < 26; ++i) {
    q <<= 1;
    if (r >= mb) {
      r -= mb;
      q |= 1u;
    }
    r <<= 1;
  }
  q |= (r != 0u) ? 1u : 0u; /* sticky: anything left over joins the round bit */
  /* leading one to TML_RT_LEAD: guard and round-or-sticky stay the top two of the 7 extra bits */
  return tml_rt_float(tml_rt_round_pack(sign, ea - eb + 127, q << (TML_RT_LEAD - 25)));
}

/* sqrtf is IEEE 754's square root, correctly rounded like the operations above (LLVM calls it:
 * the ESP32 FPU has no square root instruction). sqrt(-0) = -0, a negative operand is invalid. */
float sqrtf(float a) {
  const uint32_t x = tml_rt_bits32(a);
  const uint32_t ax = x & ~TML_RT_SIGN;
  if (tml_rt_is_nan(x)) {
    return tml_rt_float(x | TML_RT_QUIET);
  }
  if (ax == 0u) {
    return a; /* +-0 */
  }
  if ((x & TML_RT_SIGN) != 0u) {
    return tml_rt_float(TML_RT_DEFAULT_NAN);
  }
  if (ax == TML_RT_EXP_MASK) {
    return a; /* +inf */
  }
  int32_t e;
  uint64_t m = tml_rt_unpack(ax, &e) >> TML_RT_EXTRA; /* a = m * 2^(e - 150), m in [2^23, 2^24) */
  int32_t power = e - 150;
  if ((power & 1) != 0) { /* an even power of two halves exactly */
    m <<= 1;
    power -= 1;
  }
  /* r = floor(sqrt(m * 2^26)), 25 or 26 bits, digit by digit; the remainder is the sticky bit */
  uint64_t n = m << 26;
  uint64_t r = 0u;
  uint64_t bit = 1ull << 50;
  while (bit > n) {
    bit >>= 2;
  }
  while (bit != 0u) {
    if (n >= r + bit) {
      n -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  /* sqrt(a) = r * 2^(power / 2 - 13): leading one to TML_RT_LEAD, the remainder as sticky */
  const uint32_t lead = 63u - tml_rt_clz64(r);
  const uint32_t shift = TML_RT_LEAD - lead;
  const uint32_t rounded = ((uint32_t)r << shift) | (n != 0u ? 1u : 0u);
  return tml_rt_float(tml_rt_round_pack(0u, power / 2 - 13 + 157 - (int32_t)shift, rounded));
}

/* Comparisons and conversions to integers go through binary64: float -> double is exact (order,
 * NaN-ness and integer part kept), so double.c's helpers give the same answers, with one copy of the
 * logic; they are rare calls (only files rebuilt without +fp make them). */
int __eqsf2(float a, float b) {
  return __eqdf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __nesf2(float a, float b) {
  return __nedf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __ltsf2(float a, float b) {
  return __ltdf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __lesf2(float a, float b) {
  return __ledf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __gtsf2(float a, float b) {
  return __gtdf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __gesf2(float a, float b) {
  return __gedf2(__extendsfdf2(a), __extendsfdf2(b));
}

int __unordsf2(float a, float b) {
  return tml_rt_is_nan(tml_rt_bits32(a)) || tml_rt_is_nan(tml_rt_bits32(b));
}

int32_t __fixsfsi(float a) {
  return __fixdfsi(__extendsfdf2(a));
}

int64_t __fixsfdi(float a) {
  return __fixdfdi(__extendsfdf2(a));
}

uint32_t __fixunssfsi(float a) {
  return __fixunsdfsi(__extendsfdf2(a));
}

uint64_t __fixunssfdi(float a) {
  return __fixunsdfdi(__extendsfdf2(a));
}

/* A 32-bit integer is exact in binary64: one rounding, to float, as the direct conversion does. */
float __floatsisf(int32_t i) {
  return __truncdfsf2(__floatsidf(i));
}

float __floatunsisf(uint32_t i) {
  return __truncdfsf2(__floatunsidf(i));
}

/* 64-bit integers convert directly (through binary64 they would be rounded twice). */
float __floatundisf(uint64_t i) {
  if (i == 0u) {
    return tml_rt_float(0u);
  }
  const uint32_t lead = 63u - tml_rt_clz64(i); /* i in [2^lead, 2^(lead+1)) */
  uint32_t m;
  if (lead <= TML_RT_LEAD) {
    m = (uint32_t)i << (TML_RT_LEAD - lead);
  } else { /* the bits below the internal form's are sticky */
    const uint32_t shift = lead - TML_RT_LEAD;
    m = (uint32_t)(i >> shift) | ((i & ((1ull << shift) - 1ull)) != 0u ? 1u : 0u);
  }
  return tml_rt_float(tml_rt_round_pack(0u, (int32_t)lead + 127, m));
}

float __floatdisf(int64_t i) {
  const uint64_t magnitude = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
  const uint32_t sign = i < 0 ? TML_RT_SIGN : 0u;
  return tml_rt_float(tml_rt_bits32(__floatundisf(magnitude)) | sign);
}
