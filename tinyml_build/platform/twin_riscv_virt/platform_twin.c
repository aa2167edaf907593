/* platform_twin.c -- timer and profile hooks of the RISC-V emulator twin.
 *
 * Under QEMU -icount shift=0 the minstret counter is the exact number of retired instructions, so
 * the twin reports instruction counts without any conversion (TML_TIMER_QEMU_ICOUNT with unit 1).
 * The console and exit are semihosting (console_semihosting.c), like the Cortex-M QEMU targets.
 */
#include <stdint.h>

#include "tml_platform.h"
#include "tml_platform_internal.h"

void tml_timer_init(void) {
}

void tml_platform_init(void) {
  tml_console_init();
  tml_timer_init();
}

tml_timer_kind tml_timer_kind_in_use(void) {
  return TML_TIMER_QEMU_ICOUNT;
}

uint64_t tml_timer_read(void) {
  uint32_t high;
  uint32_t low;
  uint32_t again;
  do {
    __asm volatile("csrr %0, minstreth" : "=r"(high));
    __asm volatile("csrr %0, minstret" : "=r"(low));
    __asm volatile("csrr %0, minstreth" : "=r"(again));
  } while (high != again);
  return ((uint64_t)high << 32) | low;
}

uint64_t tml_timer_to_report_units(uint64_t ticks) {
  return ticks;
}

void tml_profile_begin(void) {
}

void tml_profile_end(void) {
}

void tml_profile_report(void) {
}
