/* sigmoid16.c -- int16 LOGISTIC and TANH, bit-exact with TFLM's reference_integer_ops::Logistic/Tanh.
 *
 * Both rescale the input to 1/(3 * 4096) units (multiplier, rounding, shift from Prepare), then
 * interpolate linearly in TFLM's 256-entry sigmoid table (uint16, 0.16 format; read from the pinned
 * TFLM tree at generation time: ops/upstream_tables.py), using tanh(x) = 2 * sigmoid(2x) - 1 for
 * TANH (one index bit fewer); negative inputs mirror the table's result. They differ only in those
 * constants, so they share the rescale and the lookup.
 */
#include "tml_kernels.h"

/* TFLM: (x * multiplier + round) >> shift; |x * multiplier| <= 2^30 (multiplier <= 32767). */
static inline int32_t sigmoid16_scaled(const tml_sigmoid16_params *p, int16_t x) {
  return (x * p->multiplier + p->round) >> p->left_shift;
}

/* The table interpolated at |v| with `frac_bits` fraction bits, saturating past its last entry. */
static inline uint32_t sigmoid16_lookup(const uint16_t *table, uint32_t magnitude, uint32_t frac_bits,
                                        uint32_t saturated) {
  const uint32_t index = magnitude >> frac_bits;
  if (index >= 255u) return saturated;
  {
    const uint32_t a = table[index];
    const uint32_t b = table[index + 1u];
    const uint32_t t = magnitude & ((1u << frac_bits) - 1u);
    return (a << frac_bits) + t * (b - a);
  }
}

void tml_logistic_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t v = sigmoid16_scaled(p, in[i]);
    const uint32_t magnitude = (uint32_t)(v < 0 ? -v : v);
    uint32_t r = sigmoid16_lookup(p->table, magnitude, 9u, 0x7FFFu << 10);
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    out[i] = (int16_t)(r >> 10);
  }
}

void tml_tanh_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t v = sigmoid16_scaled(p, in[i]);
    const uint32_t magnitude = (uint32_t)(v < 0 ? -v : v);
    const int32_t r = (int32_t)sigmoid16_lookup(p->table, magnitude, 8u, 0xFFFFu << 8);
    const int32_t s = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    out[i] = (int16_t)(s >> 8);
  }
}
