/* tml_esp.h -- hooks between the ESP platform layer's common C and its per-ISA file.
 *
 * Why split: the chip start-up (watchdogs, .bss, console, exit) is the same C for the Xtensa
 * chips (ESP32, ESP32-S3) and the RISC-V chip (ESP32-C3); the entry, the trap table, the cycle
 * counter and how the core parks differ (esp_xtensa.c, esp_riscv.c).
 */
#ifndef TML_ESP_H
#define TML_ESP_H

#include <stdint.h>

/* Fault vector numbers passed to tml_esp_fault() (the `vector=` field of the TML-FAULT line);
 * macros, not an enum, because the Xtensa vectors' assembly uses them too. */
#define TML_ESP_VECTOR_KERNEL 0    /* Xtensa KernelExceptionVector */
#define TML_ESP_VECTOR_USER 1      /* Xtensa UserExceptionVector (EXCCAUSE says which exception) */
#define TML_ESP_VECTOR_DOUBLE 2    /* Xtensa DoubleExceptionVector (pc is DEPC) */
#define TML_ESP_VECTOR_INTERRUPT 3 /* Xtensa level 2-5 interrupt or debug vector (none is ever enabled) */
#define TML_ESP_VECTOR_NMI 4       /* Xtensa NMI (level 7) */
#define TML_ESP_VECTOR_TRAP 5      /* RISC-V trap through mtvec (cause is mcause) */

/* Called by the ISA entry on the project's own stack: watchdogs off, .bss and arena zeroed,
 * constructors, main(), tml_exit(). */
void tml_esp_start(void) __attribute__((noreturn));

/* Called by the ISA trap code on a private stack; prints the fault and stops. */
void tml_esp_fault(uint32_t vector, uint32_t cause, uint32_t pc, uint32_t address) __attribute__((noreturn));

/* The ISA's free-running 32-bit cycle counter: start it (if it needs starting) and read it. */
void tml_esp_cycles_start(void);
uint32_t tml_esp_cycles(void);

/* Interrupts off, then wait forever (the watchdogs are off, so the core stays parked). */
void tml_esp_park(void) __attribute__((noreturn));

#endif /* TML_ESP_H */
