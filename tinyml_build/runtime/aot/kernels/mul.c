/* mul.c -- quantized MUL (int8, int16) with broadcasting, bit-exact with TFLM's reference.
 *
 * The product of the zero-point-corrected inputs is rescaled with one multiplier
 * (input1_scale * input2_scale / output_scale). int16 tensors have zero points of 0.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int32_t to_output(const tml_mul_params *p, int32_t product) {
  const int32_t raw = tml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
  return tml_clamp_i32(raw, p->act_min, p->act_max);
}

#define TML_MUL_ROW(name, type)                                                                             \
  static void name(const void *params, const void *a, int32_t step_a, const void *b, int32_t step_b,       \
                   void *out, int32_t n) {                                                                  \
    const tml_mul_params *p = (const tml_mul_params *)params;                                               \
    const type *x = (const type *)a;                                                                        \
    const type *y = (const type *)b;                                                                        \
    type *o = (type *)out;                                                                                  \
    type *const end = o + n;                                                                                \
    if (step_b == 0) {                                                                                      \
      const int32_t fy = *y + p->input2_offset;                                                             \
      for (; o < end; ++o, x += step_a) *o = (type)to_output(p, (*x + p->input1_offset) * fy);              \
    } else if (step_a == 0) {                                                                               \
      const int32_t fx = *x + p->input1_offset;                                                             \
      for (; o < end; ++o, ++y) *o = (type)to_output(p, fx * (*y + p->input2_offset));                      \
    } else {                                                                                                \
      for (; o < end; ++o, ++x, ++y) *o = (type)to_output(p, (*x + p->input1_offset) * (*y + p->input2_offset)); \
    }                                                                                                       \
  }

TML_MUL_ROW(mul_row_s8, int8_t)
TML_MUL_ROW(mul_row_s16, int16_t)

void tml_mul_s8(const tml_mul_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                int8_t *out) {
  tml_broadcast_rows(shape, sizeof(int8_t), in1, in2, out, mul_row_s8, p);
}

void tml_mul_s16(const tml_mul_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out) {
  tml_broadcast_rows(shape, sizeof(int16_t), in1, in2, out, mul_row_s16, p);
}
