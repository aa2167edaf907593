/* signal_filter_bank_spectral_subtraction.c -- SignalFilterBankSpectralSubtraction (uint32), TFLM's
 * signal/micro/kernels/filter_bank_spectral_subtraction.cc and signal/src/ semantics.
 *
 * Noise reduction of filter bank energies: a per-channel low-pass estimate of the noise, kept in the
 * model's static state across invokes, is subtracted from each channel. Unsigned 32-bit values with
 * 64-bit products and TFLM's shifts and truncations, so every result is TFLM's.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_signal_spectral_subtraction_reset(const tml_signal_spectral_subtraction_params *p) {
  memset(p->noise, 0, (size_t)p->channels * sizeof(uint32_t));
}

void tml_signal_spectral_subtraction(const tml_signal_spectral_subtraction_params *p, const uint32_t *input,
                                     uint32_t *output, uint32_t *noise_estimate) {
  uint32_t *noise = p->noise;
  int32_t i;
  for (i = 0; i < p->channels; ++i) {
    const uint32_t smoothing = (i & 1) == 0 ? p->smoothing : p->alternate_smoothing;
    const uint32_t one_minus = (i & 1) == 0 ? p->one_minus_smoothing : p->alternate_one_minus_smoothing;
    const uint32_t signal = input[i] << p->smoothing_bits;
    uint32_t estimate, floor, subtracted;
    noise[i] =
        (uint32_t)(((uint64_t)signal * smoothing + (uint64_t)noise[i] * one_minus) >> p->spectral_subtraction_bits);
    estimate = noise[i];
    if (estimate > signal) { /* never subtract more than the signal */
      estimate = signal;
      if (p->clamping) noise[i] = estimate;
    }
    floor = (uint32_t)(((uint64_t)input[i] * p->min_signal_remaining) >> p->spectral_subtraction_bits);
    subtracted = (signal - estimate) >> p->smoothing_bits;
    output[i] = subtracted > floor ? subtracted : floor;
  }
  memcpy(noise_estimate, noise, (size_t)p->channels * sizeof(uint32_t));
}
