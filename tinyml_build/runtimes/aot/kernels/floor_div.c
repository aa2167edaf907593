/* floor_div.c -- FLOOR_DIV and FLOOR_MOD (float32) with broadcasting, the results of TFLM's
 * reference FloorDiv / FloorMod, without libm.
 *
 * FLOOR_DIV is float(floor(double(a) / double(b))): the double quotient, floored in double
 * (values beyond 2^52 are already integers), rounded to float once. TFLM's Eval fails when any
 * denominator is 0 (or -0): so does this, before writing anything.
 * FLOOR_MOD is fmod(a, b), then + b when it is non-zero and its sign differs from b's. fmod is
 * exact, and so is the binary long division below, in float: |b| doubled up to |a| and halved
 * back (exact: powers of two, never below |b|), each subtraction between numbers within a factor
 * of two of each other (exact by Sterbenz's lemma, subnormals included); the remainder takes
 * a's sign. Where fmod has no value (b = 0, a infinite, a NaN) the result is (a * b) / (a * b),
 * the NaN the FPU makes for it, as a C library does.
 */
#include "tml_broadcast.h"
#include "tml_kernels.h"

#define TML_TWO_POW_52 4503599627370496.0

static double floor_f64(double q) {
  double t;
  if (!(q > -TML_TWO_POW_52 && q < TML_TWO_POW_52) || q == 0.0) {
    return q; /* NaN, infinities, integers already, and signed zeros */
  }
  t = (double)(int64_t)q; /* toward zero */
  return t > q ? t - 1.0 : t;
}

static float fmod_f32(float a, float b) {
  float r, d, t;
  if (b == 0.0f || a - a != 0.0f || b != b) {
    return (a * b) / (a * b);
  }
  r = a < 0.0f ? -a : a;
  d = b < 0.0f ? -b : b;
  if (r < d) {
    return a;
  }
  for (t = d; t * 2.0f <= r;) t *= 2.0f; /* stops before FLT_MAX: an overflowing t * 2 is inf */
  for (; t >= d; t *= 0.5f) {
    if (r >= t) {
      r -= t;
    }
  }
  return a < 0.0f ? -r : r;
}

static float floor_div_f32(float a, float b) {
  return (float)floor_f64((double)a / (double)b);
}

static float floor_mod_f32(float a, float b) {
  const float rem = fmod_f32(a, b);
  return (rem != 0.0f && ((b < 0.0f) != (rem < 0.0f))) ? rem + b : rem;
}

#define TML_FLOOR_BLOCK(name, op)                                                       \
  TML_BLOCK_FN void name(const void *params, const tml_broadcast_block *blk) {          \
    const float *a = (const float *)blk->a;                                             \
    const float *b = (const float *)blk->b;                                             \
    float *o = (float *)blk->out;                                                       \
    const int32_t n = blk->n, step_a = blk->step_a, step_b = blk->step_b;               \
    int32_t row, i;                                                                     \
    (void)params;                                                                       \
    for (row = 0; row < blk->rows; ++row, a += blk->row_step_a, b += blk->row_step_b) { \
      const float *x = a, *y = b;                                                       \
      for (i = 0; i < n; ++i, x += step_a, y += step_b) *o++ = op(*x, *y);              \
    }                                                                                   \
  }

TML_FLOOR_BLOCK(floor_div_block, floor_div_f32)
TML_FLOOR_BLOCK(floor_mod_block, floor_mod_f32)

int32_t tml_floor_div_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out,
                          int32_t denominators) {
  int32_t i;
  for (i = 0; i < denominators; ++i) {
    if (in2[i] == 0.0f) {
      return 1;
    }
  }
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, floor_div_block, NULL);
  return 0;
}

void tml_floor_mod_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out) {
  tml_broadcast_blocks(shape, sizeof(float), in1, in2, out, floor_mod_block, NULL);
}
