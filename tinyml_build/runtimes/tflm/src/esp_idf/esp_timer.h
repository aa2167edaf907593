/* esp_timer.h -- the one ESP-IDF function ESP-NN's TFLM kernel wrappers call, for images without
 * ESP-IDF.
 *
 * Why: the kernel wrappers in espressif/esp-tflite-micro's esp_nn/ folder include <esp_timer.h> and add
 * esp_timer_get_time() differences to per-kernel totals (conv_total_time, ...) that nothing in an
 * image reads. ESP-IDF's own header brings its whole component; this one declares only what the
 * wrappers use, with ESP-IDF's signature, and tml_esp_timer.c implements it on the platform timer.
 */
#ifndef TML_ESP_TIMER_H
#define TML_ESP_TIMER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Microseconds since the platform timer started (ESP-IDF: since esp_timer's start at boot). */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif

#endif /* TML_ESP_TIMER_H */
