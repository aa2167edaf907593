/* tml_odometer.h -- one step of a multi-dimensional index over nested loops, for kernels that
 * walk an input through a build-time loop description (mean.c, reduce.c).
 *
 * Why shared: the loops are described the same way (counts and element steps, innermost last) and
 * the step must carry the offset exactly; one definition keeps the walks identical.
 */
#ifndef TML_ODOMETER_H
#define TML_ODOMETER_H

#include <stddef.h>
#include <stdint.h>

/* Advance `index` over loops [0, last) (innermost last), moving `offset` by the loops' steps;
 * returns 0 when every index wrapped around (the walk is over). */
static inline int tml_odometer_step(int32_t *index, const int32_t *count, const int32_t *step, int32_t last,
                                    ptrdiff_t *offset) {
  int32_t d;
  for (d = last - 1; d >= 0; --d) {
    if (++index[d] < count[d]) {
      *offset += step[d];
      return 1;
    }
    index[d] = 0;
    *offset -= (ptrdiff_t)step[d] * (count[d] - 1);
  }
  return 0;
}

#endif /* TML_ODOMETER_H */
