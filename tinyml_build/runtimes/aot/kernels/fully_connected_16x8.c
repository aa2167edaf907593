/* fully_connected_16x8.c -- FULLY_CONNECTED with int16 activations and int8 weights.
 *
 * TFLM's reference (FullyConnected / FullyConnectedPerChannel with int16 input) accumulates in
 * int64 when the bias is int64 (rescaled with the 64-bit MultiplyByQuantizedMultiplier) and in a
 * wrapping int32 when the bias is int32. The input zero point is folded into the bias by the
 * lowering (ops/fully_connected_16x8.py), so only products are summed here.
 *
 * Speed: four weight rows are read per pass over the input row, each group of four int16 inputs
 * repacked once for the four rows (two SMLADs per row on SIMD32 cores, tml_dot.h), the rows'
 * weights interleaved by the lowering so that one pointer walks them (dot4). Products
 * (|x * w| <= 2^22) are summed in int32 over runs of at most RUN_MAX and widened to int64 after
 * each run, which is exact; for the int32 path the low 32 bits of that sum are TFLM's wrapping
 * int32 accumulator.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#define RUN_MAX 256 /* 256 * 2^22 < 2^31: an int32 partial sum cannot overflow */

/* acc[k] = x . row k for a group of four rows in the interleaved layout (tml_fc16x8_params):
 * the rows' 4-byte quads interleaved (row 0's quad, row 1's, row 2's, row 3's, next quad ...),
 * then each row's depth % 4 tail bytes. One weight pointer walks it, so the loop keeps its sums,
 * the input pair and the pointers in registers. */
static void dot4(const int16_t *x, const int8_t *w, int32_t depth, int64_t acc[4]) {
  const int32_t quads = depth & ~3, tail = depth - quads;
  int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int32_t done = 0, j;
  while (done < quads) {
    const int32_t n = quads - done < RUN_MAX ? quads - done : RUN_MAX; /* a multiple of 4 */
    const int16_t *xp = x + done, *const end = xp + n;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; xp < end; xp += 4, w += 16) {
#if TML_HAVE_SIMD32
      int32_t x_even, x_odd;
      tml_load_s16_pairs(xp, &x_even, &x_odd);
      s0 = tml_dot4_s16x8(x_even, x_odd, w, s0);
      s1 = tml_dot4_s16x8(x_even, x_odd, w + 4, s1);
      s2 = tml_dot4_s16x8(x_even, x_odd, w + 8, s2);
      s3 = tml_dot4_s16x8(x_even, x_odd, w + 12, s3);
#else
      for (j = 0; j < 4; ++j) {
        const int32_t v = xp[j];
        s0 += v * w[j];
        s1 += v * w[4 + j];
        s2 += v * w[8 + j];
        s3 += v * w[12 + j];
      }
#endif
    }
    a0 += s0, a1 += s1, a2 += s2, a3 += s3;
    done += n;
  }
  for (j = 0; j < tail; ++j) {
    const int32_t v = x[quads + j];
    a0 += v * w[j];
    a1 += v * w[tail + j];
    a2 += v * w[2 * tail + j];
    a3 += v * w[3 * tail + j];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* x . w over depth products. */
static int64_t dot1(const int16_t *x, const int8_t *w, int32_t depth) {
  int64_t a = 0;
  int32_t done = 0;
  while (done < depth) {
    const int32_t n = depth - done < RUN_MAX ? depth - done : RUN_MAX;
    int32_t s = 0, i = 0;
#if TML_HAVE_SIMD32
    for (; i + 4 <= n; i += 4) {
      int32_t x_even, x_odd;
      tml_load_s16_pairs(x + done + i, &x_even, &x_odd);
      s = tml_dot4_s16x8(x_even, x_odd, w + done + i, s);
    }
#endif
    for (; i < n; ++i) s += x[done + i] * w[done + i];
    a += s;
    done += n;
  }
  return a;
}

/* Calls emit(unit, sum) for every output of every batch, in output order. */
#define TML_FC16X8_ROWS(emit)                                                       \
  const int32_t depth = p->accum_depth, units = p->output_depth;                    \
  int32_t b, u, k;                                                                  \
  for (b = 0; b < p->batches; ++b) {                                                \
    const int16_t *x = input + (ptrdiff_t)b * depth;                                \
    for (u = 0; u + 4 <= units; u += 4) {                                           \
      int64_t acc[4];                                                               \
      dot4(x, weights + (ptrdiff_t)u * depth, depth, acc);                          \
      for (k = 0; k < 4; ++k) emit(u + k, acc[k]);                                  \
    }                                                                               \
    for (; u < units; ++u) emit(u, dot1(x, weights + (ptrdiff_t)u * depth, depth)); \
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
