/* semihosting.h -- semihosting calls for QEMU and debug probes: Arm (BKPT 0xAB) and RISC-V (the
 * `slli; ebreak; srai` sequence of the RISC-V semihosting specification, which QEMU recognizes).
 *
 * Only valid when a debugger or emulator services them: on a bare board a semihosting call
 * without a debugger is a HardFault. The platform uses it for the console on QEMU targets and
 * for the exit status everywhere a host is listening.
 */
#ifndef TML_SEMIHOSTING_H
#define TML_SEMIHOSTING_H

#include <stdint.h>

#define TML_SYS_WRITE0 0x04u
#define TML_SYS_EXIT 0x18u
#define TML_SYS_EXIT_EXTENDED 0x20u /* carries a full exit status; SYS_EXIT only tells 0 from 1 */
#define TML_ADP_STOPPED_APPLICATION_EXIT 0x20026u

#if defined(__riscv)
/* The three instructions must be uncompressed and in one page: aligned to 16 bytes. */
static inline uint32_t tml_semihost(uint32_t operation, const void *argument) {
  register uint32_t a0 __asm("a0") = operation;
  register const void *a1 __asm("a1") = argument;
  __asm volatile(".option push\n.option norvc\n.balign 16\n"
                 "slli zero, zero, 0x1f\nebreak\nsrai zero, zero, 7\n.option pop"
                 : "+r"(a0)
                 : "r"(a1)
                 : "memory");
  return a0;
}
#else
static inline uint32_t tml_semihost(uint32_t operation, const void *argument) {
  register uint32_t r0 __asm("r0") = operation;
  register const void *r1 __asm("r1") = argument;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
#endif

/* Ends the emulation (or the debug session) with `status` as the host process's exit code. */
static inline void tml_semihost_exit(int status) {
  const uint32_t block[2] = {TML_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  tml_semihost(TML_SYS_EXIT_EXTENDED, block);
}

#endif /* TML_SEMIHOSTING_H */
