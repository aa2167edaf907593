/* cast.c -- CAST between int8, int16, int32, float32 and bool (input only), bit-exact with TFLM's
 * copyCast (std::transform with static_cast<To>).
 *
 * Integer -> integer: C's conversion, which wraps on every compiler this project supports
 * (two's complement, as static_cast does since C++20 and in practice before). Integer/bool ->
 * float: C's conversion (round to nearest). bool -> anything: 0 or 1.
 *
 * float -> integer: static_cast is undefined in C++ (and the conversion in C) when the
 * truncated value does not fit the target, so what TFLM computes is whatever its build does.
 * The tflite-micro wheel on the x86-64 host was probed for every target type with values
 * around and far beyond each range, +-inf and NaN, at several tensor lengths: it truncates
 * toward zero and saturates to the target's range (int8: 300.7 -> 127, -1e10 -> -128; int16
 * and int32 alike), NaN -> 0, the same as Arm's VCVT for int32 (the pinned TFLM built by g++
 * for the host wraps instead: undefined means any answer). This kernel defines saturation,
 * range check first, so no undefined behaviour (tests/test_aot_ops_compare.py checks the rule).
 */
#include "tml_cast.h"
#include "tml_kernels.h"

/* Truncation toward zero saturated to [lo, hi]; NaN -> 0 (every comparison with NaN is false). */
static inline int32_t f32_to_int(float v, int32_t lo, int32_t hi) {
  if (v >= (float)hi) return hi; /* (float)INT32_MAX is 2^31: every v from there saturates */
  if (v <= (float)lo) return lo;
  if (v != v) return 0;
  return (int32_t)v;
}

#define TML_F32_S8(to_t, v) ((to_t)f32_to_int(v, INT8_MIN, INT8_MAX))
#define TML_F32_S16(to_t, v) ((to_t)f32_to_int(v, INT16_MIN, INT16_MAX))
#define TML_F32_S32(to_t, v) ((to_t)f32_to_int(v, INT32_MIN, INT32_MAX))

#define TML_CAST_INTS(from, from_t)                              \
  TML_CAST_FN(tml_cast_##from##_s8, from_t, int8_t, TML_PLAIN)   \
  TML_CAST_FN(tml_cast_##from##_s16, from_t, int16_t, TML_PLAIN) \
  TML_CAST_FN(tml_cast_##from##_s32, from_t, int32_t, TML_PLAIN) \
  TML_CAST_FN(tml_cast_##from##_f32, from_t, float, TML_PLAIN)

TML_CAST_INTS(s8, int8_t)
TML_CAST_INTS(s16, int16_t)
TML_CAST_INTS(s32, int32_t)
TML_CAST_INTS(b, uint8_t)
TML_CAST_FN(tml_cast_f32_s8, float, int8_t, TML_F32_S8)
TML_CAST_FN(tml_cast_f32_s16, float, int16_t, TML_F32_S16)
TML_CAST_FN(tml_cast_f32_s32, float, int32_t, TML_F32_S32)
TML_CAST_FN(tml_cast_f32_f32, float, float, TML_PLAIN)
