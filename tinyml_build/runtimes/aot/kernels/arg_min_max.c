/* arg_min_max.c -- ARG_MAX and ARG_MIN (int8, float32 input; int32 output), bit-exact with
 * TFLM's reference ArgMinMax as its micro kernel calls it (GreaterFn / LessFn).
 *
 * For each (outer, inner) position the first element along the axis is the initial best; a
 * later element replaces it only when it compares strictly greater (smaller), so the first of
 * tied values wins. With float NaN: a NaN candidate never replaces, and a NaN initial best is
 * never replaced (every comparison with NaN is false) -- TFLM's micro kernel behaves the same.
 */
#include "tml_kernels.h"

#define TML_GT(x, y) ((x) > (y))
#define TML_LT(x, y) ((x) < (y))

#define TML_ARG_OP(name, type, better)                                             \
  void name(const tml_arg_params *p, const type *input, int32_t *output) {         \
    const int32_t outer = p->outer, axis_size = p->axis_size, inner = p->inner;    \
    const int32_t block = axis_size * inner;                                       \
    int32_t o, j, i;                                                               \
    for (o = 0; o < outer; ++o, input += block) {                                  \
      if (inner == 1) { /* the axis is the innermost dimension: contiguous scan */ \
        type best = input[0];                                                      \
        int32_t index = 0;                                                         \
        for (i = 1; i < axis_size; ++i) {                                          \
          if (better(input[i], best)) {                                            \
            best = input[i];                                                       \
            index = i;                                                             \
          }                                                                        \
        }                                                                          \
        *output++ = index;                                                         \
        continue;                                                                  \
      }                                                                            \
      for (j = 0; j < inner; ++j) {                                                \
        const type *x = input + j;                                                 \
        type best = *x;                                                            \
        int32_t index = 0;                                                         \
        for (i = 1; i < axis_size; ++i) {                                          \
          x += inner;                                                              \
          if (better(*x, best)) {                                                  \
            best = *x;                                                             \
            index = i;                                                             \
          }                                                                        \
        }                                                                          \
        *output++ = index;                                                         \
      }                                                                            \
    }                                                                              \
  }

TML_ARG_OP(tml_arg_max_s8, int8_t, TML_GT)
TML_ARG_OP(tml_arg_max_f32, float, TML_GT)
TML_ARG_OP(tml_arg_min_s8, int8_t, TML_LT)
TML_ARG_OP(tml_arg_min_f32, float, TML_LT)
