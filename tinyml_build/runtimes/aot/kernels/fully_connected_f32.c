/* fully_connected_f32.c -- float32 FULLY_CONNECTED (TFLM's reference FullyConnected for float).
 *
 * Bit-exact with TFLM: each output sums input[d] * w[d] in float from d = 0 upwards starting at
 * 0.0f (compiled -std=c99: no fused multiply-add), then adds the bias (0.0f without one) and
 * clamps to the activation range, as TFLM's ActivationFunctionWithMinMax does.
 *
 * Speed: four output rows per pass over the input (each input value loaded once for the four,
 * every row keeping its own sum in TFLM's order), and the parameters in locals: float stores may
 * alias the float fields of the parameter struct, so they would otherwise be reloaded after every
 * output (hello_world_float's 16 x 16 layer: 1,947 -> see the aot README's figures).
 */
#include "tml_kernels.h"

/* TFLM's ActivationFunctionWithMinMax(total + bias, act_min, act_max). */
static inline float fc_f32_output(float total, float bias, float act_min, float act_max) {
  const float v = total + bias;
  const float lo = v < act_min ? act_min : v;
  return lo > act_max ? act_max : lo;
}

void tml_fully_connected_f32(const tml_fc_f32_params *p, const float *input, float *output) {
  const int32_t depth = p->accum_depth, units = p->output_depth, batches = p->batches;
  const float *const weights = p->weights, *const bias = p->bias;
  const float act_min = p->act_min, act_max = p->act_max;
  int32_t b, o, d;
  for (b = 0; b < batches; ++b, input += depth, output += units) {
    const float *w = weights;
    for (o = 0; o + 4 <= units; o += 4, w += 4 * depth) {
      const float *w1 = w + depth, *w2 = w1 + depth, *w3 = w2 + depth;
      float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
      for (d = 0; d < depth; ++d) {
        const float x = input[d];
        t0 += x * w[d];
        t1 += x * w1[d];
        t2 += x * w2[d];
        t3 += x * w3[d];
      }
      output[o] = fc_f32_output(t0, bias != NULL ? bias[o] : 0.0f, act_min, act_max);
      output[o + 1] = fc_f32_output(t1, bias != NULL ? bias[o + 1] : 0.0f, act_min, act_max);
      output[o + 2] = fc_f32_output(t2, bias != NULL ? bias[o + 2] : 0.0f, act_min, act_max);
      output[o + 3] = fc_f32_output(t3, bias != NULL ? bias[o + 3] : 0.0f, act_min, act_max);
    }
    for (; o < units; ++o, w += depth) {
      float total = 0.0f;
      for (d = 0; d < depth; ++d) total += input[d] * w[d];
      output[o] = fc_f32_output(total, bias != NULL ? bias[o] : 0.0f, act_min, act_max);
    }
  }
}
