/* tml_rt_bits.h -- bit-level views of float and double shared by xtensa_rt's C files (internal).
 *
 * Why: the soft-float helpers (float.c, double.c), the exact math functions (math.c) and the 64-bit
 * division (int64.c) all work on IEEE 754 bit patterns and leading-zero counts; one definition keeps
 * them consistent. static inline: each file uses what it needs, without unused-function warnings.
 */
#ifndef TML_RT_BITS_H
#define TML_RT_BITS_H

#include <stdint.h>

#define TML_RT_F64_SIGN 0x8000000000000000ull
#define TML_RT_F64_EXP_MASK 0x7FF0000000000000ull
#define TML_RT_F64_FRAC_MASK 0x000FFFFFFFFFFFFFull
#define TML_RT_F64_HIDDEN 0x0010000000000000ull

typedef union {
  double d;
  uint64_t u;
} tml_rt_f64;

typedef union {
  float f;
  uint32_t u;
} tml_rt_f32;

static inline double tml_rt_double(uint64_t bits) {
  tml_rt_f64 v;
  v.u = bits;
  return v.d;
}

static inline uint64_t tml_rt_bits64(double d) {
  tml_rt_f64 v;
  v.d = d;
  return v.u;
}

static inline float tml_rt_float(uint32_t bits) {
  tml_rt_f32 v;
  v.u = bits;
  return v.f;
}

static inline uint32_t tml_rt_bits32(float f) {
  tml_rt_f32 v;
  v.f = f;
  return v.u;
}

/* Leading zeros of a non-zero 64-bit value (the cores count 32 bits at a time: NSAU). */
static inline uint32_t tml_rt_clz64(uint64_t x) {
  const uint32_t high = (uint32_t)(x >> 32);
  return high != 0u ? (uint32_t)__builtin_clz(high) : 32u + (uint32_t)__builtin_clz((uint32_t)x);
}

#endif /* TML_RT_BITS_H */
