/* fully_connected_16x8.c -- FULLY_CONNECTED with int16 activations and int8 weights.
 *
 * TFLM's reference (FullyConnected / FullyConnectedPerChannel with int16 input) accumulates in
 * int64 when the bias is int64 (rescaled with the 64-bit MultiplyByQuantizedMultiplier) and in a
 * wrapping int32 when the bias is int32. The input zero point is folded into the bias by the
 * lowering (ops/fully_connected_16x8.py), so only products are summed here.
 *
 * Speed: four weight rows are read per pass over the input row, each group of four int16 inputs
 * repacked once for the four rows (two SMLADs per row on SIMD32 cores), the rows' weights
 * interleaved by the lowering so that one pointer walks them (tml_dot.h: tml_dot4_rows_s16x8,
 * shared with CONV_2D 16x8). Products (|x * w| <= 2^22) are summed in int32 over runs of at most
 * TML_S16X8_RUN_MAX and widened to int64 after each run, which is exact; for the int32 path the
 * low 32 bits of that sum are TFLM's wrapping int32 accumulator.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Calls emit(unit, sum) for every output of every batch, in output order. */
#define TML_FC16X8_ROWS(emit)                                                                    \
  const int32_t depth = p->accum_depth, units = p->output_depth;                                 \
  int32_t b, u, k;                                                                               \
  for (b = 0; b < p->batches; ++b) {                                                             \
    const int16_t *x = input + (ptrdiff_t)b * depth;                                             \
    for (u = 0; u + 4 <= units; u += 4) {                                                        \
      int64_t acc[4];                                                                            \
      tml_dot4_rows_s16x8(x, weights + (ptrdiff_t)u * depth, depth, acc);                        \
      for (k = 0; k < 4; ++k) emit(u + k, acc[k]);                                               \
    }                                                                                            \
    for (; u < units; ++u) emit(u, tml_dot_row_s16x8(x, weights + (ptrdiff_t)u * depth, depth)); \
  }

void tml_fully_connected_s16x8_acc64(const tml_fc16x8_params *p, const int16_t *input, const int8_t *weights,
                                     const int64_t *bias, int16_t *output) {
  const int32_t offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
#define EMIT64(unit, sum)                                                                                    \
  {                                                                                                          \
    const int64_t total = (sum) + (bias ? bias[unit] : 0);                                                   \
    const int32_t v = tml_multiply_by_quantized_multiplier_i64(total, p->multiplier[(unit)&p->channel_mask], \
                                                               p->shift[(unit)&p->channel_mask]);            \
    *output++ = (int16_t)tml_clamp_i32(v + offset, act_min, act_max);                                        \
  }
  TML_FC16X8_ROWS(EMIT64)
#undef EMIT64
}

void tml_fully_connected_s16x8_acc32(const tml_fc16x8_params *p, const int16_t *input, const int8_t *weights,
                                     const int32_t *bias, int16_t *output) {
  const int32_t offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  /* TFLM's int32 accumulator wraps: keep the low 32 bits, add the bias with wrap-around */
#define EMIT32(unit, sum)                                                                                       \
  {                                                                                                             \
    const uint32_t low = (uint32_t)(uint64_t)(sum) + (uint32_t)(bias ? bias[unit] : 0);                         \
    const int32_t v = tml_multiply_by_quantized_multiplier((int32_t)low, p->multiplier[(unit)&p->channel_mask], \
                                                           p->shift[(unit)&p->channel_mask]);                   \
    *output++ = (int16_t)tml_clamp_i32(v + offset, act_min, act_max);                                           \
  }
  TML_FC16X8_ROWS(EMIT32)
#undef EMIT32
}
