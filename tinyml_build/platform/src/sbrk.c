/* sbrk.c -- the heap newlib's malloc grows into: [__tml_heap_start, __tml_heap_end).
 *
 * The generated linker script reserves the target's heap_size there. Nothing in an aot build
 * allocates, so --gc-sections drops this unless a runtime (e.g. C++ code) calls malloc.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern uint8_t __tml_heap_start[];
extern uint8_t __tml_heap_end[];

void *_sbrk(ptrdiff_t increment);

void *_sbrk(ptrdiff_t increment) {
  static uint8_t *brk = __tml_heap_start;
  uint8_t *const previous = brk;
  if (increment > __tml_heap_end - brk || increment < __tml_heap_start - brk) {
    errno = ENOMEM;
    return (void *)-1;
  }
  brk += increment;
  return previous;
}
