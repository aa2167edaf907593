/* batch_matmul.c -- BATCH_MATMUL (int8, int16, float32): out[b][m][n] = sum_k A[b][m][k] * B[b][k][n].
 *
 * The lowering resolves adj_x / adj_y into element steps (A[m][k] at m * a_row_step + k * a_k_step,
 * B[k][n] at k * b_k_step + n * b_col_step) and batch broadcasting into one table of A and B start
 * offsets per output matrix. Sums run over k in ascending order, as TFLM's reference BatchMatMul
 * (float32 therefore rounds the same way). int8: int32 sums of (a - zp_a) * (b - zp_b), then
 * MultiplyByQuantizedMultiplier, output zero point, clamp; int16 (zero points 0): int64 sums and
 * the 64-bit MultiplyByQuantizedMultiplier.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_batch_matmul_s8(const tml_batch_matmul_params *p, const int8_t *a, const int8_t *b, int8_t *out) {
  const int32_t a_offset = p->a_offset, b_offset = p->b_offset;
  const int32_t multiplier = p->multiplier, shift = p->shift, output_offset = p->output_offset;
  int32_t batch, m, n, k;
  for (batch = 0; batch < p->batches; ++batch) {
    const int8_t *a_rows = a + p->a_offsets[batch];
    const int8_t *b_cols = b + p->b_offsets[batch];
    for (m = 0; m < p->rows; ++m, a_rows += p->a_row_step) {
      const int8_t *b_col = b_cols;
      for (n = 0; n < p->cols; ++n, b_col += p->b_col_step) {
        const int8_t *x = a_rows;
        const int8_t *y = b_col;
        int32_t acc = 0;
        for (k = 0; k < p->depth; ++k, x += p->a_k_step, y += p->b_k_step) {
          acc += ((int32_t)*x + a_offset) * ((int32_t)*y + b_offset);
        }
        acc = tml_multiply_by_quantized_multiplier(acc, multiplier, shift) + output_offset;
        *out++ = (int8_t)tml_clamp_i32(acc, INT8_MIN, INT8_MAX);
      }
    }
  }
}

void tml_batch_matmul_s16(const tml_batch_matmul_params *p, const int16_t *a, const int16_t *b, int16_t *out) {
  const int32_t multiplier = p->multiplier, shift = p->shift;
  int32_t batch, m, n, k;
  for (batch = 0; batch < p->batches; ++batch) {
    const int16_t *a_rows = a + p->a_offsets[batch];
    const int16_t *b_cols = b + p->b_offsets[batch];
    for (m = 0; m < p->rows; ++m, a_rows += p->a_row_step) {
      const int16_t *b_col = b_cols;
      for (n = 0; n < p->cols; ++n, b_col += p->b_col_step) {
        const int16_t *x = a_rows;
        const int16_t *y = b_col;
        int64_t acc = 0;
        for (k = 0; k < p->depth; ++k, x += p->a_k_step, y += p->b_k_step) acc += (int32_t)*x * (int32_t)*y;
        *out++ = (int16_t)tml_clamp_i32(tml_multiply_by_quantized_multiplier_i64(acc, multiplier, shift), INT16_MIN,
                                        INT16_MAX);
      }
    }
  }
}

void tml_batch_matmul_f32(const tml_batch_matmul_params *p, const float *a, const float *b, float *out) {
  int32_t batch, m, n, k;
  for (batch = 0; batch < p->batches; ++batch) {
    const float *a_rows = a + p->a_offsets[batch];
    const float *b_cols = b + p->b_offsets[batch];
    for (m = 0; m < p->rows; ++m, a_rows += p->a_row_step) {
      const float *b_col = b_cols;
      for (n = 0; n < p->cols; ++n, b_col += p->b_col_step) {
        const float *x = a_rows;
        const float *y = b_col;
        float acc = 0.0f;
        for (k = 0; k < p->depth; ++k, x += p->a_k_step, y += p->b_k_step) {
          const float product = *x * *y; /* rounded before the add, as TFLM (no fused multiply-add) */
          acc += product;
        }
        *out++ = acc;
      }
    }
  }
}
