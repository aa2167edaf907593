/* twin_vectors.c -- reset, vectors and start-up of the Xtensa emulator twin (QEMU -M sim -cpu de233_fpu).
 *
 * Why: the twin runs the very objects built for the ESP32/ESP32-S3 on stock QEMU's de233_fpu core,
 * which has the same windowed ABI, FPU, loops, MAC16 and DIV32, but lacks MUL32_HIGH. So:
 *   - the sim machine starts at its reset vector 0xFE000000 whatever the ELF entry says: a jump
 *     to tml_twin_start there (section .tml_twin_reset);
 *   - windowed code needs window overflow/underflow handlers at VECBASE (1 KiB aligned); the
 *     handlers follow the spill protocol of the Xtensa ISA reference (Windowed Register Option):
 *     a frame's a0-a3 go to the 16 bytes below its callee's stack pointer, a4-a11 to the bottom of
 *     its caller's frame, whose stack pointer is the saved a1 word at [sp - 12];
 *   - `muluh`/`mulsh` (LLVM uses them for 64-bit multiplies) raise IllegalInstruction (EXCCAUSE 0)
 *     there: the user-exception handler computes the high word from MUL16U partial products,
 *     writes it to the destination register and resumes after the instruction (honouring a
 *     zero-overhead loop ending right after it). Everything from tml_twin_emulation_start to
 *     tml_twin_emulation_end is that emulation, so an instruction-counting plugin can leave it out;
 *   - any other exception, an unexpected interrupt level or a double exception reports itself via
 *     tml_twin_fault_report (twin_platform.c: `TML-FAULT ...`, exit status 3) on a private stack.
 * Vector offsets (window 0x000-0x140, kernel 0x300, user 0x340, double 0x3C0, levels 2-7 from
 * 0x180) and the reset vector are those of QEMU's de233_fpu core-isa.h; they equal the ESP32's.
 * Instruction encodings (RRR: op2 23:20, op1 19:16, r 15:12, s 11:8, t 7:4, op0 3:0; MULUH
 * op2=0xA op1=2 op0=0, MULSH op2=0xB) are from the Xtensa ISA reference manual.
 * Written in llvm-mc 22 syntax: no `simcall` mnemonic there, hence `.byte`.
 */
#include <stdint.h>

/* Saved a0..a15 of the interrupted window while an instruction is emulated (single core, no nesting). */
__attribute__((used, aligned(16))) uint32_t tml_twin_exception_save[16];
/* The fault reporter's own stack: a fault may come from a stack overflow. */
__attribute__((used, aligned(16))) uint32_t tml_twin_fault_stack[512];

/* clang-format off */
__asm__(
    /* ---- reset vector (0xFE000000): jump to the start-up code in IRAM ---- */
    "  .section .tml_twin_reset,\"ax\",@progbits\n"
    "  .global tml_twin_reset\n"
    "  .type tml_twin_reset,@function\n"
    "tml_twin_reset:\n"
    "  j 1f\n"
    "  .balign 4\n"
    ".Ltml_reset_target:\n"
    "  .long tml_twin_start\n"
    "1:\n"
    "  l32r a2, .Ltml_reset_target\n"
    "  jx a2\n"

    /* ---- vectors at VECBASE ---- */
    "  .section .tml_twin_vectors,\"ax\",@progbits\n"
    "  .global tml_twin_vectors\n"
    "tml_twin_vectors:\n"
    /* 0x000 WindowOverflow4: spill a0-a3 below the callee's sp (a5). */
    "  s32e a0, a5, -16\n"
    "  s32e a1, a5, -12\n"
    "  s32e a2, a5, -8\n"
    "  s32e a3, a5, -4\n"
    "  rfwo\n"
    /* 0x040 WindowUnderflow4 */
    "  .org 0x40\n"
    "  l32e a0, a5, -16\n"
    "  l32e a1, a5, -12\n"
    "  l32e a2, a5, -8\n"
    "  l32e a3, a5, -4\n"
    "  rfwu\n"
    /* 0x080 WindowOverflow8: a0-a3 below the callee's sp (a9), a4-a7 at the caller's sp - 32. */
    "  .org 0x80\n"
    "  s32e a0, a9, -16\n"
    "  l32e a0, a1, -12\n"
    "  s32e a1, a9, -12\n"
    "  s32e a2, a9, -8\n"
    "  s32e a3, a9, -4\n"
    "  s32e a4, a0, -32\n"
    "  s32e a5, a0, -28\n"
    "  s32e a6, a0, -24\n"
    "  s32e a7, a0, -20\n"
    "  rfwo\n"
    /* 0x0C0 WindowUnderflow8 */
    "  .org 0xC0\n"
    "  l32e a1, a9, -12\n"
    "  l32e a0, a9, -16\n"
    "  l32e a7, a1, -12\n"
    "  l32e a2, a9, -8\n"
    "  l32e a4, a7, -32\n"
    "  l32e a3, a9, -4\n"
    "  l32e a5, a7, -28\n"
    "  l32e a6, a7, -24\n"
    "  l32e a7, a7, -20\n"
    "  rfwu\n"
    /* 0x100 WindowOverflow12: a0-a3 below the callee's sp (a13), a4-a11 at the caller's sp - 48. */
    "  .org 0x100\n"
    "  s32e a0, a13, -16\n"
    "  l32e a0, a1, -12\n"
    "  s32e a1, a13, -12\n"
    "  s32e a2, a13, -8\n"
    "  s32e a3, a13, -4\n"
    "  s32e a4, a0, -48\n"
    "  s32e a5, a0, -44\n"
    "  s32e a6, a0, -40\n"
    "  s32e a7, a0, -36\n"
    "  s32e a8, a0, -32\n"
    "  s32e a9, a0, -28\n"
    "  s32e a10, a0, -24\n"
    "  s32e a11, a0, -20\n"
    "  rfwo\n"
    /* 0x140 WindowUnderflow12 */
    "  .org 0x140\n"
    "  l32e a1, a13, -12\n"
    "  l32e a0, a13, -16\n"
    "  l32e a11, a1, -12\n"
    "  l32e a2, a13, -8\n"
    "  l32e a4, a11, -48\n"
    "  l32e a8, a11, -32\n"
    "  l32e a3, a13, -4\n"
    "  l32e a5, a11, -44\n"
    "  l32e a6, a11, -40\n"
    "  l32e a7, a11, -36\n"
    "  l32e a9, a11, -28\n"
    "  l32e a10, a11, -24\n"
    "  l32e a11, a11, -20\n"
    "  rfwu\n"
    /* 0x180-0x2C0 interrupt levels 2-7 (none is ever enabled): cause 0x100 + level, pc = EPCn. */
    "  .org 0x180\n"
    "  movi a2, 0x102\n"
    "  rsr a3, epc2\n"
    "  j .Ltml_unexpected\n"
    "  .org 0x1C0\n"
    "  movi a2, 0x103\n"
    "  rsr a3, epc3\n"
    "  j .Ltml_unexpected\n"
    "  .org 0x200\n"
    "  movi a2, 0x104\n"
    "  rsr a3, epc4\n"
    "  j .Ltml_unexpected\n"
    "  .org 0x240\n"
    "  movi a2, 0x105\n"
    "  rsr a3, epc5\n"
    "  j .Ltml_unexpected\n"
    "  .org 0x280\n"
    "  movi a2, 0x106\n"
    "  rsr a3, epc6\n"
    "  j .Ltml_unexpected\n"
    "  .org 0x2C0\n"
    "  movi a2, 0x107\n"
    "  rsr a3, epc7\n"
    "  j .Ltml_unexpected\n"
    /* 0x300 KernelExceptionVector (PS.UM is always 1 here, so only a bug lands here). */
    "  .org 0x300\n"
    "  rsr a2, exccause\n"
    "  rsr a3, epc1\n"
    "  rsr a4, excvaddr\n"
    "  j .Ltml_fault\n"
    /* 0x340 UserExceptionVector: the instruction emulation starts here. */
    "  .org 0x340\n"
    "  .global tml_twin_emulation_start\n"
    "tml_twin_emulation_start:\n"
    "  wsr a2, excsave1\n"
    "  j .Ltml_user_exception\n"
    /* 0x3C0 DoubleExceptionVector: an exception inside a window handler or the emulation. */
    "  .org 0x3C0\n"
    "  rsr a2, exccause\n"
    "  rsr a3, depc\n"
    "  rsr a4, excvaddr\n"
    "  j .Ltml_fault\n"
    "  .org 0x400\n"
    ".Ltml_save_address:\n"
    "  .long tml_twin_exception_save\n"
    ".Ltml_user_exception:\n"
    "  l32r a2, .Ltml_save_address\n"
    "  s32i a0, a2, 0\n"
    "  s32i a1, a2, 4\n"
    "  s32i a3, a2, 12\n"
    "  s32i a4, a2, 16\n"
    "  s32i a5, a2, 20\n"
    "  s32i a6, a2, 24\n"
    "  s32i a7, a2, 28\n"
    "  s32i a8, a2, 32\n"
    "  s32i a9, a2, 36\n"
    "  s32i a10, a2, 40\n"
    "  s32i a11, a2, 44\n"
    "  s32i a12, a2, 48\n"
    "  s32i a13, a2, 52\n"
    "  s32i a14, a2, 56\n"
    "  s32i a15, a2, 60\n"
    "  rsr a3, excsave1\n"
    "  s32i a3, a2, 8\n"
    "  rsr a3, exccause\n"
    "  bnez a3, .Ltml_not_emulated\n"
    "  rsr a4, epc1\n"
    "  l8ui a5, a4, 0\n"            /* t:op0 */
    "  l8ui a6, a4, 1\n"            /* r:s */
    "  l8ui a7, a4, 2\n"            /* op2:op1 */
    "  extui a8, a5, 0, 4\n"
    "  bnez a8, .Ltml_not_emulated\n"
    "  movi a8, 0xA2\n"             /* MULUH */
    "  beq a7, a8, 2f\n"
    "  movi a8, 0xB2\n"             /* MULSH */
    "  beq a7, a8, 2f\n"
    "  j .Ltml_not_emulated\n"
    "2:\n"
    "  extui a8, a6, 0, 4\n"
    "  addx4 a8, a8, a2\n"
    "  l32i a8, a8, 0\n"            /* x = AR[s] */
    "  extui a9, a5, 4, 4\n"
    "  addx4 a9, a9, a2\n"
    "  l32i a9, a9, 0\n"            /* y = AR[t] */
    "  extui a11, a8, 0, 16\n"      /* xl */
    "  extui a12, a8, 16, 16\n"     /* xh */
    "  extui a13, a9, 0, 16\n"      /* yl */
    "  extui a14, a9, 16, 16\n"     /* yh */
    "  mul16u a15, a11, a13\n"
    "  extui a15, a15, 16, 16\n"         /* (xl*yl) >> 16 */
    "  mul16u a3, a11, a14\n"       /* xl*yh */
    "  mul16u a4, a12, a13\n"       /* xh*yl */
    "  mul16u a10, a12, a14\n"      /* xh*yh */
    "  extui a11, a3, 0, 16\n"
    "  add a15, a15, a11\n"
    "  extui a11, a4, 0, 16\n"
    "  add a15, a15, a11\n"         /* middle column, < 3 * 2^16 */
    "  extui a11, a3, 16, 16\n"
    "  add a10, a10, a11\n"
    "  extui a11, a4, 16, 16\n"
    "  add a10, a10, a11\n"
    "  extui a11, a15, 16, 16\n"
    "  add a10, a10, a11\n"         /* unsigned high word */
    "  movi a11, 0xB2\n"
    "  bne a7, a11, 4f\n"
    "  bgez a8, 3f\n"
    "  sub a10, a10, a9\n"          /* signed: x < 0 subtracts y */
    "3:\n"
    "  bgez a9, 4f\n"
    "  sub a10, a10, a8\n"          /* signed: y < 0 subtracts x */
    "4:\n"
    "  extui a11, a6, 4, 4\n"
    "  addx4 a11, a11, a2\n"
    "  s32i a10, a11, 0\n"          /* AR[r] = high word */
    "  rsr a4, epc1\n"
    "  addi a4, a4, 3\n"
    "  rsr a5, lend\n"
    "  bne a4, a5, 5f\n"
    "  rsr a5, lcount\n"
    "  beqz a5, 5f\n"
    "  addi a5, a5, -1\n"           /* the instruction ended a zero-overhead loop body: loop back */
    "  wsr a5, lcount\n"
    "  rsr a4, lbeg\n"
    "5:\n"
    "  wsr a4, epc1\n"
    "  l32i a0, a2, 0\n"
    "  l32i a1, a2, 4\n"
    "  l32i a3, a2, 12\n"
    "  l32i a4, a2, 16\n"
    "  l32i a5, a2, 20\n"
    "  l32i a6, a2, 24\n"
    "  l32i a7, a2, 28\n"
    "  l32i a8, a2, 32\n"
    "  l32i a9, a2, 36\n"
    "  l32i a10, a2, 40\n"
    "  l32i a11, a2, 44\n"
    "  l32i a12, a2, 48\n"
    "  l32i a13, a2, 52\n"
    "  l32i a14, a2, 56\n"
    "  l32i a15, a2, 60\n"
    "  l32i a2, a2, 8\n"
    "  rfe\n"
    "  .global tml_twin_emulation_end\n"
    "tml_twin_emulation_end:\n"
    ".Ltml_not_emulated:\n"
    "  rsr a2, exccause\n"
    "  rsr a3, epc1\n"
    "  rsr a4, excvaddr\n"
    "  j .Ltml_fault\n"
    ".Ltml_unexpected:\n"
    "  movi a4, 0\n"
    "  j .Ltml_fault\n"
    "  .balign 4\n"
    ".Ltml_fault_stack_top:\n"
    "  .long tml_twin_fault_stack + 2048\n"
    ".Ltml_fault_ps:\n"
    "  .long 0x40020\n"
    ".Ltml_fault_report:\n"
    "  .long tml_twin_fault_report\n"
    /* a2 = cause, a3 = pc, a4 = vaddr. Only the current window stays live (no spill of frames
     * that may be corrupt), a fresh stack, exceptions enabled again, then C. */
    ".Ltml_fault:\n"
    "  rsr a5, windowbase\n"
    "  ssl a5\n"
    "  movi a6, 1\n"
    "  sll a6, a6\n"
    "  wsr a6, windowstart\n"
    "  rsync\n"
    "  l32r a1, .Ltml_fault_stack_top\n"
    "  l32r a5, .Ltml_fault_ps\n"
    "  wsr a5, ps\n"
    "  rsync\n"
    "  mov a6, a2\n"
    "  mov a7, a3\n"
    "  mov a8, a4\n"
    "  l32r a5, .Ltml_fault_report\n"
    "  callx4 a5\n"
    "6:\n"
    "  j 6b\n"

    /* ---- start-up: window state, VECBASE, FPU, stack, PS; then tml_twin_c_start() ---- */
    "  .section .text.tml_twin_start,\"ax\",@progbits\n"
    "  .balign 4\n"
    ".Ltml_vecbase:\n"
    "  .long tml_twin_vectors\n"
    ".Ltml_stack_top:\n"
    "  .long __tml_stack_top\n"
    ".Ltml_start_ps:\n"
    "  .long 0x40020\n" /* PS: WOE (windowed calls), UM (user vector), INTLEVEL 0, EXCM 0 */
    ".Ltml_c_start:\n"
    "  .long tml_twin_c_start\n"
    "  .global tml_twin_start\n"
    "  .type tml_twin_start,@function\n"
    "tml_twin_start:\n"
    "  movi a0, 0\n"
    "  wsr a0, intenable\n"
    "  wsr a0, windowbase\n"
    "  rsync\n"
    "  movi a2, 1\n"
    "  wsr a2, windowstart\n"
    "  l32r a2, .Ltml_vecbase\n"
    "  wsr a2, vecbase\n"
    "  movi a2, 1\n"
    "  wsr a2, cpenable\n" /* coprocessor 0 = FPU; without it FP ops raise EXCCAUSE 32 */
    "  l32r a1, .Ltml_stack_top\n"
    "  l32r a2, .Ltml_start_ps\n"
    "  wsr a2, ps\n"
    "  rsync\n"
    "  movi a0, 0\n"
    "  l32r a4, .Ltml_c_start\n"
    "  callx4 a4\n"
    "7:\n"
    "  j 7b\n");
/* clang-format on */
