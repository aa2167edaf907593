/* esp_xtensa.c -- entry, exception vectors, CCOUNT and parking for the ESP32 and ESP32-S3.
 *
 * Entry (tml_esp_entry, the ELF entry point): the ROM loader calls it like any windowed-ABI
 * function on the ROM's stack (ESP-IDF's bootloader entry call_start_cpu0 is plain C). It never
 * returns, so the ROM's register windows are simply dropped rather than spilled: WINDOWSTART = 1,
 * WINDOWBASE = 0 (the state of a reset), then a1 = the project's stack (__tml_stack_top), VECBASE
 * = our table, INTENABLE = 0, PS = WOE | UM | INTLEVEL 15 (window exceptions on, every maskable
 * interrupt off), CPENABLE bit 0 = the FPU (coprocessor 0 is "FPU" on both chips:
 * components/xtensa/<chip>/include/xtensa/config/tie.h, XCHAL_CP0_NAME), and `callx4` into C
 * (through a literal, as LLVM calls: GNU ld for the lx106 does not relocate a direct call4).
 * A 4-register call, not 8: when the first frame is later spilled, the 4-register overflow
 * handler only writes below the callee's stack pointer, whereas the 8/12-register ones read the
 * spilled frame's caller's stack pointer, which this base frame does not have. The ROM's stack is
 * used only for the first few instructions.
 *
 * Vectors (1 KiB-aligned table, offsets from core-isa.h XCHAL_*_VECOFS, identical on LX6/LX7):
 * the six window overflow/underflow handlers are the ones the windowed ABI requires (registers
 * spilled to / reloaded from the base save area 16 bytes below the callee's stack pointer, and for
 * call8/call12 frames the extra save area below the caller's stack pointer); every other vector
 * reports a fault: it resets the window state, moves to a private stack and calls
 * tml_esp_fault() with EXCCAUSE, EPC1 (DEPC for a double exception) and EXCVADDR.
 *
 * Built with clang -S + llvm-mc (upstream LLVM's Xtensa assembler), so the assembly here is
 * llvm-mc syntax. Not run on silicon here.
 */
#include <stdint.h>

#include "tml_board.h"
#include "tml_esp.h"

/* 1 KiB, 16-byte aligned (the windowed ABI keeps a1 16-byte aligned). */
__attribute__((used, aligned(16))) uint32_t tml_xt_fault_stack[256];

#define TML_XT_STR2(x) #x
#define TML_XT_STR(x) TML_XT_STR2(x)

/* PS: WOE (bit 18) | UM (bit 5) | INTLEVEL 15 (bits 3:0); EXCM (bit 4) and RING clear. */
#define TML_XT_PS 0x4002F

#if TML_HAS_FPU
#define TML_XT_ENABLE_FPU "  movi a2, 1\n  wsr a2, cpenable\n  rsync\n"
#else
#define TML_XT_ENABLE_FPU ""
#endif

/* A fault vector: its number in a0, then the common handler (a0 is free: we never return). */
#define TML_XT_FAULT_VECTOR(offset, id) "  .org " #offset "\n  movi a0, " TML_XT_STR(id) "\n  j tml_xt_fault_common\n"

/* clang-format off */
__asm__(
    /* Literals sit below the code that loads them (L32R reaches backwards only): the linker script
     * places every .literal* section before the vectors and the text. */
    "  .section .literal.tml_esp_entry,\"ax\",@progbits\n"
    "  .p2align 2\n"
    ".Ltml_xt_stack_top:\n  .long __tml_stack_top\n"
    ".Ltml_xt_vectors:\n  .long tml_xt_vectors\n"
    ".Ltml_xt_ps:\n  .long " TML_XT_STR(TML_XT_PS) "\n"
    ".Ltml_xt_fault_stack_top:\n  .long tml_xt_fault_stack + 1024\n"
    ".Ltml_xt_start:\n  .long tml_esp_start\n"
    ".Ltml_xt_fault:\n  .long tml_esp_fault\n"

    "  .section .text.tml_esp_entry,\"ax\",@progbits\n"
    "  .global tml_esp_entry\n"
    "  .type tml_esp_entry,@function\n"
    "  .p2align 2\n"
    "tml_esp_entry:\n"
    "  rsil a0, 15\n"
    "  movi a0, 1\n"
    "  wsr a0, windowstart\n"
    "  movi a0, 0\n"
    "  wsr a0, windowbase\n"
    "  rsync\n"
    "  movi a0, 0\n"
    "  wsr a0, intenable\n"
    "  l32r a2, .Ltml_xt_vectors\n"
    "  wsr a2, vecbase\n"
    "  l32r a1, .Ltml_xt_stack_top\n"
    "  l32r a2, .Ltml_xt_ps\n"
    "  wsr a2, ps\n"
    "  rsync\n"
    TML_XT_ENABLE_FPU
    "  movi a0, 0\n"
    "  l32r a3, .Ltml_xt_start\n"
    "  callx4 a3\n"
    "1:\n  j 1b\n"
    "  .size tml_esp_entry, . - tml_esp_entry\n"

    "  .section .tml_vectors,\"ax\",@progbits\n"
    "  .global tml_xt_vectors\n"
    "  .type tml_xt_vectors,@function\n"
    "  .p2align 10\n"
    "tml_xt_vectors:\n"
    /* 0x000 WindowOverflow4: a0-a3 of the frame to the base save area below the callee's sp (a5). */
    "  s32e a0, a5, -16\n  s32e a1, a5, -12\n  s32e a2, a5, -8\n  s32e a3, a5, -4\n  rfwo\n"
    /* 0x040 WindowUnderflow4 */
    "  .org 0x40\n"
    "  l32e a0, a5, -16\n  l32e a1, a5, -12\n  l32e a2, a5, -8\n  l32e a3, a5, -4\n  rfwu\n"
    /* 0x080 WindowOverflow8: a4-a7 below the caller's sp, read from the caller's base save area. */
    "  .org 0x80\n"
    "  s32e a0, a9, -16\n  l32e a0, a1, -12\n  s32e a1, a9, -12\n  s32e a2, a9, -8\n  s32e a3, a9, -4\n"
    "  s32e a4, a0, -32\n  s32e a5, a0, -28\n  s32e a6, a0, -24\n  s32e a7, a0, -20\n  rfwo\n"
    /* 0x0C0 WindowUnderflow8 */
    "  .org 0xC0\n"
    "  l32e a1, a9, -12\n  l32e a0, a9, -16\n  l32e a7, a1, -12\n  l32e a2, a9, -8\n  l32e a4, a7, -32\n"
    "  l32e a3, a9, -4\n  l32e a5, a7, -28\n  l32e a6, a7, -24\n  l32e a7, a7, -20\n  rfwu\n"
    /* 0x100 WindowOverflow12 */
    "  .org 0x100\n"
    "  s32e a0, a13, -16\n  l32e a0, a1, -12\n  s32e a1, a13, -12\n  s32e a2, a13, -8\n  s32e a3, a13, -4\n"
    "  s32e a4, a0, -48\n  s32e a5, a0, -44\n  s32e a6, a0, -40\n  s32e a7, a0, -36\n"
    "  s32e a8, a0, -32\n  s32e a9, a0, -28\n  s32e a10, a0, -24\n  s32e a11, a0, -20\n  rfwo\n"
    /* 0x140 WindowUnderflow12 */
    "  .org 0x140\n"
    "  l32e a1, a13, -12\n  l32e a0, a13, -16\n  l32e a11, a1, -12\n  l32e a2, a13, -8\n  l32e a4, a11, -48\n"
    "  l32e a8, a11, -32\n  l32e a3, a13, -4\n  l32e a5, a11, -44\n  l32e a6, a11, -40\n  l32e a7, a11, -36\n"
    "  l32e a9, a11, -28\n  l32e a10, a11, -24\n  l32e a11, a11, -20\n  rfwu\n"
    /* 0x180-0x280 interrupt levels 2-5 and debug (level 6), 0x2C0 NMI, 0x300 kernel, 0x340 user,
     * 0x3C0 double exception. */
    TML_XT_FAULT_VECTOR(0x180, TML_ESP_VECTOR_INTERRUPT)
    TML_XT_FAULT_VECTOR(0x1C0, TML_ESP_VECTOR_INTERRUPT)
    TML_XT_FAULT_VECTOR(0x200, TML_ESP_VECTOR_INTERRUPT)
    TML_XT_FAULT_VECTOR(0x240, TML_ESP_VECTOR_INTERRUPT)
    TML_XT_FAULT_VECTOR(0x280, TML_ESP_VECTOR_INTERRUPT)
    TML_XT_FAULT_VECTOR(0x2C0, TML_ESP_VECTOR_NMI)
    TML_XT_FAULT_VECTOR(0x300, TML_ESP_VECTOR_KERNEL)
    TML_XT_FAULT_VECTOR(0x340, TML_ESP_VECTOR_USER)
    TML_XT_FAULT_VECTOR(0x3C0, TML_ESP_VECTOR_DOUBLE)
    "  .org 0x400\n"
    /* 0x400: the common fault path, a0 = vector number (TML_ESP_VECTOR_*). */
    "tml_xt_fault_common:\n"
    "  wsr a0, excsave1\n"
    "  movi a0, 1\n"
    "  wsr a0, windowstart\n"
    "  movi a0, 0\n"
    "  wsr a0, windowbase\n"
    "  rsync\n"
    "  l32r a1, .Ltml_xt_fault_stack_top\n"
    "  l32r a0, .Ltml_xt_ps\n"
    "  wsr a0, ps\n"
    "  rsync\n"
    "  rsr a6, excsave1\n"
    "  rsr a7, exccause\n"
    "  rsr a8, epc1\n"
    "  rsr a9, excvaddr\n"
    "  movi a10, " TML_XT_STR(TML_ESP_VECTOR_DOUBLE) "\n"
    "  bne a6, a10, 2f\n"
    "  rsr a8, depc\n"
    "2:\n"
    "  movi a0, 0\n"
    "  l32r a3, .Ltml_xt_fault\n"
    "  callx4 a3\n"
    "3:\n  j 3b\n"
    "  .size tml_xt_vectors, . - tml_xt_vectors\n"

    "  .text\n");
/* clang-format on */

void tml_esp_cycles_start(void) {
  /* CCOUNT counts core clock cycles from reset; nothing to start. */
}

uint32_t tml_esp_cycles(void) {
  uint32_t count;
  __asm volatile("rsr %0, ccount" : "=r"(count));
  return count;
}

void tml_esp_park(void) {
  uint32_t ps;
  __asm volatile("rsil %0, 15" : "=r"(ps)::"memory");
  (void)ps;
  for (;;) {
    __asm volatile("waiti 15" ::: "memory");
  }
}
