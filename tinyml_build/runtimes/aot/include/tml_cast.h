/* tml_cast.h -- the element loop shared by CAST's kernels (cast.c, cast_u32.c): TFLM's copyCast,
 * std::transform with static_cast<To>, one conversion macro per (from, to) pair. */
#ifndef TML_CAST_H
#define TML_CAST_H

#include <stdint.h>

/* void fn(int32_t n, const from_t *in, to_t *out): out[i] = CONVERT(to_t, in[i]) for i < n. */
#define TML_CAST_FN(fn, from_t, to_t, CONVERT)             \
  void fn(int32_t n, const from_t *in, to_t *out) {        \
    int32_t i;                                             \
    for (i = 0; i < n; ++i) out[i] = CONVERT(to_t, in[i]); \
  }

/* C's conversion: what static_cast does for every pair without a float source out of range. */
#define TML_PLAIN(to_t, v) ((to_t)(v))

#endif /* TML_CAST_H */
