/* signal_window.c -- SignalWindow (int16), bit-exact with TFLM's signal/src/window.cc.
 *
 * Each frame of `size` samples is multiplied by the window (Q(shift) weights) in 32 bits, shifted
 * right arithmetically and saturated to int16. The product of two int16 values always fits int32,
 * and the lowering keeps shift in 0..31, so nothing here is undefined.
 */
#include "tml_kernels.h"

#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#define TML_SAT16(v) ((int16_t)__ssat((v), 16)) /* one SSAT on Armv7-M */
#else
#define TML_SAT16(v) ((int16_t)((v) < -32768 ? -32768 : ((v) > 32767 ? 32767 : (v))))
#endif

void tml_signal_window_s16(const int16_t *input, const int16_t *window, int16_t *output, int32_t frames, int32_t size,
                           int32_t shift) {
  int32_t f, i;
  for (f = 0; f < frames; ++f) {
    for (i = 0; i < size; ++i) {
      const int32_t product = ((int32_t)input[i] * window[i]) >> shift;
      output[i] = TML_SAT16(product);
    }
    input += size;
    output += size;
  }
}
