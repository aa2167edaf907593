/* startup.c -- minimal bare-metal start for target_check.py on QEMU mps2-an386 (Cortex-M4F).
 *
 * Why not the firmware platform: this only needs to run one generated model under QEMU and talk
 * through semihosting; keeping it self-contained lets kernel authors check the Armv7E-M SIMD
 * paths without a board file or a firmware build. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void tml_sh_write0(const char *text);
void tml_sh_exit(int code);

static int tml_semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void tml_sh_write0(const char *text) {
  (void)tml_semihost(0x04, text); /* SYS_WRITE0 */
}

void tml_sh_exit(int code) {
  const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
  (void)tml_semihost(0x20, block);                      /* SYS_EXIT_EXTENDED */
  for (;;) {
  }
}

void Reset_Handler(void);
void Reset_Handler(void) {
  uint32_t *src = &_sidata;
  uint32_t *dst = &_sdata;
  while (dst < &_edata) {
    *dst++ = *src++;
  }
  for (dst = &_sbss; dst < &_ebss;) {
    *dst++ = 0u;
  }
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: enable the FPU */
  __asm__ volatile("dsb\n isb" ::: "memory");
  tml_sh_exit(main());
}

static void Fault_Handler(void) {
  tml_sh_write0("fault\n");
  tml_sh_exit(3);
}

__attribute__((section(".vectors"), used)) static void (*const tml_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    0,
    0,
    0,
    0,
    Fault_Handler,
    Fault_Handler,
    0,
    Fault_Handler,
    Fault_Handler};
