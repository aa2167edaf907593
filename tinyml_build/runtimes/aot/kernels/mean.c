/* mean.c -- quantized MEAN (int8, int16) over any set of axes, without scratch memory.
 *
 * The lowering collapses the input shape into "kept" loops (one output element per
 * index) and "reduced" loops (summed), each with element steps into the input; the
 * innermost reduced loop is a pointer walk. Each int32 sum is rescaled by TFLM's
 * mean multiplier, which already folds in 1 / number of reduced elements.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"
#include "tml_odometer.h"

#define TML_MEAN(name, type, type_min, type_max)                                                             \
  void name(const tml_mean_params *p, const type *input, type *output) {                                     \
    int32_t kept_index[TML_MEAN_MAX_LOOPS] = {0};                                                            \
    ptrdiff_t kept_offset = 0;                                                                               \
    const int32_t inner = p->reduced_loops - 1;                                                              \
    const int32_t inner_count = p->reduced_count[inner];                                                     \
    const int32_t inner_step = p->reduced_step[inner];                                                       \
    do {                                                                                                     \
      int32_t reduced_index[TML_MEAN_MAX_LOOPS] = {0};                                                       \
      ptrdiff_t reduced_offset = 0;                                                                          \
      int32_t sum = 0;                                                                                       \
      do {                                                                                                   \
        const type *x = input + kept_offset + reduced_offset;                                                \
        int32_t i;                                                                                           \
        for (i = 0; i < inner_count; ++i, x += inner_step) sum += *x;                                        \
      } while (tml_odometer_step(reduced_index, p->reduced_count, p->reduced_step, inner, &reduced_offset)); \
      *output++ = (type)tml_clamp_i32(                                                                       \
          tml_multiply_by_quantized_multiplier(sum - p->input_zero_point_sum, p->multiplier, p->shift) +     \
              p->output_zero_point,                                                                          \
          type_min, type_max);                                                                               \
    } while (tml_odometer_step(kept_index, p->kept_count, p->kept_step, p->kept_loops, &kept_offset));       \
  }

TML_MEAN(tml_mean_s8, int8_t, INT8_MIN, INT8_MAX)
TML_MEAN(tml_mean_s16, int16_t, INT16_MIN, INT16_MAX)
