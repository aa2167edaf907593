/* tml_window.h -- the geometry windowed kernels share.
 *
 * Why one helper: every convolution and pooling kernel that skips out-of-bounds taps (TFLM's
 * reference kernels test each tap; these compute the in-bounds range once per row or pixel) needs
 * the same range, and four kernels had written it in two different ways.
 */
#ifndef TML_WINDOW_H
#define TML_WINDOW_H

#include <stdint.h>

/* Filter taps [*first, *end) along one axis whose input index origin + dilation * k lies in
 * [0, size), for k in [0, taps); an empty range has *first == *end (<= taps). */
static inline void tml_valid_taps(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *first,
                                  int32_t *end) {
  int32_t f = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
  int32_t e = taps;
  if (f > taps) f = taps;
  if (origin + (taps - 1) * dilation >= size) e = size - origin <= 0 ? 0 : (size - origin - 1) / dilation + 1;
  *first = f;
  *end = e > f ? e : f;
}

#endif /* TML_WINDOW_H */
