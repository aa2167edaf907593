/* tml_esp_timer_default.c -- esp_timer_get_time() for an exported ESP-NN library built without ESP-IDF.
 *
 * Why: ESP-NN's TFLM kernel wrappers (esp-tflite-micro's esp_nn/) add esp_timer_get_time() differences
 * to per-kernel time totals that no inference result depends on. Under ESP-IDF the export's component
 * takes ESP-IDF's esp_timer and this file is not compiled; in any other build it is, so the library
 * links without ESP-IDF: this weak default returns 0 (the totals stay 0). An application with a
 * microsecond clock defines its own esp_timer_get_time(), which replaces this one at link time.
 */
#include <stdint.h>

#include "esp_timer.h"

__attribute__((weak)) int64_t esp_timer_get_time(void) {
  return 0;
}
