/* tml_stack.c -- the stack high-water mark: paint before main(), measure after the run.
 *
 * Why: the stack a model needs is not visible in the ELF (recursion-free, but its depth depends
 * on the kernels' frames and the runtime's call chain), and a board's RAM budget must include it.
 * Every platform's start-up calls tml_stack_paint() once, before main(), on the project's stack;
 * tml_stack_used() later finds the deepest word that no longer holds the pattern. Common to every
 * platform layer: it only needs the linker scripts' __tml_stack_bottom/__tml_stack_top.
 */
#include <stdint.h>

#include "tml_platform.h"

#define TML_STACK_PATTERN 0x5AC3A55Cu
/* Words just below the painter's own frame stay unpainted: its frame and, on windowed Xtensa, the
 * register save areas below a frame's stack pointer must not be overwritten. The mark is exact for
 * anything deeper than this margin, which every inference is. */
#define TML_STACK_MARGIN_BYTES 256u

extern uint32_t __tml_stack_bottom[];
extern uint32_t __tml_stack_top[];

/* noinline: the address of `here` is then inside this function's own (small) frame, the deepest
 * frame in use while painting; nothing is called during the loop, so nothing below it is used. */
__attribute__((noinline)) void tml_stack_paint(void) {
  volatile uint32_t here = 0u;
  const uintptr_t limit = (uintptr_t)&here - TML_STACK_MARGIN_BYTES;
  for (volatile uint32_t *word = __tml_stack_bottom; (uintptr_t)word < limit; ++word) {
    *word = TML_STACK_PATTERN;
  }
  (void)here;
}

uint32_t tml_stack_size(void) {
  return (uint32_t)((uintptr_t)__tml_stack_top - (uintptr_t)__tml_stack_bottom);
}

uint32_t tml_stack_used(void) {
  const volatile uint32_t *word = __tml_stack_bottom;
  while ((uintptr_t)word < (uintptr_t)__tml_stack_top && *word == TML_STACK_PATTERN) {
    ++word;
  }
  return (uint32_t)((uintptr_t)__tml_stack_top - (uintptr_t)word);
}
