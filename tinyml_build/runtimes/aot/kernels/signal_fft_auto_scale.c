/* signal_fft_auto_scale.c -- SignalFftAutoScale (int16), bit-exact with TFLM's signal/src/fft_auto_scale.cc
 * and max_abs.cc (the portable path; gcc's __builtin_clz branch of its MostSignificantBit32).
 *
 * TFLM keeps its running max |x| in an int16: -(-32768) stores as -32768, after which every later
 * sample compares greater and replaces it, so the shift follows the LAST sample then. Reproduced
 * here exactly; a max of 0 or -32768 gives shift 0 (gcc's MostSignificantBit32 of 0 is 32). The
 * scaled samples wrap to int16 as TFLM's int-to-int16 conversion does.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_signal_fft_auto_scale(const int16_t *input, int16_t *output, int32_t *shift_out, int32_t n) {
  int32_t max = 0, shift = 0, i;
  for (i = 0; i < n; ++i) {
    const int32_t v = input[i];
    if (v > max) {
      max = v;
    } else if (-v > max) {
      max = v == -32768 ? -32768 : -v;
    }
  }
  if (max > 0) shift = tml_clz32((uint32_t)max) - 17; /* 15 - bit length, >= 0 */
  for (i = 0; i < n; ++i) output[i] = (int16_t)(input[i] * (1 << shift));
  *shift_out = shift;
}
