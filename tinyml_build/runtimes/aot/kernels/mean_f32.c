/* mean_f32.c -- float32 MEAN over any set of axes, bit-exact with TFLM's micro kernel
 * (reduce_common.cc EvalMeanHelper: reference_ops::Mean, both its general and its 4-D H,W form).
 *
 * TFLM sums each output's reduced elements in input order, starting from 0.0f, then divides the
 * float sum by the reduced element count converted to float. The loops are MEAN's (tml_mean_params,
 * quantization fields unused): reduced loops walked outermost first, so the additions happen in
 * the same order and round the same way.
 */
#include "tml_kernels.h"
#include "tml_odometer.h"

void tml_mean_f32(const tml_mean_params *p, const float *input, float *output, int32_t count) {
  int32_t kept_index[TML_MEAN_MAX_LOOPS] = {0};
  ptrdiff_t kept_offset = 0;
  const int32_t inner = p->reduced_loops - 1;
  const int32_t inner_count = p->reduced_count[inner];
  const int32_t inner_step = p->reduced_step[inner];
  const float divisor = (float)count;
  do {
    int32_t reduced_index[TML_MEAN_MAX_LOOPS] = {0};
    ptrdiff_t reduced_offset = 0;
    float sum = 0.0f;
    do {
      const float *x = input + kept_offset + reduced_offset;
      int32_t i;
      for (i = 0; i < inner_count; ++i, x += inner_step) sum = sum + *x;
    } while (tml_odometer_step(reduced_index, p->reduced_count, p->reduced_step, inner, &reduced_offset));
    *output++ = sum / divisor;
  } while (tml_odometer_step(kept_index, p->kept_count, p->kept_step, p->kept_loops, &kept_offset));
}
