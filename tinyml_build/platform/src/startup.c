/* startup.c -- vector table and reset handler for every Cortex-M target.
 *
 * Why our own: no vendor HAL or CMSIS startup files. Reset does what C needs before main():
 * enable the FPU (when the build uses it), paint the stack for its high-water mark, set the
 * Armv8-M stack limit, copy .data from flash,
 * zero .bss and the tensor arena (the linker script lists these in copy/zero tables so regions
 * such as DTCM are handled the same way), and run C++ constructors.
 */
#include <stdint.h>

#include "tml_board.h"
#include "tml_cmsis_min.h"
#include "tml_platform.h"

int main(void);

/* Provided by the generated linker script. */
extern uint32_t __tml_stack_top[];
extern uint32_t __tml_stack_bottom[];
extern const uint32_t __tml_copy_table_start[], __tml_copy_table_end[]; /* {load, start, end} triples */
extern const uint32_t __tml_zero_table_start[], __tml_zero_table_end[]; /* {start, end} pairs */
typedef void (*tml_init_fn)(void);
extern const tml_init_fn __preinit_array_start[], __preinit_array_end[];
extern const tml_init_fn __init_array_start[], __init_array_end[];

void Reset_Handler(void) __attribute__((noreturn));
void SysTick_Handler(void); /* platform.c: the timer */
/* fault.c: every other exception reports itself as a fault. */
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SecureFault_Handler(void);
void SVC_Handler(void);
void DebugMon_Handler(void);
void PendSV_Handler(void);

typedef void (*tml_vector)(void);

/* The 16 architectural entries; no peripheral interrupt is ever enabled by this firmware. */
__attribute__((section(".vectors"), used)) const tml_vector tml_vector_table[16] = {
    (tml_vector)(uintptr_t)__tml_stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler, /* reserved before Armv8-M */
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

void Reset_Handler(void) {
#if TML_HAS_FPU
  /* CP10 and CP11 full access (the FPU, and MVE on Armv8.1-M), before any floating-point code. */
  TML_SCB_CPACR |= 0xFu << 20;
  tml_dsb();
  tml_isb();
#endif
  tml_stack_paint(); /* the high-water mark main.c reports (tml_stack.c) */
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
  /* A stack overflow now raises a UsageFault (STKOF) instead of silently corrupting the heap. */
  __asm volatile("msr msplim, %0" : : "r"((uintptr_t)__tml_stack_bottom));
#endif
  for (const uint32_t *entry = __tml_copy_table_start; entry < __tml_copy_table_end; entry += 3) {
    const volatile uint32_t *from = (const uint32_t *)(uintptr_t)entry[0];
    volatile uint32_t *to = (uint32_t *)(uintptr_t)entry[1];
    volatile uint32_t *const end = (uint32_t *)(uintptr_t)entry[2];
    while (to < end) {
      *to++ = *from++;
    }
  }
  for (const uint32_t *entry = __tml_zero_table_start; entry < __tml_zero_table_end; entry += 2) {
    volatile uint32_t *to = (uint32_t *)(uintptr_t)entry[0];
    volatile uint32_t *const end = (uint32_t *)(uintptr_t)entry[1];
    while (to < end) {
      *to++ = 0u;
    }
  }
  for (const tml_init_fn *fn = __preinit_array_start; fn < __preinit_array_end; ++fn) {
    (*fn)();
  }
  for (const tml_init_fn *fn = __init_array_start; fn < __init_array_end; ++fn) {
    (*fn)();
  }
  tml_exit(main());
}
