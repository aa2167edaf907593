/* add_f32.c -- float32 ADD and SUB with broadcasting, bit-exact with TFLM's micro kernels (add.cc,
 * sub.cc: reference_ops::Add / BroadcastAdd6DSlow, SubWithActivation / BroadcastSubSlow).
 *
 * One IEEE addition or subtraction per element, then TFLM's ActivationFunctionWithMinMax:
 * std::min(std::max(x, act_min), act_max), i.e. `x < min ? min : x`, then `max < y ? max : y`.
 * Those comparisons pass NaN and -0.0 through unchanged and turn +-inf into +-FLT_MAX when the
 * activation is NONE (its range is [lowest, max]), exactly as TFLM's do. A separate file from
 * add.c (int8/int16), whose rescaling this path has none of.
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

#define TML_F32_ADD(x, y) ((x) + (y))
#define TML_F32_SUB(x, y) ((x) - (y))

#define TML_ARITH_F32_BLOCK(name, OP)                                                                       \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const tml_arith_f32_params *p = (const tml_arith_f32_params *)params;                                   \
    const float act_min = p->act_min, act_max = p->act_max;                                                 \
    const float *a = (const float *)blk->a;                                                                 \
    const float *b = (const float *)blk->b;                                                                 \
    float *o = (float *)blk->out;                                                                           \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    const int32_t step_a = blk->step_a, step_b = blk->step_b;                                               \
    int32_t row, i;                                                                                         \
    for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
      const float *x = a, *y = b;                                                                           \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) {                                                   \
        const float v = OP(*x, *y);                                                                         \
        const float low = v < act_min ? act_min : v;                                                        \
        *o++ = act_max < low ? act_max : low;                                                               \
      }                                                                                                     \
    }                                                                                                       \
  }

TML_ARITH_F32_BLOCK(add_block_f32, TML_F32_ADD)
TML_ARITH_F32_BLOCK(sub_block_f32, TML_F32_SUB)

void tml_add_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, add_block_f32, p);
}

void tml_sub_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, sub_block_f32, p);
}
