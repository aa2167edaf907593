/* div.c -- DIV (float32, int32, int8) with broadcasting, bit-exact with TFLM's micro kernel (div.cc:
 * reference_ops::Div / BroadcastDivSlow, DivElementwise for int8).
 *
 * out = ActivationFunctionWithMinMax(in1 / in2, act_min, act_max): std::min(std::max(q, min), max),
 * whose comparisons keep NaN and -0.0 as they are. float32 division is one IEEE operation (no libm).
 * int32: C division truncates as TFLM's does; TFLM leaves a zero divisor and INT32_MIN / -1
 * undefined, and aot defines them (0 and INT32_MIN, before the clamp) rather than trap.
 */
#include "tml_broadcast.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline float div_f32(const tml_div_f32_params *p, float x, float y) {
  const float q = x / y;
  const float low = q < p->act_min ? p->act_min : q;
  return p->act_max < low ? p->act_max : low;
}

static inline int32_t div_s32(const tml_div_s32_params *p, int32_t x, int32_t y) {
  const int32_t q = y == 0 ? 0 : (y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y);
  const int32_t low = q < p->act_min ? p->act_min : q;
  return p->act_max < low ? p->act_max : low;
}

/* gemmlowp RoundingDivideByPOT, extended past 31: there TFLM's assert fires (or, without asserts,
 * the shift is undefined); |x| < 2^31 divided by 2^32 or more rounds to 0 (-2^31 / 2^32: -1). */
static inline int32_t div_rounding_shift(int32_t x, int exponent) {
  if (exponent <= 31) return tml_rounding_divide_by_power_of_two(x, exponent);
  return (exponent == 32 && x == INT32_MIN) ? -1 : 0;
}

/* The Q0.31 reciprocal of the last positive divisor (GetReciprocal), kept while it repeats: a divisor
 * broadcast along the inner loop (x / constant) costs the Newton-Raphson steps once per row. */
typedef struct {
  int32_t divisor; /* 0: none yet */
  int32_t reciprocal;
  int zeros; /* leading zeros of the divisor */
} div_reciprocal;

/* TFLM's DivElementwise: the divisor made positive (both signs flipped), its Q0.31 reciprocal
 * (GetReciprocal), the dividend scaled up by its headroom (CountLeadingSignBits: 31 for 0), their
 * product rescaled by the output multiplier with every shift folded into one rounding shift. */
static inline int32_t div_s8(const tml_div_s8_params *p, div_reciprocal *last, int32_t x, int32_t y) {
  int32_t a = x + p->input1_offset;
  int32_t b = y + p->input2_offset;
  int32_t result;
  if (b < 0) {
    a = -a;
    b = -b;
  }
  if (b == 0) { /* undefined in TFLM (a DCHECK): the quotient's sign saturates */
    result = a > 0 ? p->act_max : (a < 0 ? p->act_min : p->output_offset);
  } else {
    int headroom, exponent;
    int32_t quotient;
    if (b != last->divisor) {
      last->divisor = b;
      last->zeros = tml_clz32((uint32_t)b);
      last->reciprocal = tml_one_over_one_plus_x((int32_t)(((uint32_t)b << last->zeros) - 0x80000000u));
    }
    headroom = (a < 0 ? tml_clz32(~(uint32_t)a) : tml_clz32((uint32_t)a)) - 1;
    quotient = tml_saturating_rounding_doubling_high_mul(tml_wrapping_shift_left(a, headroom), last->reciprocal);
    exponent = (31 - last->zeros) + headroom - p->output_shift; /* >= 0: output_shift <= 22 */
    result = p->output_offset +
             div_rounding_shift(tml_saturating_rounding_doubling_high_mul(quotient, p->output_multiplier), exponent);
  }
  return tml_clamp_i32(result, p->act_min, p->act_max);
}

TML_BLOCK_FN void div_block_s8(const void *params, const tml_broadcast_block *blk) {
  const tml_div_s8_params *p = (const tml_div_s8_params *)params;
  const int8_t *a = (const int8_t *)blk->a;
  const int8_t *b = (const int8_t *)blk->b;
  int8_t *o = (int8_t *)blk->out;
  div_reciprocal last = {0, 0, 0};
  int32_t row, i;
  for (row = 0; row < blk->rows; ++row, a += blk->row_step_a, b += blk->row_step_b) {
    const int8_t *x = a, *y = b;
    for (i = 0; i < blk->n; ++i, x += blk->step_a, y += blk->step_b) *o++ = (int8_t)div_s8(p, &last, *x, *y);
  }
}

#define TML_DIV_BLOCK(name, type, params_type, fn)                                                          \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {                              \
    const params_type *p = (const params_type *)params;                                                     \
    const type *a = (const type *)blk->a;                                                                   \
    const type *b = (const type *)blk->b;                                                                   \
    type *o = (type *)blk->out;                                                                             \
    const int32_t n = blk->n, rows = blk->rows, row_step_a = blk->row_step_a, row_step_b = blk->row_step_b; \
    const int32_t step_a = blk->step_a, step_b = blk->step_b;                                               \
    int32_t row, i;                                                                                         \
    for (row = 0; row < rows; ++row, a += row_step_a, b += row_step_b) {                                    \
      const type *x = a, *y = b;                                                                            \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) *o++ = (type)fn(p, *x, *y);                         \
    }                                                                                                       \
  }

TML_DIV_BLOCK(div_block_f32, float, tml_div_f32_params, div_f32)
TML_DIV_BLOCK(div_block_s32, int32_t, tml_div_s32_params, div_s32)

void tml_div_f32(const tml_div_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, div_block_f32, p);
}

void tml_div_s32(const tml_div_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out) {
  tml_broadcast_blocks(shape, sizeof(int32_t), in1, in2, out, div_block_s32, p);
}

void tml_div_s8(const tml_div_s8_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                int8_t *out) {
  tml_broadcast_blocks(shape, sizeof(int8_t), in1, in2, out, div_block_s8, p);
}
