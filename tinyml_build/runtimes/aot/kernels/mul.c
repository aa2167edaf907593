/* mul.c -- quantized MUL (int8, int16) with broadcasting, bit-exact with TFLM's reference.
 *
 * The product of the zero-point-corrected inputs is rescaled with one multiplier
 * (input1_scale * input2_scale / output_scale). int16 tensors have zero points of 0.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* The parameters in locals: int8/int16 stores may alias the parameter block, so reading
 * p->field in the loop would reload it after every store. */
typedef struct {
  int32_t offset1, offset2, output_offset, multiplier, shift, act_min, act_max;
} row_params;

static inline row_params load(const tml_mul_params *p) {
  row_params r;
  r.offset1 = p->input1_offset;
  r.offset2 = p->input2_offset;
  r.output_offset = p->output_offset;
  r.multiplier = p->output_multiplier;
  r.shift = p->output_shift;
  r.act_min = p->act_min;
  r.act_max = p->act_max;
  return r;
}

static inline int32_t to_output(const row_params *r, int32_t product) {
  const int32_t raw = tml_multiply_by_quantized_multiplier(product, r->multiplier, r->shift) + r->output_offset;
  return tml_clamp_i32(raw, r->act_min, r->act_max);
}

#define TML_MUL_BLOCK(name, type)                                                                           \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const row_params r = load((const tml_mul_params *)params);                                              \
    const type *a = (const type *)blk->a;                                                                   \
    const type *b = (const type *)blk->b;                                                                   \
    type *o = (type *)blk->out;                                                                             \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    int32_t row, i;                                                                                         \
    if (blk->step_b == 0) { /* input 2 is constant along each row */                                        \
      const int32_t step_a = blk->step_a;                                                                   \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const int32_t fy = *b + r.offset2;                                                                  \
        const type *x = a;                                                                                  \
        for (i = 0; i < n; ++i, x += step_a) *o++ = (type)to_output(&r, (*x + r.offset1) * fy);             \
      }                                                                                                     \
    } else if (blk->step_a == 0) {                                                                          \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const int32_t fx = *a + r.offset1;                                                                  \
        const type *y = b;                                                                                  \
        for (i = 0; i < n; ++i) *o++ = (type)to_output(&r, fx * (*y++ + r.offset2));                        \
      }                                                                                                     \
    } else {                                                                                                \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const type *x = a, *y = b;                                                                          \
        for (i = 0; i < n; ++i) *o++ = (type)to_output(&r, (*x++ + r.offset1) * (*y++ + r.offset2));        \
      }                                                                                                     \
    }                                                                                                       \
  }

TML_MUL_BLOCK(mul_block_s8, int8_t)
TML_MUL_BLOCK(mul_block_s16, int16_t)

void tml_mul_s8(const tml_mul_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                int8_t *out) {
  tml_broadcast_blocks(shape, sizeof(int8_t), in1, in2, out, mul_block_s8, p);
}

void tml_mul_s16(const tml_mul_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out) {
  tml_broadcast_blocks(shape, sizeof(int16_t), in1, in2, out, mul_block_s16, p);
}
