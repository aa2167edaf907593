/* signal_stacker.c -- SignalStacker (int16), TFLM's signal/micro/kernels/stacker.cc semantics.
 *
 * Stacks left_context + 1 + right_context consecutive feature frames into one output, every
 * stacker_step frames; the first frame after reset stands in for the left context that does not
 * exist yet (TFLM's CircularBufferExtend). The FIFO (tml_ring16.h) lives in the model's static state.
 */
#include <string.h>

#include "tml_kernels.h"
#include "tml_ring16.h"

void tml_signal_stacker_reset(const tml_signal_stacker_params *p) {
  tml_ring16_reset(p->cursor);
  p->cursor[2] = 0; /* the next frame is the first */
}

void tml_signal_stacker(const tml_signal_stacker_params *p, const int16_t *input, int16_t *output, uint8_t *valid) {
  int32_t *cursor = p->cursor;
  int32_t copies = 1, i;
  if (cursor[2] == 0) {
    copies += p->left_context;
    cursor[2] = 1;
  }
  for (i = 0; i < copies; ++i) tml_ring16_write(cursor, p->samples, p->size, input, p->channels);
  if (cursor[1] >= p->size) {
    memcpy(output, p->samples + cursor[0], (size_t)p->size * sizeof(int16_t));
    tml_ring16_discard(cursor, p->size, p->step);
    *valid = 1u;
  } else {
    *valid = 0u;
  }
}
