/* add_s32.c -- int32 ADD, SUB and MUL with broadcasting, bit-exact with TFLM's micro kernels (add.cc,
 * sub.cc, mul.cc: reference_ops::Add / BroadcastAdd4DSlow, SubWithActivation / BroadcastSubSlow,
 * Mul / BroadcastMul6DSlow).
 *
 * The sum, difference or product wraps as the host build's int32 arithmetic does (MUL: TFLM's
 * WrappingMul; computed here in uint32: no undefined overflow), then TFLM's
 * ActivationFunctionWithMinMax clamps it to [act_min, act_max] (ADD: the whole int32 range; SUB and
 * MUL: their fused activation's range).
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

#define TML_S32_ADD(x, y) ((int32_t)((uint32_t)(x) + (uint32_t)(y)))
#define TML_S32_SUB(x, y) ((int32_t)((uint32_t)(x) - (uint32_t)(y)))
#define TML_S32_MUL(x, y) ((int32_t)((uint32_t)(x) * (uint32_t)(y)))

#define TML_ARITH_S32_BLOCK(name, OP)                                                                       \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const tml_arith_s32_params *p = (const tml_arith_s32_params *)params;                                   \
    const int32_t act_min = p->act_min, act_max = p->act_max;                                               \
    const int32_t *a = (const int32_t *)blk->a;                                                             \
    const int32_t *b = (const int32_t *)blk->b;                                                             \
    int32_t *o = (int32_t *)blk->out;                                                                       \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    const int32_t step_a = blk->step_a, step_b = blk->step_b;                                               \
    int32_t row, i;                                                                                         \
    for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
      const int32_t *x = a, *y = b;                                                                         \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) {                                                   \
        const int32_t v = OP(*x, *y);                                                                       \
        *o++ = v < act_min ? act_min : (v > act_max ? act_max : v);                                         \
      }                                                                                                     \
    }                                                                                                       \
  }

TML_ARITH_S32_BLOCK(add_block_s32, TML_S32_ADD)
TML_ARITH_S32_BLOCK(sub_block_s32, TML_S32_SUB)
TML_ARITH_S32_BLOCK(mul_block_s32, TML_S32_MUL)

void tml_add_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, add_block_s32, p);
}

void tml_sub_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, sub_block_s32, p);
}

void tml_mul_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, mul_block_s32, p);
}
