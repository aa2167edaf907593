/* signal_pcan.c -- SignalPCAN (per-channel amplitude normalization), bit-exact with TFLM's
 * signal/src/pcan_argc_fixed.cc.
 *
 * The gain of a noise estimate x > 2 is a quadratic in the 10 bits below x's top bit, with three
 * coefficients per bit length from the model's gain table (entries 4 * bits - 6 onwards; the lowering
 * requires the 125 entries a 32-bit x can reach). snr = input * gain >> snr_shift in uint64, then
 * TFLM's shrink (quadratic below 2^13, linear above). Widths and wrapping follow TFLM's C: the gain is
 * an int16 sign-extended to uint32, the quadratic's sums stay within int32.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static int16_t tml_pcan_gain(uint32_t x, const int16_t *lut) {
  const uint32_t bits = 32u - (uint32_t)tml_clz32(x);
  int32_t frac, result;
  if (x <= 2u) return lut[x];
  lut += 4u * bits - 6u;
  frac = (int32_t)((bits < 11u ? x << (11u - bits) : x >> (bits - 11u)) & 0x3FFu);
  result = ((int32_t)lut[2] * frac) >> 5;
  result += (int32_t)lut[1] * 32;
  result *= frac;
  result = (result + (1 << 14)) >> 15;
  return (int16_t)(result + lut[0]);
}

void tml_signal_pcan(const uint32_t *input, const uint32_t *noise, const int16_t *gain_lut, uint32_t *output, int32_t n,
                     int32_t snr_shift) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const uint32_t gain = (uint32_t)(int32_t)tml_pcan_gain(noise[i], gain_lut);
    const uint32_t snr = (uint32_t)(((uint64_t)input[i] * gain) >> snr_shift);
    output[i] = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - 64u;
  }
}
