/* float_math.c -- float32 elementwise math, bit-exact with TFLM's float kernels where the libms agree.
 *
 * TFLM's SIN, COS, LOG, SQRT, RSQRT and SQUARE (micro/kernels/elementwise.cc), EXP, CEIL, FLOOR,
 * ROUND and ELU (reference_ops::Exp/Ceil/Floor/Round/Elu) map each element through one function and
 * differ in nothing else, so one loop serves them all. std::sin(float) and friends are the float
 * libm functions: sqrtf, ceilf and floorf are exact in IEEE arithmetic (the same bits everywhere);
 * sinf, cosf, expf, expm1f and logf are only as equal as the two libms are (glibc on the build
 * host, the target's newlib): the aot README says where they agree. float32 LOGISTIC and TANH
 * (reference_ops::Logistic / Tanh) are such maps too.
 */
#include <math.h>

#include "tml_kernels.h"

/* TFLM's RSQRT: 1.f / std::sqrt(f), two correctly rounded float operations. */
static inline float reciprocal_sqrt(float x) {
  return 1.0f / sqrtf(x);
}

static inline float square(float x) {
  return x * x;
}

/* TFLM's reference_ops::Elu: expm1 below zero, the value itself otherwise (NaN included). */
static inline float elu(float x) {
  return x < 0.0f ? expm1f(x) : x;
}

/* TFLM's RoundToNearest: floor, then up when the rest is above one half, or exactly one half and the
 * floor odd (banker's rounding). A rest of exactly 0.5 implies |floor| < 2^23, so the int cast is
 * defined; NaN and infinities take the `+ 1.0f` branch and stay what they are, as in TFLM. */
static inline float round_to_nearest(float x) {
  const float floor_value = floorf(x);
  const float rest = x - floor_value;
  if (rest < 0.5f || (rest == 0.5f && (int32_t)floor_value % 2 == 0)) return floor_value;
  return floor_value + 1.0f;
}

/* TFLM's reference_ops::Logistic<float>: 1.0f above the upper cutoff, expf(x) below -9, else
 * 1 / (1 + expf(-x)), each in float (the cutoff is TFLM's literal, exactly representable). */
static inline float logistic(float x) {
  if (x > 16.619047164916992188f) return 1.0f;
  if (x < -9.0f) return expf(x);
  return 1.0f / (1.0f + expf(-x));
}

#define TML_DEFINE_FLOAT_MAP(name, function)          \
  void name(const float *in, float *out, int32_t n) { \
    int32_t i;                                        \
    for (i = 0; i < n; ++i) out[i] = function(in[i]); \
  }

TML_DEFINE_FLOAT_MAP(tml_sin_f32, sinf)
TML_DEFINE_FLOAT_MAP(tml_cos_f32, cosf)
TML_DEFINE_FLOAT_MAP(tml_exp_f32, expf)
TML_DEFINE_FLOAT_MAP(tml_log_f32, logf)
TML_DEFINE_FLOAT_MAP(tml_sqrt_f32, sqrtf)
TML_DEFINE_FLOAT_MAP(tml_rsqrt_f32, reciprocal_sqrt)
TML_DEFINE_FLOAT_MAP(tml_square_f32, square)
TML_DEFINE_FLOAT_MAP(tml_ceil_f32, ceilf)
TML_DEFINE_FLOAT_MAP(tml_floor_f32, floorf)
TML_DEFINE_FLOAT_MAP(tml_round_to_nearest_f32, round_to_nearest)
TML_DEFINE_FLOAT_MAP(tml_elu_f32, elu)
TML_DEFINE_FLOAT_MAP(tml_logistic_f32, logistic)
TML_DEFINE_FLOAT_MAP(tml_tanh_f32, tanhf)
