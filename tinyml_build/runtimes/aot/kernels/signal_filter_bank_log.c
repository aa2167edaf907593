/* signal_filter_bank_log.c -- SignalFilterBankLog (uint32 -> int16), bit-exact with TFLM's
 * signal/src/filter_bank_log.cc and log.cc.
 *
 * log2(x) in Q16 is the position of x's top bit plus its mantissa, corrected by linear
 * interpolation in a 128-segment table of log2(1 + f) - f (emitted with the model by
 * ops/signal_filter_bank_log.py); then times ln 2 (45426 / 2^16) and output_scale / 2^16, each
 * rounded, in TFLM's widths: uint64 for the first product, wrapping uint32 for the second.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static uint32_t tml_log_q16(uint32_t x, uint32_t out_scale, const uint16_t *lut) {
  const uint32_t top = 31u - (uint32_t)tml_clz32(x); /* x > 1 */
  int32_t frac = (int32_t)(x - ((uint32_t)1 << top));
  int32_t segment, c0, c1;
  uint32_t log2_q16, loge;
  if (top < 16u) {
    frac <<= 16u - top;
  } else {
    frac >>= top - 16u;
  }
  segment = frac >> 9;
  c0 = lut[segment];
  c1 = lut[segment + 1];
  log2_q16 = (top << 16) + (uint32_t)(frac + c0 + (((c1 - c0) * (frac - 512 * segment)) >> 16));
  loge = (uint32_t)(((uint64_t)45426u * log2_q16 + 32768u) >> 16);
  return (out_scale * loge + 32768u) >> 16;
}

void tml_signal_filter_bank_log(const uint32_t *input, int16_t *output, int32_t n, uint32_t output_scale,
                                int32_t correction_bits, const uint16_t *lut) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const uint32_t scaled = input[i] << correction_bits;
    if (scaled > 1u) {
      const uint32_t value = tml_log_q16(scaled, output_scale, lut);
      output[i] = (int16_t)(value < 32767u ? value : 32767u);
    } else {
      output[i] = 0;
    }
  }
}
