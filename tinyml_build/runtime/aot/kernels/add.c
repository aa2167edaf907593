/* add.c -- quantized ADD (int8, int16) with broadcasting, bit-exact with TFLM's reference.
 *
 * Both inputs are brought to a common scale (shifted left, then scaled by multipliers
 * smaller than one), summed, and rescaled to the output. int16 uses TFLM's general-scale
 * path (left shift 15): TFLM micro ignores pot_scale_int16. When one input is broadcast
 * along the row, its scaled value is computed once per row. For large int8 tensors the
 * lowering passes 2 KB of scratch: the scaled value of every possible int8 input is
 * tabulated once, which halves the work per element.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int32_t scale_input1(const tml_add_params *p, int32_t x) {
  return tml_rdbpot(tml_srdhm((x + p->input1_offset) * (1 << p->left_shift), p->input1_multiplier), -p->input1_shift);
}

static inline int32_t scale_input2(const tml_add_params *p, int32_t y) {
  return tml_rdbpot(tml_srdhm((y + p->input2_offset) * (1 << p->left_shift), p->input2_multiplier), -p->input2_shift);
}

static inline int32_t to_output(const tml_add_params *p, int32_t sum) {
  const int32_t raw = tml_rdbpot(tml_srdhm(sum, p->output_multiplier), -p->output_shift) + p->output_offset;
  return tml_clamp_i32(raw, p->act_min, p->act_max);
}

/* One row function per element type; the loops are identical. */
#define TML_ADD_ROW(name, type)                                                                          \
  static void name(const void *params, const void *a, int32_t step_a, const void *b, int32_t step_b,    \
                   void *out, int32_t n) {                                                               \
    const tml_add_params *p = (const tml_add_params *)params;                                            \
    const type *x = (const type *)a;                                                                     \
    const type *y = (const type *)b;                                                                     \
    type *o = (type *)out;                                                                               \
    type *const end = o + n;                                                                             \
    if (step_b == 0) {                                                                                   \
      const int32_t sy = scale_input2(p, *y);                                                            \
      for (; o < end; ++o, x += step_a) *o = (type)to_output(p, scale_input1(p, *x) + sy);               \
    } else if (step_a == 0) {                                                                            \
      const int32_t sx = scale_input1(p, *x);                                                            \
      for (; o < end; ++o, ++y) *o = (type)to_output(p, sx + scale_input2(p, *y));                       \
    } else {                                                                                             \
      for (; o < end; ++o, ++x, ++y) *o = (type)to_output(p, scale_input1(p, *x) + scale_input2(p, *y)); \
    }                                                                                                    \
  }

TML_ADD_ROW(add_row_s8, int8_t)
TML_ADD_ROW(add_row_s16, int16_t)

typedef struct {
  const tml_add_params *p;
  const int32_t *scaled1; /* [256] scale_input1 of each int8 value, indexed by its byte */
  const int32_t *scaled2; /* [256] */
} add_tables;

static void add_row_s8_tables(const void *tables, const void *a, int32_t step_a, const void *b, int32_t step_b,
                              void *out, int32_t n) {
  const add_tables *t = (const add_tables *)tables;
  const uint8_t *x = (const uint8_t *)a;
  const uint8_t *y = (const uint8_t *)b;
  int8_t *o = (int8_t *)out;
  int8_t *const end = o + n;
  for (; o < end; ++o, x += step_a, y += step_b) *o = (int8_t)to_output(t->p, t->scaled1[*x] + t->scaled2[*y]);
}

void tml_add_s8(const tml_add_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                int8_t *out, int32_t *scratch) {
  add_tables t;
  int32_t byte;
  if (scratch == NULL) {
    tml_broadcast_rows(shape, sizeof(int8_t), in1, in2, out, add_row_s8, p);
    return;
  }
  for (byte = 0; byte < 256; ++byte) {
    const int32_t value = byte < 128 ? byte : byte - 256;
    scratch[byte] = scale_input1(p, value);
    scratch[256 + byte] = scale_input2(p, value);
  }
  t.p = p;
  t.scaled1 = scratch;
  t.scaled2 = scratch + 256;
  tml_broadcast_rows(shape, sizeof(int8_t), in1, in2, out, add_row_s8_tables, &t);
}

void tml_add_s16(const tml_add_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out) {
  tml_broadcast_rows(shape, sizeof(int16_t), in1, in2, out, add_row_s16, p);
}
