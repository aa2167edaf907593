/* console_uart_stm32.c -- register-level STM32 USART transmitter (no vendor HAL).
 *
 * Three register layouts, selected by the generated tml_board.h from the target's console.driver:
 *   TML_UART_STM32F1    F1 USART (SR/DR/BRR/CR1) with F1 GPIO (CRL/CRH nibbles, no AF numbers)
 *   TML_UART_STM32F4    F2/F4 USART (SR/DR/BRR/CR1) with MODER/AFR GPIO
 *   TML_UART_STM32_ISR  H7/U5/L4 USART (CR1/BRR/ISR/TDR) with MODER/AFR GPIO
 * The clock tree is left as reset configures it; tml_board.h carries the BRR divisor computed
 * from the reset bus clock. The same code drives QEMU's netduinoplus2 USART1 model, whose RCC
 * and GPIO are write-ignoring stubs.
 *
 * Exit: a UART board has nobody to return a status to, so tml_exit() prints, drains the
 * transmitter and parks the core; when a debugger is attached (DHCSR.C_DEBUGEN) it also
 * reports the status through semihosting so that probe-driven test runs see it.
 */
#include <stdint.h>

#include "semihosting.h"
#include "tml_board.h"
#include "tml_cmsis_min.h"
#include "tml_platform.h"
#include "tml_platform_internal.h"

#if defined(TML_UART_STM32F1) || defined(TML_UART_STM32F4)
#define TML_USART_STATUS TML_REG32(TML_UART_BASE + 0x00u)
#define TML_USART_TX TML_REG32(TML_UART_BASE + 0x04u)
#define TML_USART_BRR TML_REG32(TML_UART_BASE + 0x08u)
#define TML_USART_CR1 TML_REG32(TML_UART_BASE + 0x0Cu)
#define TML_USART_CR1_ENABLE ((1u << 13) | (1u << 3)) /* UE | TE */
#elif defined(TML_UART_STM32_ISR)
#define TML_USART_CR1 TML_REG32(TML_UART_BASE + 0x00u)
#define TML_USART_BRR TML_REG32(TML_UART_BASE + 0x0Cu)
#define TML_USART_STATUS TML_REG32(TML_UART_BASE + 0x1Cu)
#define TML_USART_TX TML_REG32(TML_UART_BASE + 0x28u)
#define TML_USART_CR1_ENABLE ((1u << 0) | (1u << 3)) /* UE | TE */
#else
#error "tml_board.h selects no STM32 USART layout"
#endif
#define TML_USART_TXE (1u << 7) /* transmit data register empty (TXFNF with the FIFO) */
#define TML_USART_TC (1u << 6)  /* transmission complete */

static void tml_tx_pin_init(void) {
  TML_REG32(TML_UART_TX_CLOCK_REG) |= 1u << TML_UART_TX_CLOCK_BIT;
  (void)TML_REG32(TML_UART_TX_CLOCK_REG); /* let the enable take effect before touching the port */
#if defined(TML_UART_STM32F1)
  /* CRL (pins 0-7) or CRH (8-15): MODE = 0b11 (50 MHz output), CNF = 0b10 (AF push-pull). */
  volatile uint32_t *config = &TML_REG32(TML_UART_TX_PORT_BASE + (TML_UART_TX_PIN < 8 ? 0x00u : 0x04u));
  const uint32_t shift = (TML_UART_TX_PIN % 8u) * 4u;
  *config = (*config & ~(0xFu << shift)) | (0xBu << shift);
#else
  volatile uint32_t *moder = &TML_REG32(TML_UART_TX_PORT_BASE + 0x00u);
  volatile uint32_t *ospeedr = &TML_REG32(TML_UART_TX_PORT_BASE + 0x08u);
  volatile uint32_t *afr = &TML_REG32(TML_UART_TX_PORT_BASE + (TML_UART_TX_PIN < 8 ? 0x20u : 0x24u));
  const uint32_t af_shift = (TML_UART_TX_PIN % 8u) * 4u;
  *afr = (*afr & ~(0xFu << af_shift)) | ((uint32_t)TML_UART_TX_AF << af_shift);
  *ospeedr |= 0x2u << (TML_UART_TX_PIN * 2u);
  *moder = (*moder & ~(0x3u << (TML_UART_TX_PIN * 2u))) | (0x2u << (TML_UART_TX_PIN * 2u)); /* alternate function */
#endif
}

void tml_console_init(void) {
  TML_REG32(TML_UART_CLOCK_REG) |= 1u << TML_UART_CLOCK_BIT;
  (void)TML_REG32(TML_UART_CLOCK_REG);
  tml_tx_pin_init();
  TML_USART_CR1 = 0u;
  TML_USART_BRR = TML_UART_BRR;
  TML_USART_CR1 = TML_USART_CR1_ENABLE;
}

static void tml_uart_put(char c) {
  while ((TML_USART_STATUS & TML_USART_TXE) == 0u) {
  }
  TML_USART_TX = (uint32_t)(uint8_t)c;
}

void tml_console_write(const char *text, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (text[i] == '\n') {
      tml_uart_put('\r'); /* terminals want CR LF */
    }
    tml_uart_put(text[i]);
  }
}

void tml_console_flush(void) {
  while ((TML_USART_STATUS & TML_USART_TC) == 0u) {
  }
}

void tml_exit(int status) {
  tml_console_flush();
  if ((TML_DHCSR & TML_DHCSR_C_DEBUGEN) != 0u) {
    tml_semihost_exit(status);
  }
  tml_disable_irq();
  TML_SYST_CSR = 0u;
  for (;;) {
    tml_wfi();
  }
}
