/* div.c -- DIV (float32, int32) with broadcasting, bit-exact with TFLM's micro kernel (div.cc:
 * reference_ops::Div / BroadcastDivSlow).
 *
 * out = ActivationFunctionWithMinMax(in1 / in2, act_min, act_max): std::min(std::max(q, min), max),
 * whose comparisons keep NaN and -0.0 as they are. float32 division is one IEEE operation (no libm).
 * int32: C division truncates as TFLM's does; TFLM leaves a zero divisor and INT32_MIN / -1
 * undefined, and aot defines them (0 and INT32_MIN, before the clamp) rather than trap.
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

static inline float div_f32(const tml_div_f32_params *p, float x, float y) {
  const float q = x / y;
  const float low = q < p->act_min ? p->act_min : q;
  return p->act_max < low ? p->act_max : low;
}

static inline int32_t div_s32(const tml_div_s32_params *p, int32_t x, int32_t y) {
  const int32_t q = y == 0 ? 0 : (y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y);
  const int32_t low = q < p->act_min ? p->act_min : q;
  return p->act_max < low ? p->act_max : low;
}

#define TML_DIV_BLOCK(name, type, params_type, fn)                                                          \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const params_type *p = (const params_type *)params;                                                     \
    const type *a = (const type *)blk->a;                                                                   \
    const type *b = (const type *)blk->b;                                                                   \
    type *o = (type *)blk->out;                                                                             \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    const int32_t step_a = blk->step_a, step_b = blk->step_b;                                               \
    int32_t row, i;                                                                                         \
    for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
      const type *x = a, *y = b;                                                                            \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) *o++ = fn(p, *x, *y);                               \
    }                                                                                                       \
  }

TML_DIV_BLOCK(div_block_f32, float, tml_div_f32_params, div_f32)
TML_DIV_BLOCK(div_block_s32, int32_t, tml_div_s32_params, div_s32)

void tml_div_f32(const tml_div_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, div_block_f32, p);
}

void tml_div_s32(const tml_div_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, div_block_s32, p);
}
