/* tml_ring16.h -- a FIFO of int16 samples for the Signal ops that buffer audio between invokes
 * (signal_framer.c, signal_stacker.c).
 *
 * Why mirrored: every sample is stored twice, at p and p + capacity of a 2 * capacity array, so any
 * run of up to `capacity` held samples is contiguous at data + read and a frame is output with one
 * copy, however the FIFO has wrapped. cursor[0] is the read position (0..capacity-1), cursor[1]
 * the number of samples held (0..capacity).
 */
#ifndef TML_RING16_H
#define TML_RING16_H

#include <stdint.h>
#include <string.h>

static inline void tml_ring16_reset(int32_t *cursor) {
  cursor[0] = 0;
  cursor[1] = 0;
}

/* Appends n samples (values, or zeros when values is NULL); the caller keeps held + n <= capacity. */
static inline void tml_ring16_write(int32_t *cursor, int16_t *data, int32_t capacity, const int16_t *values,
                                    int32_t n) {
  int32_t at = cursor[0] + cursor[1];
  int32_t first;
  if (at >= capacity) at -= capacity;
  first = capacity - at < n ? capacity - at : n;
  if (values != NULL) {
    memcpy(data + at, values, (size_t)first * sizeof(int16_t));
    memcpy(data + at + capacity, values, (size_t)first * sizeof(int16_t));
    memcpy(data, values + first, (size_t)(n - first) * sizeof(int16_t));
    memcpy(data + capacity, values + first, (size_t)(n - first) * sizeof(int16_t));
  } else {
    memset(data + at, 0, (size_t)first * sizeof(int16_t));
    memset(data + at + capacity, 0, (size_t)first * sizeof(int16_t));
    memset(data, 0, (size_t)(n - first) * sizeof(int16_t));
    memset(data + capacity, 0, (size_t)(n - first) * sizeof(int16_t));
  }
  cursor[1] += n;
}

/* Drops the n oldest samples (n <= held). */
static inline void tml_ring16_discard(int32_t *cursor, int32_t capacity, int32_t n) {
  cursor[0] += n;
  if (cursor[0] >= capacity) cursor[0] -= capacity;
  cursor[1] -= n;
}

#endif /* TML_RING16_H */
