/* fully_connected.c -- FULLY_CONNECTED, int8 (per-tensor or per-channel) and float32.
 *
 * Matches TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel and
 * reference_ops::FullyConnected. The input zero point is folded into the bias at build time,
 * so acc = bias'[o] + sum(x * w) equals TFLM's bias[o] + sum((x - zp) * w) exactly. Outputs are
 * computed in blocks: the accumulators of up to TML_REQUANT_BLOCK outputs (two weight rows per pass
 * over the input, to halve input loads), then one requantization pass (tml_requant.h).
 */
#include "tml_dot.h"
#include "tml_requant.h"

/* acc[i] = bias[i] + dot(input, w[i]) for the n rows of w (depth bytes each). */
static void tml_fc_accumulate(const int8_t *input, const int8_t *w, int32_t depth, const int32_t *bias, int32_t n,
                              int32_t *acc) {
  if (depth == 1) { /* e.g. a scalar input: one multiply-add per output */
    const int32_t x = input[0];
    for (; n > 0; --n) {
      *acc++ = *bias++ + x * *w++;
    }
    return;
  }
  for (; n >= 2; n -= 2, bias += 2, acc += 2) {
    int32_t acc0 = bias[0];
    int32_t acc1 = bias[1];
    w = tml_dot2_s8(input, w, w + depth, depth, &acc0, &acc1);
    acc[0] = acc0;
    acc[1] = acc1;
  }
  if (n > 0) {
    acc[0] = tml_dot_s8(input, w, depth, bias[0]);
  }
}

void tml_fully_connected_s8(const tml_fc_s8_params *p, const int8_t *input, int8_t *output) {
  const int32_t depth = p->accum_depth, units = p->output_depth;
  int32_t acc[TML_REQUANT_BLOCK];
  int32_t b, o;
  if (p->batches == 1 && units <= TML_REQUANT_BLOCK) { /* small layers: one block */
    tml_fc_accumulate(input, p->weights, depth, p->bias, units, acc);
    tml_requant_s8(&p->out, 0, acc, units, output);
    return;
  }
  for (b = 0; b < p->batches; ++b, input += depth, output += units) {
    for (o = 0; o < units; o += TML_REQUANT_BLOCK) {
      const int32_t n = units - o < TML_REQUANT_BLOCK ? units - o : TML_REQUANT_BLOCK;
      tml_fc_accumulate(input, p->weights + o * depth, depth, p->bias + o, n, acc);
      tml_requant_s8(&p->out, o, acc, n, output + o);
    }
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
