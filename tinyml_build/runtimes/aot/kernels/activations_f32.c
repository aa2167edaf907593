/* activations_f32.c -- float32 RELU, RELU6, LEAKY_RELU and HARD_SWISH, bit-exact with TFLM's micro
 * kernels (activations_common.cc ReluFloat / Relu6Float, reference_ops::LeakyRelu and HardSwish<float>).
 *
 * No libm: each is comparisons and at most two multiplications, written in TFLM's order and with
 * its comparisons, so NaN, -0.0 and infinities come out as they do there (ReluFloat keeps -0.0 and
 * NaN: `x < 0.0f` is false for both). Each element is read before it is written: in place is safe.
 */
#include "tml_kernels.h"

void tml_relu_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float x = in[i];
    out[i] = x < 0.0f ? 0.0f : x;
  }
}

void tml_relu6_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float x = in[i];
    out[i] = x > 6.0f ? 6.0f : (x < 0.0f ? 0.0f : x);
  }
}

/* TFLM: `val > 0 ? val : val * alpha` (alpha may be negative or above 1, so not a max). */
void tml_leaky_relu_f32(float alpha, const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float x = in[i];
    out[i] = x > 0.0f ? x : x * alpha;
  }
}

/* TFLM: `in * std::min(6.0f, std::max(0.0f, in + 3)) / 6`, i.e. (in * clamp) / 6 with std::max's
 * `(0 < s) ? s : 0` (a NaN sum gives 0, and the product makes NaN again) and std::min's `(m < 6) ? m : 6`. */
void tml_hard_swish_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float x = in[i];
    const float shifted = x + 3.0f;
    const float low = 0.0f < shifted ? shifted : 0.0f;
    const float clamped = low < 6.0f ? low : 6.0f;
    out[i] = x * clamped / 6.0f;
  }
}
