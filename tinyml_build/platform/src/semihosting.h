/* semihosting.h -- Arm semihosting calls (BKPT 0xAB), for QEMU and debug probes.
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

static inline uint32_t tml_semihost(uint32_t operation, const void *argument) {
  register uint32_t r0 __asm("r0") = operation;
  register const void *r1 __asm("r1") = argument;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Ends the emulation (or the debug session) with `status` as the host process's exit code. */
static inline void tml_semihost_exit(int status) {
  const uint32_t block[2] = {TML_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  tml_semihost(TML_SYS_EXIT_EXTENDED, block);
}

#endif /* TML_SEMIHOSTING_H */
