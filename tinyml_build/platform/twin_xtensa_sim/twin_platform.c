/* twin_platform.c -- tml_platform.h for the Xtensa emulator twin (QEMU -M sim -cpu de233_fpu).
 *
 * Why: the twin runs the ESP32/ESP32-S3 objects on stock QEMU, whose sim machine has no UART
 * but Xtensa semihosting (SIMCALL: a2 = call number, a3.. = arguments, result in a2; 1 = exit,
 * 4 = write). The console is line-buffered like console_semihosting.c (each SIMCALL is a trap
 * into QEMU); exit goes through SIMCALL exit, so QEMU's exit status is the firmware's.
 * Timer: CCOUNT. Under `-icount shift=0` every instruction is 1 ns of virtual time and QEMU's
 * CCOUNT advances at the core's model clock (de233_fpu: 40 MHz), i.e. one tick per 25 instructions
 * (checked by tests/test_xtensa_twin.py), so reports are in QEMU instructions -- not ESP32 cycles.
 * The muluh/mulsh emulation (twin_vectors.c) runs inside timed code and is counted by CCOUNT;
 * the exact count comes from the instruction-counting plugin, which skips the emulation range.
 * tml_profile_begin/end are real functions with their own addresses: that plugin's markers.
 */
#include <inttypes.h>
#include <stdint.h>

#include "tml_platform.h"
#include "tml_print.h"

#define TML_TWIN_SIMCALL_EXIT 1
#define TML_TWIN_SIMCALL_WRITE 4
#define TML_TWIN_STDOUT 1
#define TML_TWIN_EXIT_FAULT 3
/* QEMU instructions per CCOUNT tick: 1e9 ns/s (icount shift=0) over de233_fpu's 40 MHz clock. */
#define TML_TWIN_INSTRUCTIONS_PER_TICK 25u

int main(void);
void tml_twin_c_start(void) __attribute__((noreturn, used));
void tml_twin_fault_report(uint32_t cause, uint32_t pc, uint32_t vaddr) __attribute__((noreturn, used));
void tml_profile_begin(void);
void tml_profile_end(void);
void tml_profile_report(void);

/* Provided by the generated linker script: {start, end} pairs to zero (.bss, tensor arena). */
extern const uint32_t __tml_zero_table_start[], __tml_zero_table_end[];

static char tml_line[160];
static uint32_t tml_line_length;
static uint32_t tml_ccount_last;
static uint64_t tml_ccount_total;

static int32_t tml_simcall(int32_t call, int32_t arg1, int32_t arg2, int32_t arg3) {
  register int32_t a2 __asm__("a2") = call;
  register int32_t a3 __asm__("a3") = arg1;
  register int32_t a4 __asm__("a4") = arg2;
  register int32_t a5 __asm__("a5") = arg3;
  __asm__ volatile(".byte 0x00, 0x51, 0x00" /* simcall */
                   : "+r"(a2), "+r"(a3)
                   : "r"(a4), "r"(a5)
                   : "memory");
  return a2;
}

void tml_twin_c_start(void) {
  tml_stack_paint(); /* the high-water mark main.c reports (tml_stack.c) */
  /* .data needs no copy: QEMU loads it (and the ROM loader would) straight to its RAM address. */
  for (const uint32_t *entry = __tml_zero_table_start; entry < __tml_zero_table_end; entry += 2) {
    volatile uint32_t *to = (uint32_t *)(uintptr_t)entry[0];
    volatile uint32_t *const end = (uint32_t *)(uintptr_t)entry[1];
    while (to < end) {
      *to++ = 0u;
    }
  }
  tml_exit(main());
}

void tml_console_flush(void) {
  if (tml_line_length > 0u) {
    (void)tml_simcall(TML_TWIN_SIMCALL_WRITE, TML_TWIN_STDOUT, (int32_t)(uintptr_t)tml_line, (int32_t)tml_line_length);
    tml_line_length = 0u;
  }
}

void tml_console_write(const char *text, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    tml_line[tml_line_length++] = text[i];
    if (text[i] == '\n' || tml_line_length == sizeof(tml_line)) {
      tml_console_flush();
    }
  }
}

static uint32_t tml_ccount(void) {
  uint32_t value;
  __asm__ volatile("rsr %0, ccount" : "=r"(value));
  return value;
}

void tml_platform_init(void) {
  tml_line_length = 0u;
  tml_ccount_last = tml_ccount();
  tml_ccount_total = 0u;
}

tml_timer_kind tml_timer_kind_in_use(void) {
  return TML_TIMER_QEMU_ICOUNT;
}

uint64_t tml_timer_read(void) {
  const uint32_t now = tml_ccount();
  tml_ccount_total += (uint32_t)(now - tml_ccount_last); /* widened: CCOUNT wraps after 2^32 ticks */
  tml_ccount_last = now;
  return tml_ccount_total;
}

uint64_t tml_timer_to_report_units(uint64_t ticks) {
  return ticks * TML_TWIN_INSTRUCTIONS_PER_TICK;
}

__attribute__((noinline, used)) void tml_profile_begin(void) {
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, used)) void tml_profile_end(void) {
  __asm__ volatile("" ::: "memory");
}

/* The plugin prints one model's count when this runs (after each model's timed inferences). */
__attribute__((noinline, used)) void tml_profile_report(void) {
  __asm__ volatile("" ::: "memory");
}

void tml_exit(int status) {
  tml_console_flush();
  for (;;) {
    (void)tml_simcall(TML_TWIN_SIMCALL_EXIT, status, 0, 0);
  }
}

void tml_twin_fault_report(uint32_t cause, uint32_t pc, uint32_t vaddr) {
  tml_console_flush();
  tml_printf("\n*** Xtensa exception %" PRIu32 " at pc 0x%08" PRIx32 " (address 0x%08" PRIx32 ")\n", cause, pc, vaddr);
  tml_printf("TML-FAULT cause=%" PRIu32 " pc=0x%08" PRIx32 " vaddr=0x%08" PRIx32 "\n", cause, pc, vaddr);
  tml_exit(TML_TWIN_EXIT_FAULT);
}
