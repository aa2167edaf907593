/* platform.c -- tml_platform_init() and the cycle timer.
 *
 * Timers (tml_board.h, from the target's cycle_timer):
 *   TML_TIMER_USE_DWT      DWT CYCCNT (core cycles) on silicon. QEMU does not model the DWT
 *                          (it reads zero), so when CYCCNT does not move the timer falls back to
 *                          SysTick: the same STM32 image then reports QEMU instruction counts.
 *   TML_TIMER_USE_NONE     no timer: times are reported as not measured.
 *   TML_TIMER_USE_SYSTICK  SysTick on the processor clock. Under QEMU `-icount shift=0` every
 *                          instruction advances emulated time by exactly 1 ns, so
 *                          ticks * 1e9 / clock_hz is a deterministic instruction count.
 * Both are widened to 64 bits in software (CYCCNT wraps after 2^32 cycles, SysTick after 2^24 ticks).
 */
#include <stdint.h>

#include "tml_board.h"
#include "tml_cmsis_min.h"
#include "tml_platform.h"
#include "tml_platform_internal.h"

#define TML_ICSR_PENDSTSET (1u << 26)

static tml_timer_kind tml_kind = TML_TIMER_QEMU_ICOUNT;
static volatile uint32_t tml_systick_wraps;
static uint32_t tml_dwt_last;
static uint64_t tml_dwt_high;

void SysTick_Handler(void) {
  tml_systick_wraps = tml_systick_wraps + 1u;
}

static void tml_systick_start(void) {
  TML_SYST_CSR = 0u;
  TML_SYST_RVR = TML_SYST_MAX_RELOAD;
  TML_SYST_CVR = 0u;
  tml_systick_wraps = 0u;
  /* Processor clock: the SSE-200/SSE-300 subsystems wire no SysTick reference clock. */
  TML_SYST_CSR = TML_SYST_CSR_CLKSOURCE | TML_SYST_CSR_TICKINT | TML_SYST_CSR_ENABLE;
  tml_kind = TML_TIMER_QEMU_ICOUNT;
}

#if TML_TIMER_USE_DWT
/* Starts CYCCNT; returns 0 when the counter does not count (no DWT, or QEMU). */
static int tml_dwt_start(void) {
  TML_DEMCR |= TML_DEMCR_TRCENA;
  TML_DWT_LAR = TML_DWT_LAR_UNLOCK; /* needed on Cortex-M7; ignored elsewhere */
  TML_DWT_CYCCNT = 0u;
  TML_DWT_CTRL |= TML_DWT_CTRL_CYCCNTENA;
  for (volatile uint32_t spin = 0; spin < 16u; spin = spin + 1u) {
  }
  if (TML_DWT_CYCCNT == 0u) {
    return 0;
  }
  tml_dwt_last = TML_DWT_CYCCNT;
  tml_dwt_high = 0u;
  tml_kind = TML_TIMER_CYCLES;
  return 1;
}
#endif

void tml_timer_init(void) {
#if TML_TIMER_USE_NONE
  tml_kind = TML_TIMER_NONE;
  return;
#endif
#if TML_TIMER_USE_DWT
  if (tml_dwt_start()) {
    return;
  }
#endif
  tml_systick_start();
  tml_enable_irq();
}

void tml_platform_init(void) {
  tml_console_init();
  tml_timer_init();
}

tml_timer_kind tml_timer_kind_in_use(void) {
  return tml_kind;
}

uint64_t tml_timer_read(void) {
  if (tml_kind == TML_TIMER_NONE) {
    return 0u;
  }
  if (tml_kind == TML_TIMER_CYCLES) {
    const uint32_t now = TML_DWT_CYCCNT;
    tml_dwt_high += (uint32_t)(now - tml_dwt_last);
    tml_dwt_last = now;
    return tml_dwt_high;
  }
  uint32_t wraps;
  uint32_t current;
  uint32_t pending;
  do {
    wraps = tml_systick_wraps;
    current = TML_SYST_CVR;
    pending = TML_SCB_ICSR & TML_ICSR_PENDSTSET;
  } while (wraps != tml_systick_wraps);
  if (pending != 0u && current > TML_SYST_MAX_RELOAD / 2u) {
    wraps += 1u; /* the counter reloaded but its interrupt has not run yet */
  }
  return (uint64_t)wraps * (TML_SYST_MAX_RELOAD + 1u) + (TML_SYST_MAX_RELOAD - current);
}

uint64_t tml_timer_to_report_units(uint64_t ticks) {
  if (tml_kind != TML_TIMER_QEMU_ICOUNT) {
    return ticks;
  }
  /* 1 instruction == 1 ns of emulated time; SysTick ticks at the emulated core clock. */
  return (ticks * 1000000000ull + TML_CLOCK_HZ / 2u) / TML_CLOCK_HZ;
}

void tml_profile_begin(void) {
}

void tml_profile_end(void) {
}

void tml_profile_report(void) {
}
