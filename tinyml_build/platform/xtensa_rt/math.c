/* math.c -- the exact C math functions TFLM reaches, for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: runtime=tflm's Prepare code calls frexp, ldexp, round, roundf, floor (quantization
 * multipliers, softmax scaling) and ceilf (STRIDED_SLICE's output size), and the Xtensa build links no libm (Debian's lx106 one is call0-ABI).
 * These functions have one right answer each (no rounding of an infinitely precise result but
 * round/floor's own), so they are written from the C standard's rules on the bit patterns:
 * frexp/ldexp scale by powers of two exactly (ldexp rounds only when the result is subnormal),
 * round rounds half away from zero, floor toward minus infinity, ceilf toward plus infinity; NaN and
 * infinities pass through.
 * The double arithmetic they need is integer code here (no call to the soft-double helpers).
 * tests/test_xtensa_double.py compares them, compiled for the host, with glibc's.
 */
#include <stdint.h>

#include "tml_rt_bits.h"

double frexp(double x, int *exponent);
double ldexp(double x, int exponent);
double round(double x);
float roundf(float x);
double floor(double x);
float ceilf(float x);

double frexp(double x, int *exponent) {
  uint64_t bits = tml_rt_bits64(x);
  const uint64_t magnitude = bits & ~TML_RT_F64_SIGN;
  *exponent = 0;
  if (magnitude == 0u || magnitude >= TML_RT_F64_EXP_MASK) {
    return x; /* zero, inf, NaN: returned as they are, exponent 0 */
  }
  int32_t e = (int32_t)(magnitude >> 52);
  uint64_t fraction = magnitude & TML_RT_F64_FRAC_MASK;
  if (e == 0) { /* subnormal: normalize the fraction */
    const int32_t shift = (int32_t)tml_rt_clz64(fraction) - 11;
    fraction = (fraction << shift) & TML_RT_F64_FRAC_MASK;
    e = 1 - shift;
  }
  *exponent = e - 1022; /* the result lies in [0.5, 1): biased exponent 1022 */
  bits = (bits & TML_RT_F64_SIGN) | (1022ull << 52) | fraction;
  return tml_rt_double(bits);
}

double ldexp(double x, int exponent) {
  const uint64_t bits = tml_rt_bits64(x);
  const uint64_t sign = bits & TML_RT_F64_SIGN;
  const uint64_t magnitude = bits & ~TML_RT_F64_SIGN;
  if (magnitude == 0u || magnitude >= TML_RT_F64_EXP_MASK) {
    return x;
  }
  int32_t e = (int32_t)(magnitude >> 52);
  uint64_t m = magnitude & TML_RT_F64_FRAC_MASK;
  if (e == 0) {
    const int32_t shift = (int32_t)tml_rt_clz64(m) - 11;
    m <<= shift;
    e = 1 - shift;
  } else {
    m |= 1ull << 52;
  }
  /* clamp far outside the range first (no int overflow); the result is then inf or rounds to 0 */
  if (exponent > 4000) {
    exponent = 4000;
  } else if (exponent < -4000) {
    exponent = -4000;
  }
  e += exponent;
  if (e >= 2047) {
    return tml_rt_double(sign | TML_RT_F64_EXP_MASK);
  }
  if (e >= 1) {
    return tml_rt_double(sign | ((uint64_t)(uint32_t)e << 52) | (m & TML_RT_F64_FRAC_MASK));
  }
  /* subnormal result: shift right by 1 - e, rounding to nearest-even */
  const uint32_t shift = (uint32_t)(1 - e);
  if (shift > 54u) {
    return tml_rt_double(sign);
  }
  uint64_t kept = m >> shift;
  const uint64_t rest = m & ((1ull << shift) - 1ull);
  const uint64_t half = 1ull << (shift - 1u);
  if (rest > half || (rest == half && (kept & 1u) != 0u)) {
    kept += 1u; /* may carry into the smallest normal: the encoding stays right */
  }
  return tml_rt_double(sign | kept);
}

/* x with its fraction bits below 2^0 cleared (truncation toward zero); `e` is the biased exponent. */
static uint64_t tml_rt_math_trunc_bits(uint64_t bits, int32_t e) {
  if (e < 1023) {
    return bits & TML_RT_F64_SIGN; /* |x| < 1 */
  }
  if (e >= 1075) {
    return bits; /* an integer already (or inf/NaN) */
  }
  return bits & ~(TML_RT_F64_FRAC_MASK >> (e - 1023));
}

double round(double x) {
  const uint64_t bits = tml_rt_bits64(x);
  const int32_t e = (int32_t)((bits & ~TML_RT_F64_SIGN) >> 52);
  if (e >= 1075) {
    return x; /* an integer already, inf or NaN */
  }
  if (e < 1022) {
    return tml_rt_double(bits & TML_RT_F64_SIGN); /* |x| < 0.5 */
  }
  if (e == 1022) {
    return tml_rt_double((bits & TML_RT_F64_SIGN) | (1023ull << 52)); /* 0.5 <= |x| < 1: +-1 */
  }
  /* add half a unit at the integer point to the magnitude, then truncate: half away from zero */
  const uint64_t half = (1ull << 51) >> (e - 1023);
  const uint64_t up = bits + half; /* a carry into the exponent field is the right next power of 2 */
  return tml_rt_double(tml_rt_math_trunc_bits(up, (int32_t)((up & ~TML_RT_F64_SIGN) >> 52)));
}

float roundf(float x) {
  const uint32_t bits = tml_rt_bits32(x);
  uint32_t result;
  const int32_t e = (int32_t)((bits & 0x7FFFFFFFu) >> 23);
  if (e >= 150) {
    return x; /* integer, inf or NaN */
  }
  if (e < 126) {
    result = bits & 0x80000000u;
  } else if (e == 126) {
    result = (bits & 0x80000000u) | (127u << 23);
  } else {
    const uint32_t up = bits + ((1u << 22) >> (e - 127));
    const int32_t e_up = (int32_t)((up & 0x7FFFFFFFu) >> 23);
    result = e_up >= 150 ? up : (up & ~(0x007FFFFFu >> (e_up - 127)));
  }
  return tml_rt_float(result);
}

double floor(double x) {
  const uint64_t bits = tml_rt_bits64(x);
  const int32_t e = (int32_t)((bits & ~TML_RT_F64_SIGN) >> 52);
  if (e >= 1075) {
    return x;
  }
  const uint64_t truncated = tml_rt_math_trunc_bits(bits, e);
  if (truncated == bits || (bits & TML_RT_F64_SIGN) == 0u) {
    return tml_rt_double(truncated);
  }
  /* a negative non-integer: one more in magnitude than its truncation */
  if (e < 1023) {
    return tml_rt_double(TML_RT_F64_SIGN | (1023ull << 52)); /* -1 */
  }
  const uint64_t unit = (1ull << 52) >> (e - 1023);
  return tml_rt_double(truncated + unit); /* a carry into the exponent is the next power of 2 */
}

float ceilf(float x) {
  const uint32_t bits = tml_rt_bits32(x);
  const int32_t e = (int32_t)((bits & 0x7FFFFFFFu) >> 23);
  if (e >= 150) {
    return x; /* integer, inf or NaN */
  }
  const uint32_t negative = bits & 0x80000000u;
  if (e < 127) { /* |x| < 1: zeros stay, a negative goes to -0, a positive to 1 */
    if ((bits & 0x7FFFFFFFu) == 0u || negative != 0u) {
      return tml_rt_float(negative);
    }
    return tml_rt_float(127u << 23);
  }
  const uint32_t fraction = 0x007FFFFFu >> (e - 127); /* the bits below 2^0 */
  if ((bits & fraction) == 0u || negative != 0u) {
    return tml_rt_float(bits & ~fraction); /* an integer, or a negative truncated toward zero */
  }
  /* a positive non-integer: one unit more than its truncation (a carry into the exponent is the next power of 2) */
  return tml_rt_float((bits & ~fraction) + fraction + 1u);
}
