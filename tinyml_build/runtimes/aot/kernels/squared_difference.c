/* squared_difference.c -- SQUARED_DIFFERENCE (int8, int16, int32, float32) with broadcasting,
 * bit-exact with TFLM's micro kernel (kernels/squared_difference.cc).
 *
 * float32: d = x - y, d * d (two exact IEEE operations, no libm). int32: the same in wrapping
 * 32-bit arithmetic (TFLM's int32_t expression). int8/int16: both inputs offset, shifted left by
 * left_shift, scaled by their multipliers < 1 (MultiplyByQuantizedMultiplierSmallerThanOneExp),
 * subtracted, squared in int32, rescaled (MultiplyByQuantizedMultiplier), offset and clamped.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int32_t sd_quantized(const tml_squared_difference_params *p, int32_t x, int32_t y) {
  const int32_t sx = tml_wrapping_shift_left(x + p->input1_offset, (int)p->left_shift);
  const int32_t sy = tml_wrapping_shift_left(y + p->input2_offset, (int)p->left_shift);
  const int32_t vx = tml_multiply_by_quantized_multiplier_smaller_than_one(sx, p->input1_multiplier, p->input1_shift);
  const int32_t vy = tml_multiply_by_quantized_multiplier_smaller_than_one(sy, p->input2_multiplier, p->input2_shift);
  const int32_t d = vx - vy;
  const int32_t squared = (int32_t)((uint32_t)d * (uint32_t)d);
  const int32_t raw = tml_multiply_by_quantized_multiplier(squared, p->output_multiplier, p->output_shift);
  return tml_clamp_i32(raw + p->output_offset, p->act_min, p->act_max);
}

static inline int32_t sd_s32(int32_t x, int32_t y) {
  const uint32_t d = (uint32_t)x - (uint32_t)y;
  return (int32_t)(d * d);
}

static inline float sd_f32(float x, float y) {
  const float d = x - y;
  return d * d;
}

#define TML_SD_BLOCK(name, type, expr)                                                                      \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const type *a = (const type *)blk->a;                                                                   \
    const type *b = (const type *)blk->b;                                                                   \
    type *o = (type *)blk->out;                                                                             \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    const int32_t step_a = blk->step_a, step_b = blk->step_b;                                               \
    int32_t row, i;                                                                                         \
    (void)params;                                                                                           \
    for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
      const type *x = a, *y = b;                                                                            \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) *o++ = (type)(expr);                                \
    }                                                                                                       \
  }

TML_SD_BLOCK(sd_block_s8, int8_t, sd_quantized((const tml_squared_difference_params *)params, *x, *y))
TML_SD_BLOCK(sd_block_s16, int16_t, sd_quantized((const tml_squared_difference_params *)params, *x, *y))
TML_SD_BLOCK(sd_block_s32, int32_t, sd_s32(*x, *y))
TML_SD_BLOCK(sd_block_f32, float, sd_f32(*x, *y))

void tml_squared_difference_s8(const tml_squared_difference_params *p, const tml_broadcast *shape, const int8_t *in1,
                               const int8_t *in2, int8_t *out) {
  tml_broadcast_blocks(shape, sizeof(int8_t), in1, in2, out, sd_block_s8, p);
}

void tml_squared_difference_s16(const tml_squared_difference_params *p, const tml_broadcast *shape, const int16_t *in1,
                                const int16_t *in2, int16_t *out) {
  tml_broadcast_blocks(shape, sizeof(int16_t), in1, in2, out, sd_block_s16, p);
}

void tml_squared_difference_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, sd_block_s32, NULL);
}

void tml_squared_difference_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, sd_block_f32, NULL);
}
