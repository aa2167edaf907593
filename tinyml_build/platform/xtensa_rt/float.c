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
 * The arithmetic (add, sub, mul, div, neg, unord, from 64-bit integers) is tml_rt_ieee_template.h,
 * the same algorithm double.c instantiates at binary64; this file gives its binary32 parameters, the
 * 24 x 24-bit significand product, sqrtf, and the comparisons and conversions that go through
 * binary64. NaN results: a NaN operand is returned quieted (the first one if both are NaN); an
 * invalid operation (inf - inf, 0 * inf, 0/0, inf/inf, sqrt of a negative) gives the default NaN
 * 0x7FC00000. Comparison helpers follow libgcc's contract, as double.c's do (they are double.c's, on
 * the exact binary64 values). Conversions to integers truncate toward zero and saturate (NaN gives
 * 0); conversions from integers round to nearest-even. float <-> double conversions are in double.c.
 *
 * Internal form (the template's): the significand's leading one at bit 30 (TML_RT_LEAD), 7 bits
 * below the binary32 precision for rounding, the lowest one sticky.
 */
#include <stdint.h>

#include "tml_rt_bits.h"
#include "tml_rt_softfp.h"

#define TML_RT_FLOAT float
#define TML_RT_WORD uint32_t
#define TML_RT_EXP_BITS 8
#define TML_RT_FRAC_BITS 23
#define TML_RT_EXTRA 7
#define TML_RT_CLZ(x) ((uint32_t)__builtin_clz(x))
#define TML_RT_BITS(f) tml_rt_bits32(f)
#define TML_RT_VALUE(w) tml_rt_float(w)
#define TML_RT_NAME(op, n) __##op##sf##n
#include "tml_rt_ieee_template.h"

/* 24-bit significands: the product has 47 or 48 bits; its top 31 or 32 (leading one at TML_RT_LEAD
 * or one above) are kept, the rest is sticky. */
static uint32_t tml_rt_mul_significands(uint32_t mx, uint32_t my) {
  const uint64_t product = (uint64_t)mx * my;
  const uint32_t drop = 2u * TML_RT_FRAC_BITS - TML_RT_LEAD;
  return (uint32_t)(product >> drop) | ((product & ((1ull << drop) - 1ull)) != 0u ? 1u : 0u);
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
