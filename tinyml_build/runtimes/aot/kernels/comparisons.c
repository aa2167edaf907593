/* comparisons.c -- EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with broadcasting,
 * bit-exact with TFLM's reference (reference_ops::*NoScaling / *WithScaling and their
 * Broadcast4DSlow forms). The output is bool: one byte, 0 or 1.
 *
 * bool, int32, int64 and float32 compare the stored values with C's operators (float NaN
 * compares as in C++: only != is true). int8 compares rescaled values, as TFLM's Prepare sets
 * them up: (x - zero_point) << 8, times the input's scale as a multiplier below one, rounded
 * twice (MultiplyByQuantizedMultiplierSmallerThanOneExp). |x - zero_point| <= 255, so the
 * shifted value fits the 31-bit form of the multiply.
 *
 * The walk: the lowering collapsed the broadcast into at most TML_BCAST_MAX_LOOPS loops
 * (tml_broadcast); the innermost one runs as a row with element steps of 0 or 1 and the
 * comparison chosen once per row, the outer ones move the input pointers.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

enum { TML_CMP_EQ, TML_CMP_NE, TML_CMP_LT, TML_CMP_LE, TML_CMP_GT, TML_CMP_GE };

/* One row: n outputs of `a OP b`, a and b advancing by sa / sb elements. */
#define TML_CMP_LOOP(OP)                      \
  for (i = 0; i < n; ++i, a += sa, b += sb) { \
    o[i] = (uint8_t)(LOAD_A(a) OP LOAD_B(b)); \
  }                                           \
  break;

#define TML_CMP_ROW_SWITCH            \
  switch (cmp) {                      \
    case TML_CMP_EQ: TML_CMP_LOOP(==) \
    case TML_CMP_NE: TML_CMP_LOOP(!=) \
    case TML_CMP_LT: TML_CMP_LOOP(<)  \
    case TML_CMP_LE: TML_CMP_LOOP(<=) \
    case TML_CMP_GT: TML_CMP_LOOP(>)  \
    default: TML_CMP_LOOP(>=)         \
  }

/* Walks the outer loops of the broadcast, calling row() once per innermost row. */
#define TML_CMP_WALKER(name, type, row_args, row_call)                                                             \
  static void name(const tml_broadcast *shape, const type *in1, const type *in2, uint8_t *out, int cmp row_args) { \
    int32_t index[TML_BCAST_MAX_LOOPS] = {0};                                                                      \
    const int32_t last = shape->loops - 1;                                                                         \
    const int32_t n = shape->count[last], sa = shape->step1[last], sb = shape->step2[last];                        \
    int32_t d;                                                                                                     \
    for (;;) {                                                                                                     \
      row_call;                                                                                                    \
      out += n;                                                                                                    \
      for (d = last - 1; d >= 0; --d) {                                                                            \
        if (++index[d] < shape->count[d]) {                                                                        \
          in1 += shape->step1[d];                                                                                  \
          in2 += shape->step2[d];                                                                                  \
          break;                                                                                                   \
        }                                                                                                          \
        index[d] = 0;                                                                                              \
        in1 -= shape->step1[d] * (shape->count[d] - 1);                                                            \
        in2 -= shape->step2[d] * (shape->count[d] - 1);                                                            \
      }                                                                                                            \
      if (d < 0) {                                                                                                 \
        return;                                                                                                    \
      }                                                                                                            \
    }                                                                                                              \
  }

#define LOAD_A(ptr) (*(ptr))
#define LOAD_B(ptr) (*(ptr))
#define TML_RAW_ROW(name, type)                                                                            \
  static void name(const type *a, const type *b, int32_t n, int32_t sa, int32_t sb, uint8_t *o, int cmp) { \
    int32_t i;                                                                                             \
    TML_CMP_ROW_SWITCH                                                                                     \
  }
TML_RAW_ROW(row_b, uint8_t)
TML_RAW_ROW(row_s32, int32_t)
TML_RAW_ROW(row_s64, int64_t)
TML_RAW_ROW(row_f32, float)
#undef LOAD_A
#undef LOAD_B

#define NO_ARGS
TML_CMP_WALKER(walk_b, uint8_t, NO_ARGS, row_b(in1, in2, n, sa, sb, out, cmp))
TML_CMP_WALKER(walk_s32, int32_t, NO_ARGS, row_s32(in1, in2, n, sa, sb, out, cmp))
TML_CMP_WALKER(walk_s64, int64_t, NO_ARGS, row_s64(in1, in2, n, sa, sb, out, cmp))
TML_CMP_WALKER(walk_f32, float, NO_ARGS, row_f32(in1, in2, n, sa, sb, out, cmp))

/* int8: TFLM's rescaling of one input value. */
static inline int32_t scaled(int32_t x, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t rshift) {
  return tml_multiply_by_quantized_multiplier_smaller_than_one_31bit((x + offset) * (1 << left_shift), multiplier,
                                                                     (int)rshift);
}

#define LOAD_A(ptr) scaled(*(ptr), off1, ls, m1, r1)
#define LOAD_B(ptr) scaled(*(ptr), off2, ls, m2, r2)
static void row_s8(const tml_compare_s8_params *p, const int8_t *a, const int8_t *b, int32_t n, int32_t sa, int32_t sb,
                   uint8_t *o, int cmp) {
  const int32_t ls = p->left_shift;
  const int32_t off1 = p->input1_offset, m1 = p->input1_multiplier, r1 = p->input1_rshift;
  const int32_t off2 = p->input2_offset, m2 = p->input2_multiplier, r2 = p->input2_rshift;
  int32_t i;
  TML_CMP_ROW_SWITCH
}
#undef LOAD_A
#undef LOAD_B

#define S8_ARGS , const tml_compare_s8_params *p
TML_CMP_WALKER(walk_s8, int8_t, S8_ARGS, row_s8(p, in1, in2, n, sa, sb, out, cmp))

#define TML_COMPARE_DEFS(op, code)                                                                         \
  void tml_##op##_s8(const tml_compare_s8_params *p, const int8_t *in1, const int8_t *in2, uint8_t *out) { \
    walk_s8(&p->shape, in1, in2, out, code, p);                                                            \
  }                                                                                                        \
  void tml_##op##_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, uint8_t *out) {  \
    walk_s32(shape, in1, in2, out, code);                                                                  \
  }                                                                                                        \
  void tml_##op##_s64(const tml_broadcast *shape, const int64_t *in1, const int64_t *in2, uint8_t *out) {  \
    walk_s64(shape, in1, in2, out, code);                                                                  \
  }                                                                                                        \
  void tml_##op##_f32(const tml_broadcast *shape, const float *in1, const float *in2, uint8_t *out) {      \
    walk_f32(shape, in1, in2, out, code);                                                                  \
  }

TML_COMPARE_DEFS(equal, TML_CMP_EQ)
TML_COMPARE_DEFS(not_equal, TML_CMP_NE)
TML_COMPARE_DEFS(less, TML_CMP_LT)
TML_COMPARE_DEFS(less_equal, TML_CMP_LE)
TML_COMPARE_DEFS(greater, TML_CMP_GT)
TML_COMPARE_DEFS(greater_equal, TML_CMP_GE)

void tml_equal_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
  walk_b(shape, in1, in2, out, TML_CMP_EQ);
}

void tml_not_equal_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
  walk_b(shape, in1, in2, out, TML_CMP_NE);
}

/* LOGICAL_AND / LOGICAL_OR (TFLM's logical.cc: bool only, C++ && and ||) on the same walk:
 * bool bytes are 0 or 1, the result is 0 or 1. */
enum { TML_LOGIC_AND, TML_LOGIC_OR };

static void row_logical(const uint8_t *a, const uint8_t *b, int32_t n, int32_t sa, int32_t sb, uint8_t *o, int op) {
  int32_t i;
  if (op == TML_LOGIC_AND) {
    for (i = 0; i < n; ++i, a += sa, b += sb) o[i] = (uint8_t)(*a && *b);
  } else {
    for (i = 0; i < n; ++i, a += sa, b += sb) o[i] = (uint8_t)(*a || *b);
  }
}

TML_CMP_WALKER(walk_logical, uint8_t, NO_ARGS, row_logical(in1, in2, n, sa, sb, out, cmp))

void tml_logical_and_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
  walk_logical(shape, in1, in2, out, TML_LOGIC_AND);
}

void tml_logical_or_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
  walk_logical(shape, in1, in2, out, TML_LOGIC_OR);
}
