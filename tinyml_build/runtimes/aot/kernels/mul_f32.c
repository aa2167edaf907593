/* mul_f32.c -- float32 MUL with broadcasting, bit-exact with TFLM's micro kernel (mul_common.cc
 * EvalMulFloatReference: reference_ops::Mul / BroadcastMul6DSlow).
 *
 * One IEEE multiplication per element, then ActivationFunctionWithMinMax as in add_f32.c
 * (std::min(std::max(x, act_min), act_max): NaN and -0.0 pass, +-inf become +-FLT_MAX under NONE).
 * Nothing is added to the product, so no compiler can contract it into a fused multiply-add.
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

TML_BLOCK_FN void mul_block_f32(const void *params, const tml_broadcast_block *blk) {
  const tml_arith_f32_params *p = (const tml_arith_f32_params *)params;
  const float act_min = p->act_min, act_max = p->act_max;
  const float *a = (const float *)blk->a;
  const float *b = (const float *)blk->b;
  float *o = (float *)blk->out;
  const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b;
  const int32_t step_a = blk->step_a, step_b = blk->step_b;
  int32_t row, i;
  for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {
    const float *x = a, *y = b;
    for (i = 0; i < n; ++i, x += step_a, y += step_b) {
      const float v = *x * *y;
      const float low = v < act_min ? act_min : v;
      *o++ = act_max < low ? act_max : low;
    }
  }
}

void tml_mul_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, mul_block_f32, p);
}
