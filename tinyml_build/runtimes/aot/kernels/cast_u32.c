/* cast_u32.c -- CAST to and from uint32, bit-exact with TFLM's copyCast (static_cast<To> per element).
 *
 * TFLM's cast.cc takes uint32 as input (to int8, int16, int32, uint32, float32) and as output (from
 * int8, int16, int32, float32, bool); micro_speech's audio preprocessor CASTs SignalEnergy's uint32
 * energies to int32 and back. int32 <-> uint32 and uint32 -> uint32 keep every bit, so the lowering
 * (ops/cast.py) aliases them and they have no function here. Integer -> integer: C's conversion
 * (modulo 2^n, two's complement for the signed targets, as static_cast). uint32 -> float: round to
 * nearest. bool -> uint32: 0 or 1.
 *
 * float -> uint32 is undefined in C++ and C when the truncated value is outside 0..2^32 - 1; as
 * cast.c does for the signed targets, this kernel defines it without undefined behaviour: truncation
 * toward zero saturated to 0..UINT32_MAX, NaN -> 0 (Arm's VCVT.U32.F32). The oracle comparison feeds
 * in-range values only; tests/test_aot_ops_compare.py checks the rule.
 */
#include "tml_cast.h"
#include "tml_kernels.h"

/* Truncation toward zero saturated to 0..UINT32_MAX; NaN -> 0 (every comparison with NaN is false). */
static inline uint32_t f32_to_u32(float v) {
  if (v >= 4294967296.0f) return UINT32_MAX;
  if (v > -1.0f) return (uint32_t)v; /* (-1, 0] truncates to 0, in range */
  return 0u;                         /* v <= -1 or NaN */
}

#define TML_F32_U32(to_t, v) ((to_t)f32_to_u32(v))

TML_CAST_FN(tml_cast_u32_s8, uint32_t, int8_t, TML_PLAIN)
TML_CAST_FN(tml_cast_u32_s16, uint32_t, int16_t, TML_PLAIN)
TML_CAST_FN(tml_cast_u32_f32, uint32_t, float, TML_PLAIN)
TML_CAST_FN(tml_cast_s8_u32, int8_t, uint32_t, TML_PLAIN)
TML_CAST_FN(tml_cast_s16_u32, int16_t, uint32_t, TML_PLAIN)
TML_CAST_FN(tml_cast_b_u32, uint8_t, uint32_t, TML_PLAIN)
TML_CAST_FN(tml_cast_f32_u32, float, uint32_t, TML_F32_U32)
