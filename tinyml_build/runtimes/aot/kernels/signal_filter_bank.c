/* signal_filter_bank.c -- SignalFilterBank (uint32 spectrum -> uint64 channels), bit-exact with TFLM's
 * signal/src/filter_bank.cc.
 *
 * TFLM multiplies each int16 weight, converted to uint64 (so -1 becomes 2^64 - 1), by the uint64
 * input and sums modulo 2^64. Splitting on the weight's sign gives the same sums modulo 2^64 with
 * one 32x32->64 multiply-accumulate each (UMLAL on Cortex-M) instead of a 64x64 multiply.
 * Channel c's weighted sum plus channel c-1's unweighted sum is output c-1 (channel 0 only
 * contributes its unweighted sum). When no weight is negative (the front end's are 0..4096) the
 * lowering picks tml_signal_filter_bank_unsigned: no sign test, one UMLAL per product.
 */
#include "tml_kernels.h"

static uint64_t tml_weighted(uint64_t acc, int32_t w, uint32_t x) {
  return w >= 0 ? acc + (uint64_t)x * (uint32_t)w : acc - (uint64_t)x * (uint32_t)(-w);
}

void tml_signal_filter_bank(const tml_signal_filter_bank_params *p, const uint32_t *input, uint64_t *output) {
  uint64_t carried = 0u; /* the previous channel's unweighted sum */
  int32_t c, j;
  for (c = 0; c <= p->num_channels; ++c) {
    const uint32_t *x = input + p->freq_starts[c];
    const int16_t *w = p->weights + p->weight_starts[c];
    const int16_t *u = p->unweights + p->weight_starts[c];
    const int32_t width = p->widths[c];
    uint64_t weighted = carried, unweighted = 0u;
    for (j = 0; j < width; ++j) {
      weighted = tml_weighted(weighted, w[j], x[j]);
      unweighted = tml_weighted(unweighted, u[j], x[j]);
    }
    if (c >= 1 && c <= p->out_count) output[c - 1] = weighted;
    carried = unweighted;
  }
}

void tml_signal_filter_bank_unsigned(const tml_signal_filter_bank_params *p, const uint32_t *input, uint64_t *output) {
  uint64_t carried = 0u;
  int32_t c, j;
  for (c = 0; c <= p->num_channels; ++c) {
    const uint32_t *x = input + p->freq_starts[c];
    const uint16_t *w = (const uint16_t *)(const void *)(p->weights + p->weight_starts[c]);
    const uint16_t *u = (const uint16_t *)(const void *)(p->unweights + p->weight_starts[c]);
    const int32_t width = p->widths[c];
    uint64_t weighted = carried, unweighted = 0u;
    for (j = 0; j < width; ++j) {
      weighted += (uint64_t)x[j] * w[j];
      unweighted += (uint64_t)x[j] * u[j];
    }
    if (c >= 1 && c <= p->out_count) output[c - 1] = weighted;
    carried = unweighted;
  }
}
