/* copy.c -- byte copy for ops whose output cannot share its input's memory (e.g. RESHAPE of a
 * constant). Aliased reshapes need no kernel at all. */
#include <string.h>

#include "tml_kernels.h"

void tml_copy(void *output, const void *input, uint32_t bytes) {
  if (output != input && bytes != 0u) {
    memmove(output, input, bytes);
  }
}
