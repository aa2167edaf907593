/* tml_broadcast.h -- walk two broadcast inputs and one output, a block of rows at a time.
 *
 * Why: ADD, SUB and MUL broadcast the same way. The lowering collapses the shapes on the
 * host into at most TML_BCAST_MAX_LOOPS loops (tml_broadcast in tml_kernels.h), so the
 * kernels only see long contiguous (or scalar-broadcast) rows and never compute an index
 * per element. The two innermost loops go to the kernel's block function in one call, so
 * short rows (e.g. a per-channel vector broadcast over pixels) do not pay a call per row.
 */
#ifndef TML_BROADCAST_H
#define TML_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "tml_kernels.h"

/* A block: `rows` rows of n outputs, written contiguously. In a row, a and b advance by
 * step_a / step_b elements (0 or 1); from one row to the next, by row_step_a / row_step_b
 * elements (counted from the row's start). */
typedef struct {
  const void *a;
  const void *b;
  void *out;
  int32_t n, step_a, step_b;
  int32_t rows, row_step_a, row_step_b;
} tml_broadcast_block;

typedef void (*tml_broadcast_block_fn)(const void *params, const tml_broadcast_block *block);

/* Block functions are reached through a constant pointer, which compilers inline into the
 * walker; keeping them out of line keeps the walker's registers out of the inner loops. The
 * walker itself (and any kernel helper that passes it a block function) must be inlined into
 * each caller for the pointer to be a constant: TML_WALKER_INLINE insists, as a kernel file
 * may call it several times (add.c: four entry points). */
#if defined(__GNUC__) || defined(__clang__)
#define TML_BLOCK_FN static __attribute__((noinline))
#define TML_WALKER_INLINE static inline __attribute__((always_inline))
#else
#define TML_BLOCK_FN static
#define TML_WALKER_INLINE static inline
#endif

/* Calls fn() once per block, in output order. elem_bytes is the size of one element of the
 * inputs and the output (they share the type). */
TML_WALKER_INLINE void tml_broadcast_blocks(const tml_broadcast *shape, size_t elem_bytes, const void *in1,
                                            const void *in2, void *out, tml_broadcast_block_fn fn, const void *params) {
  int32_t index[TML_BCAST_MAX_LOOPS] = {0};
  const int32_t inner = shape->loops - 1;
  const int32_t outer_loops = inner > 0 ? inner - 1 : 0; /* loops [0, outer_loops) are walked here */
  const ptrdiff_t elem = (ptrdiff_t)elem_bytes;
  const uint8_t *a = (const uint8_t *)in1;
  const uint8_t *b = (const uint8_t *)in2;
  uint8_t *o = (uint8_t *)out;
  tml_broadcast_block block;
  block.n = shape->count[inner];
  block.step_a = shape->step1[inner];
  block.step_b = shape->step2[inner];
  block.rows = inner > 0 ? shape->count[inner - 1] : 1;
  block.row_step_a = inner > 0 ? shape->step1[inner - 1] : 0;
  block.row_step_b = inner > 0 ? shape->step2[inner - 1] : 0;
  for (;;) {
    int32_t d;
    block.a = a;
    block.b = b;
    block.out = o;
    fn(params, &block);
    o += (ptrdiff_t)block.n * block.rows * elem;
    for (d = outer_loops - 1; d >= 0; --d) {
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
