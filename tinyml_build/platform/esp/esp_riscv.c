/* esp_riscv.c -- entry, trap table, cycle counter and parking for the ESP32-C3 (RV32IMC).
 *
 * Entry (tml_esp_entry, the ELF entry point): the ROM loader calls it on the ROM's stack, like
 * ESP-IDF's bootloader entry call_start_cpu0. It never returns, so it takes over at once: machine
 * interrupts off (mstatus.MIE), gp = __global_pointer$ (the linker relaxes small-data accesses
 * against it), sp = the project's stack (__tml_stack_top), mtvec = our trap table, then C.
 *
 * Traps: mtvec in vectored mode (MODE = 1; ESP-IDF components/riscv/include/riscv/rv_utils.h,
 * rv_utils_set_mtvec, always sets it on this chip): exceptions enter at the base, interrupt n at
 * base + 4n. The 256-byte-aligned table sends all 32 entries to one handler, which moves to a
 * private stack and calls tml_esp_fault() with mcause, mepc and mtval.
 *
 * Cycle counter: the C3 has no usable mcycle; it counts in the custom machine performance
 * counter CSRs (ESP32-C3 TRM, chapter "ESP-RISC-V CPU", section "Performance Counter"; numbers
 * in ESP-IDF rv_utils.h CSR_PCER_MACHINE 0x7E0, CSR_PCMR_MACHINE 0x7E1, CSR_PCCR_MACHINE 0x7E2):
 * mpcer bit 0 selects clock cycles, mpcmr bit 0 enables counting (bit 1 clear: wrap, not
 * saturate), mpccr is the 32-bit count.
 *
 * Not run on silicon here.
 */
#include <stdint.h>

#include "tml_board.h"
#include "tml_esp.h"

__attribute__((used, aligned(16))) uint32_t tml_rv_fault_stack[256];

#define TML_RV_STR2(x) #x
#define TML_RV_STR(x) TML_RV_STR2(x)

/* clang-format off */
__asm__(
    "  .section .text.tml_esp_entry,\"ax\",@progbits\n"
    "  .global tml_esp_entry\n"
    "  .type tml_esp_entry,@function\n"
    "  .p2align 2\n"
    "tml_esp_entry:\n"
    "  csrci mstatus, 8\n"
    "  .option push\n"
    "  .option norelax\n"
    "  la gp, __global_pointer$\n"
    "  .option pop\n"
    "  la sp, __tml_stack_top\n"
    "  la t0, tml_rv_vectors\n"
    "  ori t0, t0, 1\n"
    "  csrw mtvec, t0\n"
    "  call tml_esp_start\n"
    "1:\n  j 1b\n"
    "  .size tml_esp_entry, . - tml_esp_entry\n"

    "  .section .tml_vectors,\"ax\",@progbits\n"
    "  .global tml_rv_vectors\n"
    "  .type tml_rv_vectors,@function\n"
    "  .p2align 8\n"
    "tml_rv_vectors:\n"
    "  .option push\n"
    "  .option norvc\n" /* every entry 4 bytes: no compressed jumps */
    "  .rept 32\n"
    "  j tml_rv_trap\n"
    "  .endr\n"
    "  .option pop\n"
    "tml_rv_trap:\n"
    "  la sp, tml_rv_fault_stack + 1024\n"
    "  li a0, " TML_RV_STR(TML_ESP_VECTOR_TRAP) "\n"
    "  csrr a1, mcause\n"
    "  csrr a2, mepc\n"
    "  csrr a3, mtval\n"
    "  call tml_esp_fault\n"
    "2:\n  j 2b\n"
    "  .size tml_rv_vectors, . - tml_rv_vectors\n"
    "  .text\n");
/* clang-format on */

void tml_esp_cycles_start(void) {
  __asm volatile("csrw 0x7E0, %0" ::"r"(1u)); /* mpcer: count clock cycles */
  __asm volatile("csrw 0x7E1, %0" ::"r"(1u)); /* mpcmr: counting on, wrap around */
  __asm volatile("csrw 0x7E2, zero");         /* mpccr: from 0 */
}

uint32_t tml_esp_cycles(void) {
  uint32_t count;
  __asm volatile("csrr %0, 0x7E2" : "=r"(count));
  return count;
}

void tml_esp_park(void) {
  __asm volatile("csrci mstatus, 8" ::: "memory");
  for (;;) {
    __asm volatile("wfi" ::: "memory");
  }
}
