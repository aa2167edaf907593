/* tml_oracle_target.c -- start-up of the pinned TFLM oracle runner cross-compiled for a Cortex-M core.
 *
 * Why our own start-up and not rdimon's crt0: crt0 takes the stack and heap from QEMU's
 * SYS_HEAPINFO answer, which on the MPS2 boards points into RAM outside the memory map the
 * project verified; here the linker script (oracle/target.py) places stack and heap inside the
 * target's own data region and the heap is bounded (__heap_limit, read by rdimon's _sbrk).
 * newlib's rdimon library still does every file operation (semihosting), so the runner's stdio
 * code is the host runner's. argv comes from SYS_GET_CMDLINE (QEMU's -semihosting-config arg=).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TML_SYS_GET_CMDLINE 0x15u
#define TML_SYS_EXIT_EXTENDED 0x20u
#define TML_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define TML_ORACLE_MAX_ARGS 8
#define TML_ORACLE_FAULT_STATUS 70 /* oracle/target.py: the runner crashed */

extern uint32_t __tml_oracle_stack_top[];
extern uint8_t __tml_oracle_heap_end[];
extern uint8_t __bss_start__[];
extern uint8_t __bss_end__[];
extern uint32_t __heap_limit; /* rdimon's (syscalls.c): its _sbrk honours it unless it is 0xcafedead */

int main(int argc, char **argv);
void initialise_monitor_handles(void);
void __libc_init_array(void);
void _init(void);
void _fini(void);
void tml_oracle_reset(void);
void tml_oracle_fault(void);

void _init(void) {
}
void _fini(void) {
}

static uint32_t semihost(uint32_t operation, void *argument) {
  register uint32_t r0 __asm("r0") = operation;
  register void *r1 __asm("r1") = argument;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static char cmdline[512];
static char *args[TML_ORACLE_MAX_ARGS + 1];

/* The runner's arguments: oracle/target.py passes names without spaces (files in its work folder). */
static int split_cmdline(void) {
  uint32_t block[2] = {(uint32_t)(uintptr_t)cmdline, sizeof(cmdline) - 1u};
  if (semihost(TML_SYS_GET_CMDLINE, block) != 0u) return 0;
  cmdline[block[1] < sizeof(cmdline) ? block[1] : sizeof(cmdline) - 1u] = '\0';
  int argc = 0;
  char *p = cmdline;
  while (*p != '\0' && argc < TML_ORACLE_MAX_ARGS) {
    while (*p == ' ') *p++ = '\0';
    if (*p == '\0') break;
    args[argc++] = p;
    while (*p != '\0' && *p != ' ') ++p;
  }
  args[argc] = NULL;
  return argc;
}

__attribute__((noreturn)) void tml_oracle_reset(void) {
#if defined(__ARM_FP)
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10/CP11 full access before any float code */
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
  memset(__bss_start__, 0, (size_t)(__bss_end__ - __bss_start__));
  __heap_limit = (uint32_t)(uintptr_t)__tml_oracle_heap_end;
  initialise_monitor_handles();
  __libc_init_array();
  int argc = split_cmdline();
  exit(main(argc, args));
}

/* Any fault ends QEMU with a status the Python side names, instead of a hang until the timeout. */
__attribute__((noreturn)) void tml_oracle_fault(void) {
  uint32_t block[2] = {TML_ADP_STOPPED_APPLICATION_EXIT, TML_ORACLE_FAULT_STATUS};
  for (;;) semihost(TML_SYS_EXIT_EXTENDED, block);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {__tml_oracle_stack_top,
                                                                                   (const void *)tml_oracle_reset,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   0,
                                                                                   0,
                                                                                   0,
                                                                                   0,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   0,
                                                                                   (const void *)tml_oracle_fault,
                                                                                   (const void *)tml_oracle_fault};
