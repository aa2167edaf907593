/* tml_sigmoid16.h -- TFLM's int16 sigmoid and tanh (reference_integer_ops::Logistic / Tanh after
 * the input rescale): linear interpolation in TFLM's 256-entry uint16 sigmoid table.
 *
 * Why a shared header: int16 LOGISTIC / TANH (sigmoid16.c) and the integer LSTM's gates
 * (unidirectional_sequence_lstm.c) run the same interpolation; one copy keeps them bit-identical.
 * `v` is the rescaled input in 1/(3 * 4096) units (Logistic) or 1/(3 * 8192) units (Tanh: TFLM
 * reads the table at 2v with one fraction bit fewer, tanh(x) = 2 sigmoid(2x) - 1); negative inputs
 * mirror the table's value. The table comes from the pinned TFLM tree (upstream_tables.py).
 */
#ifndef TML_SIGMOID16_H
#define TML_SIGMOID16_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The table interpolated at `magnitude` with `frac_bits` fraction bits, `saturated` past its end. */
static inline uint32_t tml_sigmoid16_lookup(const uint16_t *table, uint32_t magnitude, uint32_t frac_bits,
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

/* Logistic of a rescaled input, Q0.15 out. */
static inline int16_t tml_sigmoid16(const uint16_t *table, int32_t v) {
  const uint32_t magnitude = (uint32_t)(v < 0 ? -v : v);
  uint32_t r = tml_sigmoid16_lookup(table, magnitude, 9u, 0x7FFFu << 10);
  r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return (int16_t)(r >> 10);
}

/* Tanh of a rescaled input, Q0.15 out. */
static inline int16_t tml_tanh16(const uint16_t *table, int32_t v) {
  const uint32_t magnitude = (uint32_t)(v < 0 ? -v : v);
  const int32_t r = (int32_t)tml_sigmoid16_lookup(table, magnitude, 8u, 0xFFFFu << 8);
  const int32_t s = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return (int16_t)(s >> 8);
}

#ifdef __cplusplus
}
#endif

#endif /* TML_SIGMOID16_H */
