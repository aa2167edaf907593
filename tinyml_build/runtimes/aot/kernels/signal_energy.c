/* signal_energy.c -- SignalEnergy (int16 complex -> uint32), bit-exact with TFLM's signal/src/energy.cc.
 *
 * Each square of an int16 fits int32, and their sum is formed in uint32: for re = im = -32768 it is
 * 2^31, the bit pattern TFLM's int32 sum leaves in its uint32 output, without signed overflow here.
 * TFLM writes only bins start..end-1; aot writes 0 to the others so the output never holds stale
 * arena bytes (ops/signal_energy.py).
 */
#include "tml_kernels.h"

void tml_signal_energy(const int16_t *input, uint32_t *output, int32_t size, int32_t start, int32_t end) {
  int32_t i;
  for (i = 0; i < start; ++i) output[i] = 0u;
  for (i = start; i < end; ++i) {
    const int32_t re = input[2 * i];
    const int32_t im = input[2 * i + 1];
    output[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
  }
  for (i = end; i < size; ++i) output[i] = 0u;
}
