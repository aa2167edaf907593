/* tml_broadcast.h -- walk two broadcast inputs and one output, row by row.
 *
 * Why: ADD, SUB and MUL broadcast the same way. The lowering collapses the shapes on the
 * host into at most TML_BCAST_MAX_LOOPS loops (tml_broadcast in tml_kernels.h), so the
 * kernels only see long contiguous (or scalar-broadcast) rows and never compute an index
 * per element. The walk itself costs a few adds per row.
 */
#ifndef TML_BROADCAST_H
#define TML_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "tml_kernels.h"

/* Row function: n outputs from a (advancing step_a elements) and b (advancing step_b). */
typedef void (*tml_broadcast_row_fn)(const void *params, const void *a, int32_t step_a, const void *b,
                                     int32_t step_b, void *out, int32_t n);

/* Calls row() once per innermost row, in output order. elem_bytes is the size of one element
 * of the inputs and the output (they share the type). */
static inline void tml_broadcast_rows(const tml_broadcast *shape, size_t elem_bytes, const void *in1,
                                      const void *in2, void *out, tml_broadcast_row_fn row, const void *params) {
  int32_t index[TML_BCAST_MAX_LOOPS] = {0};
  const int32_t inner = shape->loops - 1;
  const int32_t n = shape->count[inner];
  const ptrdiff_t elem = (ptrdiff_t)elem_bytes;
  const uint8_t *a = (const uint8_t *)in1;
  const uint8_t *b = (const uint8_t *)in2;
  uint8_t *o = (uint8_t *)out;
  for (;;) {
    int32_t d;
    row(params, a, shape->step1[inner], b, shape->step2[inner], o, n);
    o += (ptrdiff_t)n * elem;
    for (d = inner - 1; d >= 0; --d) {
      if (++index[d] < shape->count[d]) {
        a += shape->step1[d] * elem;
        b += shape->step2[d] * elem;
        break;
      }
      index[d] = 0;
      a -= shape->step1[d] * (ptrdiff_t)(shape->count[d] - 1) * elem;
      b -= shape->step2[d] * (ptrdiff_t)(shape->count[d] - 1) * elem;
    }
    if (d < 0) {
      return;
    }
  }
}

#endif /* TML_BROADCAST_H */
