/* tml_tflm_platform.cc -- what TFLM expects from a platform, on the project's platform layer.
 *
 * Why our own: TFLM's default debug_log.cc prints with newlib's vfprintf(stderr), which needs
 * stdio syscalls this bare-metal platform does not have; its cortex_m_generic variant needs a
 * callback registered at start-up. Here TFLM's messages (MicroPrintf: errors such as a failed
 * allocation) go straight to the platform console, and tml_tflm_log_quiet lets the arena probe
 * try arenas that are too small without flooding the console.
 *
 * Also here: abort(), __assert_func (newlib's print through stdio, whose file syscalls this
 * platform does not have) and __cxa_pure_virtual (referenced by the vtables of TFLM's abstract
 * classes; the image would otherwise take it from libsupc++, which is not linked).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "tensorflow/lite/micro/debug_log.h"
#include "tml_platform.h"
#include "tml_print.h"
#include "tml_tflm.h"

extern "C" {

volatile int tml_tflm_log_quiet = 0;

void DebugLog(const char *format, va_list args) {
#ifndef TF_LITE_STRIP_ERROR_STRINGS
  if (tml_tflm_log_quiet) {
    return;
  }
  char line[256];
  const int n = vsnprintf(line, sizeof line, format, args);
  if (n > 0) {
    tml_console_write(line, (uint32_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
  }
#else
  (void)format;
  (void)args;
#endif
}

#ifndef TF_LITE_STRIP_ERROR_STRINGS
int DebugVsnprintf(char *buffer, size_t buf_size, const char *format, va_list vlist) {
  return vsnprintf(buffer, buf_size, format, vlist);
}
#endif

/* TFLM's TFLITE_ABORT / TFLITE_ASSERT_FALSE: report and stop with the fault status, instead of
 * newlib's abort(), which raises SIGABRT through syscalls (_kill, _getpid) this platform lacks. */
void abort(void) {
  static const char message[] = "TFLM: abort() called\n";
  tml_console_write(message, sizeof message - 1);
  tml_exit(3);
}

/* assert() in TFLM's shared TFLite code: newlib's __assert_func prints with fiprintf(stderr),
 * which would bring in stdio and the file syscalls; print with the platform's small printf and stop. */
void __assert_func(const char *file, int line, const char *function, const char *expression) {
  tml_printf("TFLM: assertion '%s' failed in %s (%s:%d)\n", expression, function != NULL ? function : "?", file, line);
  tml_exit(3);
}

/* A pure virtual function was called: a bug, never a model or input problem. */
void __cxa_pure_virtual(void) {
  static const char message[] = "TFLM: pure virtual function called\n";
  tml_console_write(message, sizeof message - 1);
  tml_exit(3);
}

}  // extern "C"
