/* signal_framer.c -- SignalFramer (int16), TFLM's signal/micro/kernels/framer.cc semantics.
 *
 * Audio arrives in hops of frame_step samples per channel; the op emits overlapping frames of
 * frame_size samples. Each channel's FIFO (tml_ring16.h) lives in the model's static state, so the
 * samples of one invoke make up frames of the next, as TFLM's persistent circular buffers do.
 */
#include <string.h>

#include "tml_kernels.h"
#include "tml_ring16.h"

void tml_signal_framer_reset(const tml_signal_framer_params *p) {
  int32_t o;
  for (o = 0; o < p->outer; ++o) {
    int32_t *cursor = p->cursors + 2 * o;
    tml_ring16_reset(cursor);
    if (p->prefill > 0) tml_ring16_write(cursor, p->samples + 2 * p->capacity * o, p->capacity, NULL, p->prefill);
  }
}

void tml_signal_framer(const tml_signal_framer_params *p, const int16_t *input, int16_t *output, uint8_t *valid) {
  int32_t o, f;
  uint8_t all = 1u;
  for (o = 0; o < p->outer; ++o) {
    int32_t *cursor = p->cursors + 2 * o;
    int16_t *data = p->samples + 2 * p->capacity * o;
    for (f = 0; f < p->frames; ++f) {
      int32_t frame = o * p->frames + f;
      tml_ring16_write(cursor, data, p->capacity, input + frame * p->frame_step, p->frame_step);
      if (cursor[1] >= p->frame_size) {
        memcpy(output + frame * p->frame_size, data + cursor[0], (size_t)p->frame_size * sizeof(int16_t));
        tml_ring16_discard(cursor, p->capacity, p->frame_step);
      } else {
        all = 0u;
      }
    }
  }
  *valid = all;
}
