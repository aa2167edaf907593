/* signal_window.c -- SignalWindow (int16), bit-exact with TFLM's signal/src/window.cc.
 *
 * Each frame of `size` samples is multiplied by the window (Q(shift) weights) in 32 bits, shifted
 * right arithmetically and saturated to int16. The product of two int16 values always fits int32,
 * and the lowering keeps shift in 0..31, so nothing here is undefined.
 */
#include "tml_kernels.h"

void tml_signal_window_s16(const int16_t *input, const int16_t *window, int16_t *output, int32_t frames, int32_t size,
                           int32_t shift) {
  int32_t f, i;
  for (f = 0; f < frames; ++f) {
    for (i = 0; i < size; ++i) {
      const int32_t product = ((int32_t)input[i] * window[i]) >> shift;
      output[i] = (int16_t)(product < -32768 ? -32768 : (product > 32767 ? 32767 : product));
    }
    input += size;
    output += size;
  }
}
