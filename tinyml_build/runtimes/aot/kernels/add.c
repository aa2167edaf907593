/* add.c -- quantized ADD and SUB (int8, int16) with broadcasting, bit-exact with TFLM's reference.
 *
 * Both inputs are brought to a common scale (shifted left, then scaled by multipliers
 * smaller than one), added or subtracted, and rescaled to the output. int16 uses TFLM's
 * general-scale path (left shift 15): TFLM micro ignores pot_scale_int16. When one input is
 * broadcast along the row, its scaled value is computed once per row. For large int8 tensors
 * the lowering passes 2 KB of scratch: the scaled value of every possible int8 input is
 * tabulated once, which halves the work per element.
 *
 * One implementation for both ops: the loops below take the operation (+ or -) as a macro
 * argument, so each op gets its own straight-line code and nothing is decided per element.
 * SUB cannot be ADD with input 2's multiplier negated: TFLM rounds each input's scaling on its
 * own, and its doubling high multiply rounds ties toward +infinity, so scaling by -m is not
 * always minus scaling by m; at such a tie the difference can survive the output rounding
 * (e.g. int8 input scales 0.0524 and 0.00751, output 0.0133, zero points -87, -81, 30: x = -53,
 * y = 95 gives 64 in TFLM, 65 as ADD with -m; tests/test_aot_ops_elementwise.py has such cases).
 *
 * Every rescaling (rescale() below) is TFLM's MultiplyByQuantizedMultiplierSmallerThanOneExp
 * for operands in [-2^30, 2^30), one SMMULR on Armv7E-M: shifted operands are at most
 * 255 * 2^20 (int8) or 32768 * 2^15 = 2^30 (int16, zero point 0, only reached by -32768); their
 * multipliers are <= 1/2 (each scale over twice the larger one), so the combined value stays
 * within +-(2^30 - 2^14) except -2^30 for two int16 minima at equal scales.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* The parameters in locals: int8/int16 stores may alias the parameter block, so reading
 * p->field in a loop would reload it after every store. All multipliers are >= 0 and all
 * shifts <= 0 (they are right shifts here). */
typedef struct {
  int32_t offset1, offset2, left_shift, multiplier1, right1, multiplier2, right2;
  int32_t output_multiplier, output_right, output_offset, act_min, act_max;
} row_params;

static inline row_params load(const tml_add_params *p) {
  row_params r;
  r.offset1 = p->input1_offset;
  r.offset2 = p->input2_offset;
  r.left_shift = p->left_shift;
  r.multiplier1 = p->input1_multiplier;
  r.right1 = -p->input1_shift;
  r.multiplier2 = p->input2_multiplier;
  r.right2 = -p->input2_shift;
  r.output_multiplier = p->output_multiplier;
  r.output_right = -p->output_shift;
  r.output_offset = p->output_offset;
  r.act_min = p->act_min;
  r.act_max = p->act_max;
  return r;
}

/* x * multiplier / 2^(31 + right_shift), TFLM's rounding; -2^30 <= x < 2^30 (see above). */
static inline int32_t rescale(int32_t x, int32_t multiplier, int right_shift) {
  return tml_multiply_by_quantized_multiplier_smaller_than_one_31bit(x, multiplier, right_shift);
}

static inline int32_t scale_input1(const row_params *r, int32_t x) {
  return rescale((x + r->offset1) * (1 << r->left_shift), r->multiplier1, r->right1);
}

static inline int32_t scale_input2(const row_params *r, int32_t y) {
  return rescale((y + r->offset2) * (1 << r->left_shift), r->multiplier2, r->right2);
}

static inline int32_t to_output(const row_params *r, int32_t combined) {
  const int32_t raw = rescale(combined, r->output_multiplier, r->output_right) + r->output_offset;
  return tml_clamp_i32(raw, r->act_min, r->act_max);
}

/* One block function per op and element type; OP is + or -. */
#define TML_ADD_SUB_BLOCK(name, type, OP)                                                                     \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                                \
    const row_params r = load((const tml_add_params *)params);                                                \
    const type *a = (const type *)blk->a;                                                                     \
    const type *b = (const type *)blk->b;                                                                     \
    type *o = (type *)blk->out;                                                                               \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b;   \
    int32_t row, i;                                                                                           \
    if (blk->step_b == 0) { /* input 2 is constant along each row */                                          \
      const int32_t step_a = blk->step_a;                                                                     \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
        const int32_t sy = scale_input2(&r, *b);                                                              \
        const type *x = a;                                                                                    \
        for (i = 0; i < n; ++i, x += step_a) *o++ = (type)to_output(&r, scale_input1(&r, *x) OP sy);          \
      }                                                                                                       \
    } else if (blk->step_a == 0) {                                                                            \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
        const int32_t sx = scale_input1(&r, *a);                                                              \
        const type *y = b;                                                                                    \
        for (i = 0; i < n; ++i) *o++ = (type)to_output(&r, sx OP scale_input2(&r, *y++));                     \
      }                                                                                                       \
    } else {                                                                                                  \
      for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
        const type *x = a, *y = b;                                                                            \
        for (i = 0; i < n; ++i) *o++ = (type)to_output(&r, scale_input1(&r, *x++) OP scale_input2(&r, *y++)); \
      }                                                                                                       \
    }                                                                                                         \
  }

TML_ADD_SUB_BLOCK(add_block_s8, int8_t, +)
TML_ADD_SUB_BLOCK(sub_block_s8, int8_t, -)
TML_ADD_SUB_BLOCK(add_block_s16, int16_t, +)
TML_ADD_SUB_BLOCK(sub_block_s16, int16_t, -)

/* int16 with the same shapes: zero points are 0 (the lowering requires it), so the run needs no
 * offsets; fewer live values keep the three rescalings in registers. */
#define TML_ADD_SUB_RUN_S16(name, OP)                                                                          \
  TML_BLOCK_FN void name(const tml_add_params *p, const int16_t *x, const int16_t *y, int16_t *o, int32_t n) { \
    const int32_t left_shift = p->left_shift;                                                                  \
    const int32_t m1 = p->input1_multiplier, r1 = -p->input1_shift, m2 = p->input2_multiplier;                 \
    const int32_t r2 = -p->input2_shift, mo = p->output_multiplier, ro = -p->output_shift;                     \
    const int32_t act_min = p->act_min, act_max = p->act_max;                                                  \
    int16_t *const end = o + n;                                                                                \
    while (o < end) {                                                                                          \
      const int32_t a = rescale(*x++ * (1 << left_shift), m1, r1);                                             \
      const int32_t b = rescale(*y++ * (1 << left_shift), m2, r2);                                             \
      *o++ = (int16_t)tml_clamp_i32(rescale(a OP b, mo, ro), act_min, act_max);                                \
    }                                                                                                          \
  }

TML_ADD_SUB_RUN_S16(add_run_s16, +)
TML_ADD_SUB_RUN_S16(sub_run_s16, -)

typedef struct {
  const tml_add_params *p;
  const int32_t *scaled1; /* [256] scale_input1 of each int8 value, indexed by its byte */
  const int32_t *scaled2; /* [256] */
} scaled_tables;

/* int8 with tables: only the output stage runs per element, so only its parameters stay live. */
#define TML_ADD_SUB_BLOCK_TABLES(name, OP)                                                        \
  TML_BLOCK_FN void name(const void *tables, const tml_broadcast_block *blk) {                    \
    const scaled_tables *t = (const scaled_tables *)tables;                                       \
    const int32_t multiplier = t->p->output_multiplier, right = -t->p->output_shift;              \
    const int32_t offset = t->p->output_offset, act_min = t->p->act_min, act_max = t->p->act_max; \
    const int32_t *const scaled1 = t->scaled1;                                                    \
    const int32_t *const scaled2 = t->scaled2;                                                    \
    const int32_t step_a = blk->step_a, step_b = blk->step_b, n = blk->n, rows = blk->rows;       \
    const uint8_t *a = (const uint8_t *)blk->a;                                                   \
    const uint8_t *b = (const uint8_t *)blk->b;                                                   \
    int8_t *o = (int8_t *)blk->out;                                                               \
    int32_t row, i;                                                                               \
    if (rows == 1 && step_a == 1 && step_b == 1) { /* same shapes: one contiguous run */          \
      int8_t *const end = o + n;                                                                  \
      while (o < end) {                                                                           \
        const int32_t v = rescale(scaled1[*a++] OP scaled2[*b++], multiplier, right) + offset;    \
        *o++ = (int8_t)tml_clamp_i32(v, act_min, act_max);                                        \
      }                                                                                           \
      return;                                                                                     \
    }                                                                                             \
    for (row = 0; row < rows; ++row, a += blk->row_step_a, b += blk->row_step_b) {                \
      const uint8_t *x = a, *y = b;                                                               \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) {                                         \
        const int32_t v = rescale(scaled1[*x] OP scaled2[*y], multiplier, right) + offset;        \
        *o++ = (int8_t)tml_clamp_i32(v, act_min, act_max);                                        \
      }                                                                                           \
    }                                                                                             \
  }

TML_ADD_SUB_BLOCK_TABLES(add_block_s8_tables, +)
TML_ADD_SUB_BLOCK_TABLES(sub_block_s8_tables, -)

/* int8: with scratch (512 int32), tabulate both inputs' scaled values first; block and
 * block_tables are the op's two block functions. */
TML_WALKER_INLINE void run_s8(const tml_add_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                              int8_t *out, int32_t *scratch, tml_broadcast_block_fn block,
                              tml_broadcast_block_fn block_tables) {
  scaled_tables t;
  int32_t byte;
  if (scratch == NULL) {
    tml_broadcast_blocks(shape, sizeof(int8_t), in1, in2, out, block, p);
    return;
  }
  {
    const row_params r = load(p);
    for (byte = 0; byte < 256; ++byte) {
      const int32_t value = byte < 128 ? byte : byte - 256;
      scratch[byte] = scale_input1(&r, value);
      scratch[256 + byte] = scale_input2(&r, value);
    }
  }
  t.p = p;
  t.scaled1 = scratch;
  t.scaled2 = scratch + 256;
  tml_broadcast_blocks(shape, sizeof(int8_t), in1, in2, out, block_tables, &t);
}

/* int16: one contiguous run when the shapes are the same and every zero point is 0. */
static inline int one_run_s16(const tml_add_params *p, const tml_broadcast *shape) {
  return shape->loops == 1 && shape->step1[0] == 1 && shape->step2[0] == 1 && p->output_offset == 0 &&
         p->input1_offset == 0 && p->input2_offset == 0;
}

void tml_add_s8(const tml_add_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out,
                int32_t *scratch) {
  run_s8(p, shape, in1, in2, out, scratch, add_block_s8, add_block_s8_tables);
}

void tml_sub_s8(const tml_sub_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out,
                int32_t *scratch) {
  run_s8(p, shape, in1, in2, out, scratch, sub_block_s8, sub_block_s8_tables);
}

void tml_add_s16(const tml_add_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out) {
  if (one_run_s16(p, shape)) {
    add_run_s16(p, in1, in2, out, shape->count[0]);
    return;
  }
  tml_broadcast_blocks(shape, sizeof(int16_t), in1, in2, out, add_block_s16, p);
}

void tml_sub_s16(const tml_sub_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out) {
  if (one_run_s16(p, shape)) {
    sub_run_s16(p, in1, in2, out, shape->count[0]);
    return;
  }
  tml_broadcast_blocks(shape, sizeof(int16_t), in1, in2, out, sub_block_s16, p);
}
