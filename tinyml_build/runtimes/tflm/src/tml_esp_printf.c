/* tml_esp_printf.c -- printf() for ESP-NN, on the platform console.
 *
 * Why: ESP-NN's portable sources print one error with printf (esp_nn_softmax_opt.c: the scratch
 * buffer was not set); under ESP-IDF that reaches the console through newlib's stdio. Here the C
 * library's printf would need stdio's FILE machinery, which this platform does not have (it does not
 * link), so printf formats with the platform's small printf (tml_print.h: %s %c %d %i %u %x, l/ll,
 * width) and writes to the same console. The character count is not kept: it returns 0, which ESP-NN
 * never reads.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tml_print.h"

int printf(const char *format, ...) {
  va_list args;
  va_start(args, format);
  tml_vprintf(format, args);
  va_end(args);
  return 0;
}
