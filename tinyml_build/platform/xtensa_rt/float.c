/* float.c -- single-precision division for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: LLVM 22 lowers every float `/` on Xtensa to a call to __divsf3 (the FPU's DIV0.S/
 * DIVN.S Newton sequence is not used), and Debian's lx106 libgcc is call0-ABI code. Model outputs
 * must be bit-exact, so this is IEEE 754 binary32 division correctly rounded to nearest-even,
 * with subnormal operands and results, signed zeros, infinities and NaNs: a long division of the
 * 24-bit significands giving 24 bits plus a guard bit, a round bit and a sticky bit.
 * NaN results: a NaN operand is returned quieted (the first one if both are NaN); an invalid
 * operation (0/0, inf/inf) gives the default NaN 0x7FC00000. Written from the IEEE 754 rules.
 */
#include <stdint.h>

#include "tml_rt_bits.h"

float __divsf3(float a, float b);

#define TML_RT_SIGN 0x80000000u
#define TML_RT_EXP_MASK 0x7F800000u
#define TML_RT_FRAC_MASK 0x007FFFFFu
#define TML_RT_HIDDEN 0x00800000u
#define TML_RT_QUIET 0x00400000u
#define TML_RT_DEFAULT_NAN 0x7FC00000u

/* Significand with the hidden bit, in [2^23, 2^24), and its unbiased-by-one exponent; subnormals
 * are normalized (their exponent goes below 1). `bits` is finite and non-zero. */
static uint32_t tml_rt_unpack(uint32_t bits, int32_t *exponent) {
  uint32_t e = (bits & TML_RT_EXP_MASK) >> 23;
  uint32_t m = bits & TML_RT_FRAC_MASK;
  if (e != 0u) {
    *exponent = (int32_t)e;
    return m | TML_RT_HIDDEN;
  }
  const int32_t shift = __builtin_clz(m) - 8; /* bring the leading 1 to bit 23 */
  *exponent = 1 - shift;
  return m << shift;
}

float __divsf3(float a, float b) {
  const uint32_t x = tml_rt_bits32(a);
  const uint32_t y = tml_rt_bits32(b);
  const uint32_t sign = (x ^ y) & TML_RT_SIGN;
  const uint32_t ax = x & ~TML_RT_SIGN;
  const uint32_t ay = y & ~TML_RT_SIGN;
  if (ax > TML_RT_EXP_MASK) {
    return tml_rt_float(x | TML_RT_QUIET);
  }
  if (ay > TML_RT_EXP_MASK) {
    return tml_rt_float(y | TML_RT_QUIET);
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
  uint32_t ma = tml_rt_unpack(ax, &ea);
  const uint32_t mb = tml_rt_unpack(ay, &eb);
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

  const int32_t e = ea - eb + 127; /* biased exponent of the result */
  if (e >= 255) {
    return tml_rt_float(sign | TML_RT_EXP_MASK);
  }
  uint32_t field; /* exponent field minus one, as a multiple of 2^23 */
  if (e >= 1) {
    field = (uint32_t)(e - 1) << 23;
  } else { /* subnormal: shift right, keeping every lost bit as sticky */
    const int32_t shift = 1 - e;
    if (shift >= 27) {
      q = 1u;
    } else {
      const uint32_t lost = q & ((1u << shift) - 1u);
      q = (q >> shift) | (lost != 0u ? 1u : 0u);
    }
    field = 0u;
  }
  uint32_t kept = q >> 2;
  const uint32_t rest = q & 3u;
  if (rest > 2u || (rest == 2u && (kept & 1u) != 0u)) {
    kept += 1u; /* round to nearest, ties to even */
  }
  /* The hidden bit adds one to the exponent field; a carry out of the significand (or from the
   * largest subnormal into the smallest normal, or to infinity) falls out of the addition. */
  return tml_rt_float(sign | (field + kept));
}
