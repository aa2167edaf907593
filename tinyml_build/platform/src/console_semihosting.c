/* console_semihosting.c -- console over semihosting SYS_WRITE0, one call per line.
 *
 * Why line-buffered: every semihosting call is a trap into the emulator; batching a line keeps
 * the report fast without changing what is printed. Exit goes through SYS_EXIT_EXTENDED so the
 * emulator's exit code is the firmware's status.
 */
#include <stdint.h>

#include "semihosting.h"
#include "tml_platform.h"
#include "tml_platform_internal.h"

static char tml_line[160];
static uint32_t tml_line_length;

void tml_console_flush(void) {
  if (tml_line_length > 0u) {
    tml_line[tml_line_length] = '\0';
    tml_semihost(TML_SYS_WRITE0, tml_line);
    tml_line_length = 0u;
  }
}

void tml_console_write(const char *text, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    tml_line[tml_line_length++] = text[i];
    if (text[i] == '\n' || tml_line_length == sizeof(tml_line) - 1u) {
      tml_console_flush();
    }
  }
}

void tml_console_init(void) {
  tml_line_length = 0u;
}

void tml_exit(int status) {
  tml_console_flush();
  for (;;) {
    tml_semihost_exit(status);
  }
}
