/* circular_buffer.c -- CIRCULAR_BUFFER (int8), TFLM's kernels/circular_buffer.cc semantics.
 *
 * Every invoke appends the input frame (`depth` bytes) to a window of the last `slots` frames and
 * counts down from cycles_max; the op "runs" (outputs the window, oldest frame first) when the
 * count reaches zero and otherwise makes invoke() stop with TML_NOT_READY (TFLM's kTfLiteAbort).
 * TFLM keeps the window in the output tensor itself and shifts it by memmove every invoke; aot keeps
 * it in static state as a ring (one frame copied per invoke) and writes the output only when the op
 * runs: the same bytes whenever the application may read them.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_circular_buffer_s8_reset(const tml_circular_buffer_s8_params *p) {
  memset(p->ring, 0, (size_t)p->slots * (size_t)p->depth);
  p->cursor[0] = 0;             /* the slot the next frame goes to: the oldest one */
  p->cursor[1] = p->cycles_max; /* invokes left until the op runs */
}

int32_t tml_circular_buffer_s8(const tml_circular_buffer_s8_params *p, const int8_t *input, int8_t *output) {
  const size_t depth = (size_t)p->depth;
  size_t oldest = (size_t)p->cursor[0];
  memcpy(p->ring + oldest * depth, input, depth); /* the new frame replaces the oldest */
  oldest = oldest + 1 == (size_t)p->slots ? 0 : oldest + 1;
  p->cursor[0] = (int32_t)oldest;
  if (--p->cursor[1] != 0) return 1;
  p->cursor[1] = p->cycles_max;
  memcpy(output, p->ring + oldest * depth, ((size_t)p->slots - oldest) * depth);
  memcpy(output + ((size_t)p->slots - oldest) * depth, p->ring, oldest * depth);
  return 0;
}
