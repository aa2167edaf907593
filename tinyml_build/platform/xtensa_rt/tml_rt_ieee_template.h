/* tml_rt_ieee_template.h -- IEEE 754 add, subtract, multiply, divide and integer-to-float conversion
 * at one binary width, correctly rounded to nearest-even (internal to xtensa_rt).
 *
 * Why a template: float.c (binary32) and double.c (binary64) run the same algorithm on words of
 * different widths; writing it once keeps the two rounding paths identical, and both are checked on
 * millions of operands against the host (tests/test_xtensa_float.py, tests/test_xtensa_double.py).
 * Included once per translation unit, by float.c or double.c, which define first:
 *   TML_RT_FLOAT             the C type (float, double)
 *   TML_RT_WORD              the unsigned word of its bit pattern (uint32_t, uint64_t)
 *   TML_RT_EXP_BITS          exponent field bits (8, 11)
 *   TML_RT_FRAC_BITS         fraction field bits (23, 52)
 *   TML_RT_EXTRA             internal bits below the precision, for rounding (7, 9; at least 2)
 *   TML_RT_CLZ(x)            leading zeros of a non-zero word
 *   TML_RT_BITS(f)           the bit pattern of a value; TML_RT_VALUE(w) the value of a bit pattern
 *   TML_RT_NAME(op, n)       the helper's name for that width: __##op##sf##n, __##op##df##n
 * and after it the one width-specific piece, tml_rt_mul_significands (declared below).
 * It defines the helpers __add<S>3, __sub<S>3, __mul<S>3, __div<S>3, __neg<S>2, __unord<S>2,
 * __floatdi<S> and __floatundi<S> (S = sf, df; prototypes in tml_rt_softfp.h), and leaves its
 * constants (TML_RT_SIGN, TML_RT_LEAD...) defined for the includer's width-specific code.
 *
 * Internal form: a finite non-zero value is sign, biased exponent e and a significand m with its
 * leading one at bit TML_RT_LEAD and TML_RT_EXTRA bits below the precision: the value is
 * m * 2^(e - TML_RT_BIAS - TML_RT_LEAD). The lowest bit is sticky (any non-zero bit shifted out).
 * NaN results: a NaN operand is returned quieted (the first one if both are NaN); an invalid
 * operation (inf - inf, 0 * inf, 0 / 0, inf / inf) gives the default NaN (exponent all ones and
 * the quiet bit: 0x7FC00000, 0x7FF8000000000000).
 */
#ifdef TML_RT_IEEE_TEMPLATE_H
#error "tml_rt_ieee_template.h: one width per translation unit (its helpers are static)"
#endif
#define TML_RT_IEEE_TEMPLATE_H

#include <stdint.h>

#include "tml_rt_bits.h"

#define TML_RT_ONE ((TML_RT_WORD)1u)
#define TML_RT_WIDTH (1 + TML_RT_EXP_BITS + TML_RT_FRAC_BITS)
#define TML_RT_SIGN (TML_RT_ONE << (TML_RT_WIDTH - 1))
#define TML_RT_EXP_MAX ((1 << TML_RT_EXP_BITS) - 1) /* the inf/NaN exponent field: 255, 2047 */
#define TML_RT_BIAS (TML_RT_EXP_MAX >> 1)
#define TML_RT_EXP_MASK ((TML_RT_WORD)TML_RT_EXP_MAX << TML_RT_FRAC_BITS)
#define TML_RT_HIDDEN (TML_RT_ONE << TML_RT_FRAC_BITS)
#define TML_RT_FRAC_MASK (TML_RT_HIDDEN - 1u)
#define TML_RT_QUIET (TML_RT_HIDDEN >> 1)
#define TML_RT_DEFAULT_NAN (TML_RT_EXP_MASK | TML_RT_QUIET)
#define TML_RT_LEAD (TML_RT_FRAC_BITS + TML_RT_EXTRA) /* where the internal leading one sits */
#define TML_RT_HALF (TML_RT_ONE << (TML_RT_EXTRA - 1))
#define TML_RT_EXTRA_MASK ((TML_RT_ONE << TML_RT_EXTRA) - 1u)

/* The product of two significands (leading ones at TML_RT_FRAC_BITS) shifted right by
 * 2 * TML_RT_FRAC_BITS - TML_RT_LEAD, every bit shifted out ORed into bit 0: its leading one is at
 * TML_RT_LEAD or one above. The includer's, as the double-width product is width specific. */
static TML_RT_WORD tml_rt_mul_significands(TML_RT_WORD mx, TML_RT_WORD my);

static int tml_rt_is_nan(TML_RT_WORD bits) {
  return (bits & ~TML_RT_SIGN) > TML_RT_EXP_MASK;
}

/* x >> shift, with every bit shifted out ORed into bit 0 (shift may be >= the width). */
static TML_RT_WORD tml_rt_shift_right_sticky(TML_RT_WORD x, uint32_t shift) {
  if (shift == 0u) {
    return x;
  }
  if (shift >= (uint32_t)TML_RT_WIDTH) {
    return x != 0u ? 1u : 0u;
  }
  return (x >> shift) | ((x & ((TML_RT_ONE << shift) - 1u)) != 0u ? 1u : 0u);
}

/* The internal significand (leading one at TML_RT_LEAD) and biased exponent of a finite non-zero
 * magnitude; subnormals are normalized (their exponent goes below 1). */
static TML_RT_WORD tml_rt_unpack(TML_RT_WORD magnitude, int32_t *exponent) {
  const int32_t e = (int32_t)(magnitude >> TML_RT_FRAC_BITS);
  TML_RT_WORD m = magnitude & TML_RT_FRAC_MASK;
  if (e != 0) {
    *exponent = e;
    m |= TML_RT_HIDDEN;
  } else {
    const int32_t shift = (int32_t)TML_RT_CLZ(m) - TML_RT_EXP_BITS; /* leading one to the hidden bit */
    *exponent = 1 - shift;
    m <<= shift;
  }
  return m << TML_RT_EXTRA;
}

/* sign | m * 2^(e - TML_RT_BIAS - TML_RT_LEAD) rounded to nearest-even; m has its leading one at
 * TML_RT_LEAD (or is below it only when the value is exact). Overflow gives infinity, underflow a
 * subnormal or zero. */
static TML_RT_WORD tml_rt_round_pack(TML_RT_WORD sign, int32_t e, TML_RT_WORD m) {
  if (e >= TML_RT_EXP_MAX) {
    return sign | TML_RT_EXP_MASK;
  }
  TML_RT_WORD field = 0u; /* exponent field minus one, as a multiple of TML_RT_HIDDEN */
  if (e >= 1) {
    field = (TML_RT_WORD)(uint32_t)(e - 1) << TML_RT_FRAC_BITS;
  } else {
    m = tml_rt_shift_right_sticky(m, (uint32_t)(1 - e));
  }
  TML_RT_WORD kept = m >> TML_RT_EXTRA;
  const TML_RT_WORD rest = m & TML_RT_EXTRA_MASK;
  if (rest > TML_RT_HALF || (rest == TML_RT_HALF && (kept & 1u) != 0u)) {
    kept += 1u; /* round to nearest, ties to even */
  }
  /* The hidden bit adds one to the exponent field; a carry out of the significand (to the next
   * binade, from the largest subnormal to the smallest normal, or to infinity) falls out. */
  return sign | (field + kept);
}

/* A NaN operand's result (the first NaN, quieted) in *result; 0 when neither is a NaN. */
static int tml_rt_nan_operand(TML_RT_WORD x, TML_RT_WORD y, TML_RT_WORD *result) {
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

static TML_RT_WORD tml_rt_add_bits(TML_RT_WORD x, TML_RT_WORD y) {
  const TML_RT_WORD ax = x & ~TML_RT_SIGN;
  const TML_RT_WORD ay = y & ~TML_RT_SIGN;
  TML_RT_WORD nan;
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
  TML_RT_WORD big = x;
  TML_RT_WORD small = y;
  if (ay > ax) {
    big = y;
    small = x;
  }
  int32_t eb;
  int32_t es;
  TML_RT_WORD mb = tml_rt_unpack(big & ~TML_RT_SIGN, &eb);
  TML_RT_WORD ms = tml_rt_unpack(small & ~TML_RT_SIGN, &es);
  ms = tml_rt_shift_right_sticky(ms, (uint32_t)(eb - es)); /* align: |big| >= |small|, so eb >= es */
  const TML_RT_WORD sign = big & TML_RT_SIGN;
  if (((x ^ y) & TML_RT_SIGN) == 0u) {
    mb += ms; /* no carry out: both are below 2^(TML_RT_LEAD + 1), which is at most 2^(width - 2) */
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
  const int32_t shift = (int32_t)TML_RT_CLZ(mb) - (TML_RT_WIDTH - 1 - TML_RT_LEAD);
  return tml_rt_round_pack(sign, eb - shift, mb << shift);
}

static TML_RT_WORD tml_rt_mul_bits(TML_RT_WORD x, TML_RT_WORD y) {
  const TML_RT_WORD sign = (x ^ y) & TML_RT_SIGN;
  const TML_RT_WORD ax = x & ~TML_RT_SIGN;
  const TML_RT_WORD ay = y & ~TML_RT_SIGN;
  TML_RT_WORD nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return nan;
  }
  if (ax == TML_RT_EXP_MASK || ay == TML_RT_EXP_MASK) { /* inf * 0 is invalid */
    return (ax == 0u || ay == 0u) ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK);
  }
  if (ax == 0u || ay == 0u) {
    return sign;
  }
  int32_t ex;
  int32_t ey;
  const TML_RT_WORD mx = tml_rt_unpack(ax, &ex) >> TML_RT_EXTRA;
  const TML_RT_WORD my = tml_rt_unpack(ay, &ey) >> TML_RT_EXTRA;
  TML_RT_WORD m = tml_rt_mul_significands(mx, my);
  int32_t e = ex + ey - TML_RT_BIAS;
  if ((m >> (TML_RT_LEAD + 1)) != 0u) { /* significand product in [2, 4) */
    m = tml_rt_shift_right_sticky(m, 1u);
    e += 1;
  }
  return tml_rt_round_pack(sign, e, m);
}

static TML_RT_WORD tml_rt_div_bits(TML_RT_WORD x, TML_RT_WORD y) {
  const TML_RT_WORD sign = (x ^ y) & TML_RT_SIGN;
  const TML_RT_WORD ax = x & ~TML_RT_SIGN;
  const TML_RT_WORD ay = y & ~TML_RT_SIGN;
  TML_RT_WORD nan;
  if (tml_rt_nan_operand(x, y, &nan)) {
    return nan;
  }
  if (ax == TML_RT_EXP_MASK) { /* inf / finite = inf; inf / inf is invalid */
    return ay == TML_RT_EXP_MASK ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK);
  }
  if (ay == TML_RT_EXP_MASK) {
    return sign;
  }
  if (ay == 0u) { /* x / 0 = inf; 0 / 0 is invalid */
    return ax == 0u ? TML_RT_DEFAULT_NAN : (sign | TML_RT_EXP_MASK);
  }
  if (ax == 0u) {
    return sign;
  }
  int32_t ex;
  int32_t ey;
  TML_RT_WORD mx = tml_rt_unpack(ax, &ex) >> TML_RT_EXTRA;
  const TML_RT_WORD my = tml_rt_unpack(ay, &ey) >> TML_RT_EXTRA;
  if (mx < my) { /* make the significand ratio lie in [1, 2) */
    mx <<= 1;
    ex -= 1;
  }
  /* q = floor(mx / my * 2^(TML_RT_FRAC_BITS + 2)) by long division: one integer bit, the fraction
   * bits, guard bit, round bit */
  TML_RT_WORD q = 0u;
  TML_RT_WORD r = mx;
  for (int i = 0; i < TML_RT_FRAC_BITS + 3; ++i) {
    q <<= 1;
    if (r >= my) {
      r -= my;
      q |= 1u;
    }
    r <<= 1;
  }
  q |= (r != 0u) ? 1u : 0u; /* sticky: anything left over joins the round bit */
  /* leading one to TML_RT_LEAD: guard and round-or-sticky stay the top two of the extra bits */
  return tml_rt_round_pack(sign, ex - ey + TML_RT_BIAS, q << (TML_RT_EXTRA - 2));
}

/* A 64-bit integer, rounded once to nearest-even. */
static TML_RT_WORD tml_rt_from_u64(uint64_t i) {
  if (i == 0u) {
    return 0u;
  }
  const uint32_t lead = 63u - tml_rt_clz64(i); /* i in [2^lead, 2^(lead+1)) */
  TML_RT_WORD m;
  if (lead <= (uint32_t)TML_RT_LEAD) {
    m = (TML_RT_WORD)i << ((uint32_t)TML_RT_LEAD - lead);
  } else { /* the bits below the internal form's are sticky */
    const uint32_t shift = lead - (uint32_t)TML_RT_LEAD;
    m = (TML_RT_WORD)(i >> shift) | ((i & ((1ull << shift) - 1ull)) != 0u ? 1u : 0u);
  }
  return tml_rt_round_pack(0u, (int32_t)lead + TML_RT_BIAS, m);
}

/* __addsf3 / __adddf3 */
TML_RT_FLOAT TML_RT_NAME(add, 3)(TML_RT_FLOAT a, TML_RT_FLOAT b) {
  return TML_RT_VALUE(tml_rt_add_bits(TML_RT_BITS(a), TML_RT_BITS(b)));
}

/* __subsf3 / __subdf3 */
TML_RT_FLOAT TML_RT_NAME(sub, 3)(TML_RT_FLOAT a, TML_RT_FLOAT b) {
  const TML_RT_WORD y = TML_RT_BITS(b);
  /* a NaN b keeps its sign for the result (a - NaN is that NaN, not its negation) */
  return TML_RT_VALUE(tml_rt_add_bits(TML_RT_BITS(a), tml_rt_is_nan(y) ? y : (y ^ TML_RT_SIGN)));
}

/* __negsf2 / __negdf2 */
TML_RT_FLOAT TML_RT_NAME(neg, 2)(TML_RT_FLOAT a) {
  return TML_RT_VALUE(TML_RT_BITS(a) ^ TML_RT_SIGN);
}

/* __mulsf3 / __muldf3 */
TML_RT_FLOAT TML_RT_NAME(mul, 3)(TML_RT_FLOAT a, TML_RT_FLOAT b) {
  return TML_RT_VALUE(tml_rt_mul_bits(TML_RT_BITS(a), TML_RT_BITS(b)));
}

/* __divsf3 / __divdf3 */
TML_RT_FLOAT TML_RT_NAME(div, 3)(TML_RT_FLOAT a, TML_RT_FLOAT b) {
  return TML_RT_VALUE(tml_rt_div_bits(TML_RT_BITS(a), TML_RT_BITS(b)));
}

/* __unordsf2 / __unorddf2 */
int TML_RT_NAME(unord, 2)(TML_RT_FLOAT a, TML_RT_FLOAT b) {
  return tml_rt_is_nan(TML_RT_BITS(a)) || tml_rt_is_nan(TML_RT_BITS(b));
}

/* __floatundisf / __floatundidf (64-bit integers convert directly: through a wider format they would
 * be rounded twice) */
TML_RT_FLOAT TML_RT_NAME(floatundi, )(uint64_t i) {
  return TML_RT_VALUE(tml_rt_from_u64(i));
}

/* __floatdisf / __floatdidf */
TML_RT_FLOAT TML_RT_NAME(floatdi, )(int64_t i) {
  const uint64_t magnitude = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
  return TML_RT_VALUE(tml_rt_from_u64(magnitude) | (i < 0 ? TML_RT_SIGN : 0u));
}
