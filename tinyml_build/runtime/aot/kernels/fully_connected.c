/* fully_connected.c -- FULLY_CONNECTED, int8 (per-tensor or per-channel) and float32.
 *
 * Matches TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel and
 * reference_ops::FullyConnected. The input zero point is folded into the bias at build time,
 * so acc = bias'[o] + sum(x * w) equals TFLM's bias[o] + sum((x - zp) * w) exactly. Two output
 * rows are computed per pass over the input to halve input loads.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static inline int8_t tml_fc_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset, int32_t lo,
                                       int32_t hi) {
  const int32_t v = tml_mbqm(acc, multiplier, shift) + offset;
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

void tml_fully_connected_s8(const tml_fc_s8_params *p, const int8_t *input, int8_t *output) {
  /* Locals, not p->...: int8 output stores may alias anything and would force reloads. */
  const int32_t depth = p->accum_depth, units = p->output_depth, batches = p->batches;
  const int32_t *bias = p->bias, *mult = p->multiplier, *shift = p->shift;
  const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
  int32_t b;
  for (b = 0; b < batches; ++b) {
    const int8_t *w = p->weights;
    int32_t o = 0;
    for (; o + 2 <= units; o += 2, w += 2 * depth) {
      int32_t acc0 = bias[o];
      int32_t acc1 = bias[o + 1];
      tml_dot2_s8(input, w, w + depth, depth, &acc0, &acc1);
      output[o] = tml_fc_requantize(acc0, mult[o], shift[o], offset, lo, hi);
      output[o + 1] = tml_fc_requantize(acc1, mult[o + 1], shift[o + 1], offset, lo, hi);
    }
    if (o < units) {
      output[o] = tml_fc_requantize(tml_dot_s8(input, w, depth, bias[o]), mult[o], shift[o], offset, lo, hi);
    }
    input += depth;
    output += units;
  }
}

void tml_fully_connected_f32(const tml_fc_f32_params *p, const float *input, float *output) {
  const int32_t depth = p->accum_depth;
  int32_t b, o, d;
  for (b = 0; b < p->batches; ++b) {
    const float *w = p->weights;
    for (o = 0; o < p->output_depth; ++o, w += depth) {
      /* Same summation order as TFLM (sequential from 0, bias added last), so same rounding. */
      float total = 0.0f;
      float v;
      for (d = 0; d < depth; ++d) {
        total += input[d] * w[d];
      }
      v = total + (p->bias != NULL ? p->bias[o] : 0.0f);
      v = v < p->act_min ? p->act_min : v;
      output[o] = v > p->act_max ? p->act_max : v;
    }
    input += depth;
    output += p->output_depth;
  }
}
