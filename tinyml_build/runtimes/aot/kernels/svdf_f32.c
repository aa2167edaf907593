/* svdf_f32.c -- float32 SVDF, TFLM's EvalFloatSvdfReference: the state shifted left by one
 * element, each filter's feature projection written to its row's last column, then per unit the
 * time-weighted rows summed `rank` at a time, sequentially from 0 as TFLM sums (the same rounding),
 * the bias first, then the fused activation as TFLM's ActivationValFloat, which is not a clamp
 * (NaN and infinities differ). Apart from svdf.c because it needs libm (tanhf).
 */
#include <math.h>
#include <string.h>

#include "tml_kernels.h"

/* TFLM's ActivationValFloat (micro/kernels/activation_utils.h) as its host and Arm builds compile
 * it: TfLiteMax/TfLiteMin are std::fmax/std::fmin (a NaN operand gives the other one: RELU6 of NaN
 * is 6), NONE passes infinities, TANH is tanhf, SIGN_BIT is signbit as 0 or 1. */
static float tml_svdf_activation_f32(int32_t activation, float a) {
  switch (activation) {
    case TML_SVDF_ACT_RELU: return fmaxf(0.0f, a);
    case TML_SVDF_ACT_RELU_N1_TO_1: return fmaxf(-1.0f, fminf(a, 1.0f));
    case TML_SVDF_ACT_RELU6: return fmaxf(0.0f, fminf(a, 6.0f));
    case TML_SVDF_ACT_TANH: return tanhf(a);
    case TML_SVDF_ACT_SIGN_BIT: return signbit(a) ? 1.0f : 0.0f;
    default: return a;
  }
}

void tml_svdf_f32(const tml_svdf_f32_params *p, const float *input, float *state, float *output) {
  const int32_t filters = p->filters;
  const int32_t memory = p->memory;
  const int32_t units = filters / p->rank;
  const int32_t total = p->batches * filters * memory;
  int32_t b, f, u, r, j;
  memmove(state, state + 1, (size_t)(total - 1) * sizeof(float)); /* TFLM's flat shift by one element */
  for (b = 0; b < p->batches; ++b) {
    float *const state_b = state + b * filters * memory;
    const float *w = p->weights_feature;
    for (f = 0; f < filters; ++f) {
      /* TFLM's summation orders throughout (sequential from 0), so the same rounding. */
      float dot = 0.0f;
      for (j = 0; j < p->input_size; ++j) {
        dot += *w++ * input[j];
      }
      state_b[f * memory + memory - 1] = dot;
    }
    for (u = 0; u < units; ++u) {
      float v = p->bias != NULL ? p->bias[u] : 0.0f;
      for (r = 0; r < p->rank; ++r) {
        const int32_t row = u * p->rank + r;
        const float *t = p->weights_time + row * memory;
        const float *s = state_b + row * memory;
        float sum = 0.0f;
        for (j = 0; j < memory; ++j) {
          sum += t[j] * s[j];
        }
        v += sum;
      }
      output[u] = tml_svdf_activation_f32(p->activation, v);
    }
    input += p->input_size;
    output += units;
  }
}
