/* maximum_minimum.c -- MAXIMUM and MINIMUM (int8, int16, int32, float32) with broadcasting,
 * bit-exact with TFLM's reference (MaximumMinimumBroadcastSlow).
 *
 * TFLM compares the raw stored values (no Prepare, no requantization: the converter gives
 * both inputs and the output one scale and zero point) with `a > b ? a : b` / `a < b ? a : b`.
 * The same expressions here keep float NaN handling identical: a NaN in input 1 is replaced
 * by input 2, a NaN in input 2 is returned.
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

#define TML_MAX(x, y) ((x) > (y) ? (x) : (y))
#define TML_MIN(x, y) ((x) < (y) ? (x) : (y))

#define TML_SELECT_BLOCK(name, type, op)                                                                    \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const type *a = (const type *)blk->a;                                                                   \
    const type *b = (const type *)blk->b;                                                                   \
    type *o = (type *)blk->out;                                                                             \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    int32_t row, i;                                                                                         \
    (void)params;                                                                                           \
    if (blk->step_b == 0) { /* input 2 is constant along each row */                                        \
      const int32_t step_a = blk->step_a;                                                                   \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const type y = *b;                                                                                  \
        const type *x = a;                                                                                  \
        for (i = 0; i < n; ++i, x += step_a) *o++ = op(*x, y);                                              \
      }                                                                                                     \
    } else if (blk->step_a == 0) {                                                                          \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const type x = *a;                                                                                  \
        const type *y = b;                                                                                  \
        for (i = 0; i < n; ++i, ++y) *o++ = op(x, *y);                                                      \
      }                                                                                                     \
    } else {                                                                                                \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                  \
        const type *x = a, *y = b;                                                                          \
        for (i = 0; i < n; ++i, ++x, ++y) *o++ = op(*x, *y);                                                \
      }                                                                                                     \
    }                                                                                                       \
  }

#define TML_SELECT_OP(fn, block, type, op)                                           \
  TML_SELECT_BLOCK(block, type, op)                                                  \
  void fn(const tml_broadcast *shape, const type *in1, const type *in2, type *out) { \
    tml_broadcast_blocks(shape, sizeof(type), in1, in2, out, block, NULL);           \
  }

TML_SELECT_OP(tml_maximum_s8, maximum_block_s8, int8_t, TML_MAX)
TML_SELECT_OP(tml_maximum_s16, maximum_block_s16, int16_t, TML_MAX)
TML_SELECT_OP(tml_maximum_s32, maximum_block_s32, int32_t, TML_MAX)
TML_SELECT_OP(tml_maximum_f32, maximum_block_f32, float, TML_MAX)
TML_SELECT_OP(tml_minimum_s8, minimum_block_s8, int8_t, TML_MIN)
TML_SELECT_OP(tml_minimum_s16, minimum_block_s16, int16_t, TML_MIN)
TML_SELECT_OP(tml_minimum_s32, minimum_block_s32, int32_t, TML_MIN)
TML_SELECT_OP(tml_minimum_f32, minimum_block_f32, float, TML_MIN)
