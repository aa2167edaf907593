/* tml_esp_chip.h -- per-chip constants of the ESP32 / ESP32-S3 / ESP32-C3 platform layer.
 *
 * Why one header: the platform C is the same for the three chips; only addresses and a few
 * register layouts differ. The generated tml_board.h defines exactly one TML_ESP_CHIP_* macro.
 * Nothing here was checked on silicon: every value is cited from its primary source.
 *
 * Sources (ESP-IDF master, 2026-07):
 *   ROM functions   components/esp_rom/<chip>/ld/<chip>.rom.ld (uart_tx_one_char)
 *   peripherals     components/soc/<chip>/register/soc/reg_base.h (DR_REG_*_BASE),
 *                   timer_group_reg.h (TIMG_WDTCONFIG0_REG +0x48, TIMG_WDTWPROTECT_REG +0x64),
 *                   rtc_cntl_reg.h (RTC_CNTL_WDTCONFIG0_REG, RTC_CNTL_WDTWPROTECT_REG,
 *                   RTC_CNTL_SWD_CONF_REG, RTC_CNTL_SWD_WPROTECT_REG), uart_reg.h (UART_STATUS_REG,
 *                   UART_FSM_STATUS_REG); the same watchdog addresses are in esptool 5.6
 *                   esptool/targets/esp32s3.py and esp32c3.py (RTC_CNTL_*_REG).
 *   write keys      components/esp_hal_wdt/<chip>/include/hal/mwdt_ll.h, rwdt_ll.h (0x50D83AA1,
 *                   super watchdog 0x8F1D312A)
 *   TX idle         components/esp_hal_uart/<chip>/include/hal/uart_ll.h, uart_ll_is_tx_idle():
 *                   TX FIFO count 0 and the TX state machine (st_utx_out) 0
 */
#ifndef TML_ESP_CHIP_H
#define TML_ESP_CHIP_H

#include <stdint.h>

#include "tml_board.h"

#define TML_ESP_REG(address) (*(volatile uint32_t *)(uintptr_t)(address))

#if defined(TML_ESP_CHIP_ESP32) && TML_ESP_CHIP_ESP32
#define TML_ESP_ROM_UART_TX_ONE_CHAR 0x40009200u /* esp32.rom.ld */
#define TML_ESP_UART0_STATUS 0x3FF4001Cu         /* UART_STATUS_REG(0): DR_REG_UART_BASE 0x3FF40000 + 0x1C */
#define TML_ESP_UART0_TXFIFO_CNT_SHIFT 16u       /* UART_TXFIFO_CNT: bits 23:16 */
#define TML_ESP_UART0_TXFIFO_CNT_MASK 0xFFu
#define TML_ESP_UART0_FSM_STATUS TML_ESP_UART0_STATUS /* UART_ST_UTX_OUT: bits 27:24 of the same register */
#define TML_ESP_UART0_UTX_OUT_SHIFT 24u
#define TML_ESP_TIMG0_BASE 0x3FF5F000u /* DR_REG_TIMERGROUP0_BASE */
#define TML_ESP_TIMG1_BASE 0x3FF60000u /* DR_REG_TIMERGROUP1_BASE */
#define TML_ESP_TIMG_WDT_CONF_UPDATE 0u
#define TML_ESP_RTC_WDTCONFIG0 0x3FF4808Cu  /* DR_REG_RTCCNTL_BASE 0x3FF48000 + 0x8C */
#define TML_ESP_RTC_WDTWPROTECT 0x3FF480A4u /* + 0xA4 */
#define TML_ESP_HAS_SWD 0

#elif defined(TML_ESP_CHIP_ESP32S3) && TML_ESP_CHIP_ESP32S3
#define TML_ESP_ROM_UART_TX_ONE_CHAR 0x40000648u /* esp32s3.rom.ld */
#define TML_ESP_UART0_STATUS 0x6000001Cu         /* UART_STATUS_REG(0): DR_REG_UART_BASE 0x60000000 + 0x1C */
#define TML_ESP_UART0_TXFIFO_CNT_SHIFT 16u       /* UART_TXFIFO_CNT: bits 25:16 */
#define TML_ESP_UART0_TXFIFO_CNT_MASK 0x3FFu
#define TML_ESP_UART0_FSM_STATUS 0x6000006Cu /* UART_FSM_STATUS_REG(0); UART_ST_UTX_OUT: bits 7:4 */
#define TML_ESP_UART0_UTX_OUT_SHIFT 4u
#define TML_ESP_TIMG0_BASE 0x6001F000u /* DR_REG_TIMERGROUP0_BASE */
#define TML_ESP_TIMG1_BASE 0x60020000u /* DR_REG_TIMERGROUP1_BASE */
#define TML_ESP_TIMG_WDT_CONF_UPDATE 0u
#define TML_ESP_RTC_WDTCONFIG0 0x60008098u  /* DR_REG_RTCCNTL_BASE 0x60008000 + 0x98 */
#define TML_ESP_RTC_WDTWPROTECT 0x600080B0u /* + 0xB0 */
#define TML_ESP_HAS_SWD 1
#define TML_ESP_RTC_SWD_CONF 0x600080B4u     /* + 0xB4 */
#define TML_ESP_RTC_SWD_WPROTECT 0x600080B8u /* + 0xB8 */

#elif defined(TML_ESP_CHIP_ESP32C3) && TML_ESP_CHIP_ESP32C3
#define TML_ESP_ROM_UART_TX_ONE_CHAR 0x40000068u /* esp32c3.rom.ld */
#define TML_ESP_UART0_STATUS 0x6000001Cu         /* UART_STATUS_REG(0): DR_REG_UART_BASE 0x60000000 + 0x1C */
#define TML_ESP_UART0_TXFIFO_CNT_SHIFT 16u       /* UART_TXFIFO_CNT: bits 25:16 */
#define TML_ESP_UART0_TXFIFO_CNT_MASK 0x3FFu
#define TML_ESP_UART0_FSM_STATUS 0x6000006Cu /* UART_FSM_STATUS_REG(0); UART_ST_UTX_OUT: bits 7:4 */
#define TML_ESP_UART0_UTX_OUT_SHIFT 4u
#define TML_ESP_TIMG0_BASE 0x6001F000u /* DR_REG_TIMERGROUP0_BASE */
#define TML_ESP_TIMG1_BASE 0x60020000u /* DR_REG_TIMERGROUP1_BASE */
/* TIMG_WDT_CONF_UPDATE_EN (bit 22): a WDTCONFIG0 change takes effect once this bit is set
 * (timer_group_reg.h; mwdt_ll.h sets it after every configuration change). */
#define TML_ESP_TIMG_WDT_CONF_UPDATE (1u << 22)
#define TML_ESP_RTC_WDTCONFIG0 0x60008090u  /* DR_REG_RTCCNTL_BASE 0x60008000 + 0x90 */
#define TML_ESP_RTC_WDTWPROTECT 0x600080A8u /* + 0xA8 */
#define TML_ESP_HAS_SWD 1
#define TML_ESP_RTC_SWD_CONF 0x600080ACu     /* + 0xAC */
#define TML_ESP_RTC_SWD_WPROTECT 0x600080B0u /* + 0xB0 */

#else
#error "tml_board.h defines no TML_ESP_CHIP_ESP32 / _ESP32S3 / _ESP32C3"
#endif

/* Timer group main watchdog (MWDT): WDTCONFIG0 at +0x48 holds WDT_EN (bit 31) and
 * WDT_FLASHBOOT_MOD_EN (bit 14, set by the ROM for flash boot); WDTWPROTECT at +0x64. */
#define TML_ESP_TIMG_WDTCONFIG0(base) ((base) + 0x48u)
#define TML_ESP_TIMG_WDTWPROTECT(base) ((base) + 0x64u)
/* Write-protect key of the MWDT and the RTC watchdog; any other value locks the registers. */
#define TML_ESP_WDT_WKEY 0x50D83AA1u
/* Super watchdog (S3, C3): key for RTC_CNTL_SWD_WPROTECT_REG, and SWD_AUTO_FEED_EN (bit 31) in
 * RTC_CNTL_SWD_CONF_REG -- what the ESP-IDF bootloader (bootloader_super_wdt_auto_feed) and
 * esptool (disable_watchdogs) do, since the super watchdog cannot be stopped otherwise. */
#define TML_ESP_SWD_WKEY 0x8F1D312Au
#define TML_ESP_SWD_AUTO_FEED_EN (1u << 31)

/* Exit status of a fault (the same number the Cortex-M layer uses). */
#define TML_ESP_EXIT_FAULT 3

#endif /* TML_ESP_CHIP_H */
