/* tml_esp_timer.c -- esp_timer_get_time() (esp_idf/esp_timer.h) on the project's platform timer.
 *
 * Why here and not a constant: the kernel wrappers time themselves with it, so it must be a real,
 * monotonic clock. tml_timer_read() counts core clock cycles on the chip (the C3's performance
 * counter) and retired instructions on the emulator twin, which has no clock: there the result is
 * instructions / (TML_ESP_TIMER_CLOCK_HZ / 1 MHz), i.e. microseconds at one instruction per cycle.
 * TML_ESP_TIMER_CLOCK_HZ is the target's clock_hz (site_scons/site_tools/tflm.py defines it).
 */
#include <stdint.h>

#include "esp_timer.h"
#include "tml_platform.h"

#ifndef TML_ESP_TIMER_CLOCK_HZ
#error "TML_ESP_TIMER_CLOCK_HZ (the target's clock in Hz) must be defined"
#endif

int64_t esp_timer_get_time(void) {
  return (int64_t)(tml_timer_read() / (TML_ESP_TIMER_CLOCK_HZ / 1000000u));
}
