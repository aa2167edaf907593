/* reduce.c -- REDUCE_MAX / REDUCE_MIN (int8, float32) and float32 SUM over any set of axes.
 *
 * Same loop description as MEAN (tml_mean_params: kept loops give one output element each,
 * reduced loops are folded into it; quantization fields unused). Each output starts from
 * TFLM's initial value (lowest / highest finite value of the type, 0.0f for SUM) and folds the
 * reduced elements in input order with TFLM's expressions: `in > cur ? in : cur` for max (a
 * NaN input never replaces the running value), `in < cur ? in : cur` for min, `in + cur` for
 * SUM. int8 and int16 SUM are MEAN's kernel with an unfolded multiplier (ops/reduce.py).
 */
#include <float.h>

#include "tml_kernels.h"
#include "tml_odometer.h"

#define TML_REDUCE_MAX_OP(cur, in) ((in) > (cur) ? (in) : (cur))
#define TML_REDUCE_MIN_OP(cur, in) ((in) < (cur) ? (in) : (cur))
#define TML_REDUCE_SUM_OP(cur, in) ((in) + (cur))

#define TML_REDUCE(name, type, init, OP)                                                                     \
  void name(const tml_mean_params *p, const type *input, type *output) {                                     \
    int32_t kept_index[TML_MEAN_MAX_LOOPS] = {0};                                                            \
    ptrdiff_t kept_offset = 0;                                                                               \
    const int32_t inner = p->reduced_loops - 1;                                                              \
    const int32_t inner_count = p->reduced_count[inner];                                                     \
    const int32_t inner_step = p->reduced_step[inner];                                                       \
    do {                                                                                                     \
      int32_t reduced_index[TML_MEAN_MAX_LOOPS] = {0};                                                       \
      ptrdiff_t reduced_offset = 0;                                                                          \
      type acc = (init);                                                                                     \
      do {                                                                                                   \
        const type *x = input + kept_offset + reduced_offset;                                                \
        int32_t i;                                                                                           \
        for (i = 0; i < inner_count; ++i, x += inner_step) acc = (type)OP(acc, *x);                          \
      } while (tml_odometer_step(reduced_index, p->reduced_count, p->reduced_step, inner, &reduced_offset)); \
      *output++ = acc;                                                                                       \
    } while (tml_odometer_step(kept_index, p->kept_count, p->kept_step, p->kept_loops, &kept_offset));       \
  }

TML_REDUCE(tml_reduce_max_s8, int8_t, INT8_MIN, TML_REDUCE_MAX_OP)
TML_REDUCE(tml_reduce_min_s8, int8_t, INT8_MAX, TML_REDUCE_MIN_OP)
TML_REDUCE(tml_reduce_max_f32, float, -FLT_MAX, TML_REDUCE_MAX_OP)
TML_REDUCE(tml_reduce_min_f32, float, FLT_MAX, TML_REDUCE_MIN_OP)
TML_REDUCE(tml_reduce_sum_f32, float, 0.0f, TML_REDUCE_SUM_OP)
