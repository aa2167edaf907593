/* signal_delay.c -- SignalDelay (int16), TFLM's signal/micro/kernels/delay.cc semantics.
 *
 * Every channel (innermost dimension) is shifted `delay` samples later in time: the output starts
 * with the last `delay` samples of the previous invoke (zeros after reset). TFLM pushes each frame
 * through a circular buffer of frame + delay samples; keeping only the `delay` waiting samples in a
 * line gives the same samples with at most frame + delay copies.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_signal_delay_reset(const tml_signal_delay_params *p) {
  if (p->line != NULL) memset(p->line, 0, (size_t)p->outer * (size_t)p->delay * sizeof(int16_t));
}

void tml_signal_delay(const tml_signal_delay_params *p, const int16_t *input, int16_t *output) {
  const int32_t n = p->frame, d = p->delay;
  int32_t o;
  for (o = 0; o < p->outer; ++o) {
    const int16_t *in = input + o * n;
    int16_t *out = output + o * n;
    int16_t *line = p->line + o * d;
    if (d == 0) {
      memcpy(out, in, (size_t)n * sizeof(int16_t));
    } else if (d >= n) { /* the whole output comes from the line, the input joins its end */
      memcpy(out, line, (size_t)n * sizeof(int16_t));
      memmove(line, line + n, (size_t)(d - n) * sizeof(int16_t));
      memcpy(line + d - n, in, (size_t)n * sizeof(int16_t));
    } else {
      memcpy(out, line, (size_t)d * sizeof(int16_t));
      memcpy(out + d, in, (size_t)(n - d) * sizeof(int16_t));
      memcpy(line, in + n - d, (size_t)d * sizeof(int16_t));
    }
  }
}
