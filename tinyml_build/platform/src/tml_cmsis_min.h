/* tml_cmsis_min.h -- the few Cortex-M system registers the platform layer touches.
 *
 * Why not CMSIS-Core: the platform layer is the project's own (no vendor code); it needs a
 * dozen architecturally defined addresses (Armv7-M / Armv8-M ARM, "System Control Space").
 */
#ifndef TML_CMSIS_MIN_H
#define TML_CMSIS_MIN_H

#include <stdint.h>

#define TML_REG32(address) (*(volatile uint32_t *)(uintptr_t)(address))

/* System Control Block */
#define TML_SCB_ICSR TML_REG32(0xE000ED04u)
#define TML_SCB_VTOR TML_REG32(0xE000ED08u)
#define TML_SCB_SHCSR TML_REG32(0xE000ED24u)
#define TML_SCB_CFSR TML_REG32(0xE000ED28u)
#define TML_SCB_HFSR TML_REG32(0xE000ED2Cu)
#define TML_SCB_MMFAR TML_REG32(0xE000ED34u)
#define TML_SCB_BFAR TML_REG32(0xE000ED38u)
#define TML_SCB_CPACR TML_REG32(0xE000ED88u)
#define TML_SCB_SFSR TML_REG32(0xE000EDE4u) /* Armv8-M Security Extension */
#define TML_SCB_SFAR TML_REG32(0xE000EDE8u)
#define TML_SCB_SHCSR_FAULTS_ENABLE ((1u << 16) | (1u << 17) | (1u << 18)) /* MemManage, BusFault, UsageFault */

/* Debug */
#define TML_DHCSR TML_REG32(0xE000EDF0u)
#define TML_DHCSR_C_DEBUGEN (1u << 0)
#define TML_DEMCR TML_REG32(0xE000EDFCu)
#define TML_DEMCR_TRCENA (1u << 24)

/* Data Watchpoint and Trace unit */
#define TML_DWT_CTRL TML_REG32(0xE0001000u)
#define TML_DWT_CYCCNT TML_REG32(0xE0001004u)
#define TML_DWT_LAR TML_REG32(0xE0001FB0u)
#define TML_DWT_LAR_UNLOCK 0xC5ACCE55u
#define TML_DWT_CTRL_CYCCNTENA (1u << 0)

/* SysTick */
#define TML_SYST_CSR TML_REG32(0xE000E010u)
#define TML_SYST_RVR TML_REG32(0xE000E014u)
#define TML_SYST_CVR TML_REG32(0xE000E018u)
#define TML_SYST_CSR_ENABLE (1u << 0)
#define TML_SYST_CSR_TICKINT (1u << 1)
#define TML_SYST_CSR_CLKSOURCE (1u << 2) /* 1 = processor clock */
#define TML_SYST_CSR_COUNTFLAG (1u << 16)
#define TML_SYST_MAX_RELOAD 0x00FFFFFFu

static inline void tml_dsb(void) {
  __asm volatile("dsb" ::: "memory");
}
static inline void tml_isb(void) {
  __asm volatile("isb" ::: "memory");
}
static inline void tml_disable_irq(void) {
  __asm volatile("cpsid i" ::: "memory");
}
static inline void tml_enable_irq(void) {
  __asm volatile("cpsie i" ::: "memory");
}
static inline void tml_wfi(void) {
  __asm volatile("wfi");
}

#endif /* TML_CMSIS_MIN_H */
