/* sigmoid16.c -- int16 LOGISTIC and TANH, bit-exact with TFLM's reference_integer_ops::Logistic/Tanh.
 *
 * Both rescale the input to 1/(3 * 4096) units (multiplier, rounding, shift from Prepare), then
 * interpolate linearly in TFLM's 256-entry sigmoid table (uint16, 0.16 format; read from the pinned
 * TFLM tree at generation time: ops/upstream_tables.py), using tanh(x) = 2 * sigmoid(2x) - 1 for
 * TANH (one index bit fewer); negative inputs mirror the table's result. The interpolation is
 * include/tml_sigmoid16.h, shared with the integer LSTM's gates.
 */
#include "tml_kernels.h"
#include "tml_sigmoid16.h"

/* TFLM: (x * multiplier + round) >> shift; |x * multiplier| <= 2^30 (multiplier <= 32767). */
static inline int32_t sigmoid16_scaled(const tml_sigmoid16_params *p, int16_t x) {
  return (x * p->multiplier + p->round) >> p->left_shift;
}

void tml_logistic_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    out[i] = tml_sigmoid16(p->table, sigmoid16_scaled(p, in[i]));
  }
}

void tml_tanh_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    out[i] = tml_tanh16(p->table, sigmoid16_scaled(p, in[i]));
  }
}
