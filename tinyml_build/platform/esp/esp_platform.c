/* esp_platform.c -- tml_platform.h for ESP32, ESP32-S3 and ESP32-C3 booted by the ROM loader.
 *
 * Boot: the chip's ROM loader reads the esptool image from flash (0x1000 on the ESP32, 0x0 on the
 * S3/C3), copies its segments into IRAM/DRAM -- the image is RAM-only, the ROM maps no flash --
 * and calls the entry (esp_xtensa.c / esp_riscv.c) as a plain function on the ROM's stack, the
 * way it calls ESP-IDF's second-stage bootloader (components/bootloader/subproject/main/
 * bootloader_start.c, call_start_cpu0). The entry moves to the project's stack and calls
 * tml_esp_start() below. The ROM has already loaded .data, so there is nothing to copy.
 *
 * Watchdogs: for flash boot the ROM arms the timer group 0 main watchdog and the RTC watchdog
 * (their FLASHBOOT_MOD_EN bits; mwdt_ll.h / rwdt_ll.h: "should be disabled by software when
 * flashbooting completes"); a benchmark runs longer than their timeouts, so both timer groups'
 * watchdogs and the RTC watchdog are switched off, and on the S3/C3 the super watchdog is set to
 * feed itself (it has no off switch).
 *
 * Console: the ROM's uart_tx_one_char on UART0 at the ROM's 115200 baud (no UART set-up); '\n'
 * goes out as CR LF. Flush polls UART0 until its FIFO is empty and its transmitter idle (the
 * ESP32 ROM's uart_tx_flush has a bug: ESP-IDF components/esp_rom/patches/esp_rom_serial_output.c
 * replaces it by this poll).
 *
 * Exit: there is nobody to return a status to. tml_exit() flushes the console, prints nothing
 * more and parks the core with interrupts off; the watchdogs being off, the chip stays there until
 * it is reset (EN button, or esptool's reset lines). A chip reset was rejected: it would boot the
 * same image again and repeat the whole report.
 *
 * Cycle timer: CCOUNT (Xtensa) or the C3's machine performance counter, 32 bits, widened to 64
 * in software: reads must come at least once per 2^32 cycles (17.8 s at 240 MHz, 26.8 s at
 * 160 MHz), which the test application's per-inference reads do for any realistic model.
 *
 * Not run on silicon here: written from ESP-IDF, esptool and the TRMs (see tml_esp_chip.h).
 */
#include <stdint.h>

#include "tml_board.h"
#include "tml_esp.h"
#include "tml_esp_chip.h"
#include "tml_platform.h"

int main(void);

/* From the linker script (esp_chip.ld.j2). */
extern uint32_t __tml_bss_start[], __tml_bss_end[];
extern uint32_t __tml_arena_start[], __tml_arena_end[];
typedef void (*tml_init_fn)(void);
extern const tml_init_fn __tml_init_array_start[], __tml_init_array_end[];

typedef int (*tml_rom_tx_one_char_fn)(uint8_t c);

static uint32_t tml_cycles_last;
static uint64_t tml_cycles_total;

static void tml_zero(uint32_t *start, uint32_t *end) {
  /* volatile: keeps the compiler from turning the loop into a memset call. */
  for (volatile uint32_t *word = start; word < end; ++word) {
    *word = 0u;
  }
}

static void tml_disable_watchdogs(void) {
  const uint32_t groups[2] = {TML_ESP_TIMG0_BASE, TML_ESP_TIMG1_BASE};
  for (uint32_t i = 0; i < 2u; ++i) {
    /* WDT_EN, FLASHBOOT_MOD_EN and every stage off. */
    TML_ESP_REG(TML_ESP_TIMG_WDTWPROTECT(groups[i])) = TML_ESP_WDT_WKEY;
    TML_ESP_REG(TML_ESP_TIMG_WDTCONFIG0(groups[i])) = 0u;
#if TML_ESP_TIMG_WDT_CONF_UPDATE
    TML_ESP_REG(TML_ESP_TIMG_WDTCONFIG0(groups[i])) = TML_ESP_TIMG_WDT_CONF_UPDATE; /* latch the change */
#endif
    TML_ESP_REG(TML_ESP_TIMG_WDTWPROTECT(groups[i])) = 0u; /* lock again */
  }
  TML_ESP_REG(TML_ESP_RTC_WDTWPROTECT) = TML_ESP_WDT_WKEY;
  TML_ESP_REG(TML_ESP_RTC_WDTCONFIG0) = 0u; /* WDT_EN and FLASHBOOT_MOD_EN off (what esptool does) */
  TML_ESP_REG(TML_ESP_RTC_WDTWPROTECT) = 0u;
#if TML_ESP_HAS_SWD
  TML_ESP_REG(TML_ESP_RTC_SWD_WPROTECT) = TML_ESP_SWD_WKEY;
  TML_ESP_REG(TML_ESP_RTC_SWD_CONF) |= TML_ESP_SWD_AUTO_FEED_EN;
  TML_ESP_REG(TML_ESP_RTC_SWD_WPROTECT) = 0u;
#endif
}

void tml_esp_start(void) {
  tml_stack_paint(); /* on the project's stack already: the high-water mark main.c reports */
  tml_disable_watchdogs();
  tml_zero(__tml_bss_start, __tml_bss_end);
  tml_zero(__tml_arena_start, __tml_arena_end);
  for (const tml_init_fn *fn = __tml_init_array_start; fn < __tml_init_array_end; ++fn) {
    (*fn)();
  }
  tml_exit(main());
}

void tml_platform_init(void) {
  tml_esp_cycles_start();
  tml_cycles_last = tml_esp_cycles();
  tml_cycles_total = 0u;
}

static void tml_rom_put(char c) {
  ((tml_rom_tx_one_char_fn)(uintptr_t)TML_ESP_ROM_UART_TX_ONE_CHAR)((uint8_t)c);
}

void tml_console_write(const char *text, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (text[i] == '\n') {
      tml_rom_put('\r'); /* terminals want CR LF */
    }
    tml_rom_put(text[i]);
  }
}

void tml_console_flush(void) {
  for (;;) {
    const uint32_t fifo =
        (TML_ESP_REG(TML_ESP_UART0_STATUS) >> TML_ESP_UART0_TXFIFO_CNT_SHIFT) & TML_ESP_UART0_TXFIFO_CNT_MASK;
    const uint32_t state = (TML_ESP_REG(TML_ESP_UART0_FSM_STATUS) >> TML_ESP_UART0_UTX_OUT_SHIFT) & 0xFu;
    if (fifo == 0u && state == 0u) {
      return;
    }
  }
}

tml_timer_kind tml_timer_kind_in_use(void) {
  return TML_TIMER_CYCLES;
}

uint64_t tml_timer_read(void) {
  const uint32_t now = tml_esp_cycles();
  tml_cycles_total += (uint32_t)(now - tml_cycles_last);
  tml_cycles_last = now;
  return tml_cycles_total;
}

uint64_t tml_timer_to_report_units(uint64_t ticks) {
  return ticks;
}

/* Empty on silicon; real functions with their own addresses so that the emulator twins' markers
 * and these stay interchangeable for the test application. */
__attribute__((noinline, used)) void tml_profile_begin(void) {
  __asm volatile("" ::: "memory");
}

__attribute__((noinline, used)) void tml_profile_end(void) {
  __asm volatile("" ::: "memory");
}

__attribute__((noinline, used)) void tml_profile_report(void) {
  __asm volatile("" ::: "memory");
}

void tml_exit(int status) {
  (void)status; /* the TML-RESULT line already said it */
  tml_console_flush();
  tml_esp_park();
}

static const char *tml_vector_name(uint32_t vector) {
  switch (vector) {
    case TML_ESP_VECTOR_KERNEL: return "kernel";
    case TML_ESP_VECTOR_USER: return "user";
    case TML_ESP_VECTOR_DOUBLE: return "double";
    case TML_ESP_VECTOR_INTERRUPT: return "interrupt";
    case TML_ESP_VECTOR_NMI: return "nmi";
    case TML_ESP_VECTOR_TRAP: return "trap";
    default: return "unknown";
  }
}

static void tml_put_text(const char *text) {
  uint32_t n = 0;
  while (text[n] != '\0') {
    ++n;
  }
  tml_console_write(text, n);
}

static void tml_put_hex(uint32_t value) {
  char digits[10] = {'0', 'x'};
  for (uint32_t i = 0; i < 8u; ++i) {
    digits[2u + i] = "0123456789abcdef"[(value >> (28u - 4u * i)) & 0xFu];
  }
  tml_console_write(digits, sizeof(digits));
}

static void tml_put_decimal(uint32_t value) {
  char digits[10];
  uint32_t at = sizeof(digits);
  do {
    digits[--at] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0u);
  tml_console_write(&digits[at], (uint32_t)sizeof(digits) - at);
}

/* Written without tml_printf: the fault path must not depend on varargs or on much of anything. */
void tml_esp_fault(uint32_t vector, uint32_t cause, uint32_t pc, uint32_t address) {
  const char *name = tml_vector_name(vector);
  tml_put_text("\n*** ");
  tml_put_text(name);
  tml_put_text(" exception, cause ");
  tml_put_decimal(cause);
  tml_put_text(" at pc ");
  tml_put_hex(pc);
  tml_put_text("\nTML-FAULT exception=");
  tml_put_decimal(cause);
  tml_put_text(" vector=");
  tml_put_text(name);
  tml_put_text(" pc=");
  tml_put_hex(pc);
  tml_put_text(" address=");
  tml_put_hex(address);
  tml_put_text("\n");
  tml_exit(TML_ESP_EXIT_FAULT);
}
