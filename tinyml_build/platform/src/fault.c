/* fault.c -- HardFault and unexpected-exception reporting.
 *
 * Why: a crash on a board or in QEMU must say where it happened. The handler switches to a
 * private stack (the fault may be a stack overflow), prints the stacked registers and the
 * fault status registers in a human form plus one machine-parsable `TML-FAULT` line, and
 * exits with status TML_EXIT_FAULT.
 */
#include <inttypes.h>
#include <stdint.h>

#include "tml_board.h"
#include "tml_cmsis_min.h"
#include "tml_platform.h"
#include "tml_print.h"

#define TML_EXIT_FAULT 3

/* Words: r0 r1 r2 r3 r12 lr pc xpsr (the basic exception frame). */
void tml_fault_report(const uint32_t *frame, uint32_t exc_return);

__attribute__((used, aligned(8))) static uint32_t tml_fault_stack[256];

void HardFault_Handler(void);

__attribute__((naked)) void HardFault_Handler(void) {
  __asm volatile("tst lr, #4\n"
                 "ite eq\n"
                 "mrseq r0, msp\n"
                 "mrsne r0, psp\n"
                 "mov r1, lr\n"
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
                 "movs r2, #0\n"
                 "msr msplim, r2\n"
#endif
                 "ldr r2, =tml_fault_stack + 1024\n"
                 "mov sp, r2\n"
                 "b tml_fault_report\n");
}

/* No other exception is expected: each one reports itself like a HardFault (IPSR names it). */
void NMI_Handler(void) __attribute__((alias("HardFault_Handler")));
void MemManage_Handler(void) __attribute__((alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((alias("HardFault_Handler")));
void SecureFault_Handler(void) __attribute__((alias("HardFault_Handler")));
void SVC_Handler(void) __attribute__((alias("HardFault_Handler")));
void DebugMon_Handler(void) __attribute__((alias("HardFault_Handler")));
void PendSV_Handler(void) __attribute__((alias("HardFault_Handler")));

static const char *tml_exception_name(uint32_t number) {
  switch (number) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 7: return "SecureFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return number >= 16 ? "IRQ" : "reserved";
  }
}

static void tml_print_cfsr(uint32_t cfsr) {
  /* One row per CFSR byte (MMFSR, BFSR, UFSR low, UFSR high), bit 0 first. */
  /* clang-format off */
  static const char *const names[32] = {
      "IACCVIOL", "DACCVIOL", 0, "MUNSTKERR", "MSTKERR", "MLSPERR", 0, "MMARVALID",
      "IBUSERR", "PRECISERR", "IMPRECISERR", "UNSTKERR", "STKERR", "LSPERR", 0, "BFARVALID",
      "UNDEFINSTR", "INVSTATE", "INVPC", "NOCP", "STKOF", 0, 0, 0,
      "UNALIGNED", "DIVBYZERO", 0, 0, 0, 0, 0, 0};
  /* clang-format on */
  for (uint32_t bit = 0; bit < 32u; ++bit) {
    if ((cfsr & (1u << bit)) != 0u && names[bit] != 0) {
      tml_printf(" %s", names[bit]);
    }
  }
}

void tml_fault_report(const uint32_t *frame, uint32_t exc_return) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  const uint32_t number = ipsr & 0x1FFu;
  const uint32_t cfsr = TML_SCB_CFSR;
  const uint32_t hfsr = TML_SCB_HFSR;
  tml_printf("\n*** %s (exception %" PRIu32 ")\n", tml_exception_name(number), number);
  if (frame != 0) {
    tml_printf("  r0  %08" PRIx32 "  r1 %08" PRIx32 "  r2 %08" PRIx32 "  r3   %08" PRIx32 "\n", frame[0], frame[1],
               frame[2], frame[3]);
    tml_printf("  r12 %08" PRIx32 "  lr %08" PRIx32 "  pc %08" PRIx32 "  xpsr %08" PRIx32 "\n", frame[4], frame[5],
               frame[6], frame[7]);
    tml_printf("  exc_return %08" PRIx32 " (%s stack)\n", exc_return, (exc_return & 4u) ? "process" : "main");
  }
  tml_printf("  CFSR %08" PRIx32 "", cfsr);
  tml_print_cfsr(cfsr);
  tml_printf("\n  HFSR %08" PRIx32 "%s%s\n", hfsr, (hfsr & (1u << 30)) ? " FORCED" : "",
             (hfsr & (1u << 1)) ? " VECTTBL" : "");
  if (cfsr & (1u << 7)) {
    tml_printf("  MMFAR %08" PRIx32 "\n", TML_SCB_MMFAR);
  }
  if (cfsr & (1u << 15)) {
    tml_printf("  BFAR %08" PRIx32 "\n", TML_SCB_BFAR);
  }
  tml_printf("TML-FAULT exception=%" PRIu32 " pc=0x%08" PRIx32 " lr=0x%08" PRIx32 " cfsr=0x%08" PRIx32
             " hfsr=0x%08" PRIx32 "\n",
             number, frame != 0 ? frame[6] : 0u, frame != 0 ? frame[5] : 0u, cfsr, hfsr);
  tml_exit(TML_EXIT_FAULT);
}
