/* tml_platform.h -- what the firmware application needs from the board, and nothing more.
 *
 * Why: the same application runs on QEMU machines (semihosting console, SysTick timer,
 * semihosting exit) and on STM32 silicon (USART console, DWT cycle counter). The board
 * specifics come from the generated tml_board.h; this interface hides them.
 */
#ifndef TML_PLATFORM_H
#define TML_PLATFORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How tml_timer_read() counts. */
typedef enum {
  TML_TIMER_CYCLES = 0,      /* DWT CYCCNT: core clock cycles on silicon */
  TML_TIMER_QEMU_ICOUNT = 1, /* SysTick under QEMU -icount shift=0: emulated ns == instructions */
  TML_TIMER_NONE = 2         /* the target has no usable timer: reads are 0 */
} tml_timer_kind;

/* Console and cycle timer; called once by main() before anything is printed. */
void tml_platform_init(void);

/* Write `n` bytes to the console (semihosting or UART). */
void tml_console_write(const char *text, uint32_t n);

/* Push out anything the console still holds (line buffer, UART shift register). */
void tml_console_flush(void);

/* The running timer's kind, chosen by tml_platform_init() (DWT falls back to SysTick when the
 * core's cycle counter does not count, which is what QEMU does). */
tml_timer_kind tml_timer_kind_in_use(void);

/* Monotonic 64-bit count since tml_platform_init(). */
uint64_t tml_timer_read(void);

/* Convert a tml_timer_read() difference into the report's unit: cycles, or instructions. */
uint64_t tml_timer_to_report_units(uint64_t ticks);

/* Called right before and right after every timed inference. Empty on chips and most emulated
 * targets; on an emulator twin whose timer cannot count instructions exactly they are the markers
 * an instruction-counting QEMU plugin watches (real functions, never inlined). */
void tml_profile_begin(void);
void tml_profile_end(void);
/* Called once after each model's timed inferences: the plugin reports that model's windows. */
void tml_profile_report(void);

/* The stack high-water mark (tml_stack.c). Every platform's start-up calls tml_stack_paint() once
 * before main(): it fills the unused stack below its caller with a pattern. tml_stack_used() is
 * the deepest depth since then, in bytes from the stack's top; tml_stack_size() the reserved size. */
void tml_stack_paint(void);
uint32_t tml_stack_used(void);
uint32_t tml_stack_size(void);

/* Stop the program with `status` (0 = success). Never returns. */
void tml_exit(int status) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* TML_PLATFORM_H */
