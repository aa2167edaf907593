/* prelu.c -- PRELU (int8, int16 with int8 alpha, float32) with alpha broadcast, bit-exact with
 * TFLM's micro kernel (kernels/prelu.cc, reference_ops::BroadcastPrelu4DSlow).
 *
 * Quantized: v = in + input_offset; v >= 0 is rescaled by output multiplier 1 (input_scale /
 * output_scale), v < 0 as v * (alpha + alpha_offset) by output multiplier 2 (input_scale *
 * alpha_scale / output_scale); then + output_offset, clamped to the output type. float32:
 * in >= 0 ? in : in * alpha (one exact IEEE product; -0.0 and NaN behave as in TFLM).
 * The input and alpha may differ in element size (int16 / int8), so the walk over the
 * collapsed broadcast loops is done here in elements rather than by tml_broadcast_blocks.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int32_t prelu_quantized(const tml_prelu_params *p, int32_t x, int32_t alpha, int32_t lo, int32_t hi) {
  const int32_t v = x + p->input_offset;
  int32_t r;
  if (v >= 0) {
    r = tml_multiply_by_quantized_multiplier(v, p->output_multiplier_1, p->output_shift_1);
  } else {
    r = tml_multiply_by_quantized_multiplier(v * (alpha + p->alpha_offset), p->output_multiplier_2, p->output_shift_2);
  }
  return tml_clamp_i32(r + p->output_offset, lo, hi);
}

#define TML_PRELU_S8(p, x, a) ((int8_t)prelu_quantized(p, x, a, INT8_MIN, INT8_MAX))
#define TML_PRELU_S16(p, x, a) ((int16_t)prelu_quantized(p, x, a, INT16_MIN, INT16_MAX))
#define TML_PRELU_F32(p, x, a) ((x) >= 0.0f ? (x) : (x) * (a))

/* Walks the collapsed loops (outermost first; steps in elements, 0 where broadcast). */
#define TML_PRELU_WALK(type, atype, op)                                                      \
  int32_t index[TML_BCAST_MAX_LOOPS] = {0};                                                  \
  const int32_t inner = shape->loops - 1;                                                    \
  const int32_t n = shape->count[inner], sx = shape->step1[inner], sa = shape->step2[inner]; \
  const type *x = in;                                                                        \
  const atype *a = alpha;                                                                    \
  for (;;) {                                                                                 \
    int32_t i, d;                                                                            \
    for (i = 0; i < n; ++i) *out++ = op(p, x[i * sx], a[i * sa]);                            \
    for (d = inner - 1; d >= 0; --d) {                                                       \
      if (++index[d] < shape->count[d]) {                                                    \
        x += shape->step1[d];                                                                \
        a += shape->step2[d];                                                                \
        break;                                                                               \
      }                                                                                      \
      index[d] = 0;                                                                          \
      x -= shape->step1[d] * (shape->count[d] - 1);                                          \
      a -= shape->step2[d] * (shape->count[d] - 1);                                          \
    }                                                                                        \
    if (d < 0) return;                                                                       \
  }

void tml_prelu_s8(const tml_prelu_params *p, const tml_broadcast *shape, const int8_t *in, const int8_t *alpha,
                  int8_t *out) {
  TML_PRELU_WALK(int8_t, int8_t, TML_PRELU_S8)
}

void tml_prelu_s16(const tml_prelu_params *p, const tml_broadcast *shape, const int16_t *in, const int8_t *alpha,
                   int16_t *out) {
  TML_PRELU_WALK(int16_t, int8_t, TML_PRELU_S16)
}

void tml_prelu_f32(const tml_broadcast *shape, const float *in, const float *alpha, float *out) {
  const void *p = NULL;
  (void)p;
  TML_PRELU_WALK(float, float, TML_PRELU_F32)
}
