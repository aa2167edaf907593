/* tml_print.c -- the console formatter declared in tml_print.h. */
#include "tml_print.h"

#include <stdarg.h>
#include <stdint.h>

#include "tml_platform.h"

static void tml_emit_padded(const char *digits, uint32_t length, uint32_t width, char pad, int negative) {
  char padding[24];
  uint32_t fill = 0;
  uint32_t total = length + (negative ? 1u : 0u);
  if (negative && pad == '0') {
    tml_console_write("-", 1);
  }
  while (total + fill < width && fill < sizeof(padding)) {
    padding[fill++] = pad;
  }
  tml_console_write(padding, fill);
  if (negative && pad != '0') {
    tml_console_write("-", 1);
  }
  tml_console_write(digits, length);
}

static void tml_emit_unsigned(uint64_t value, uint32_t base, int upper, uint32_t width, char pad, int negative) {
  const char *const symbols = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[24];
  uint32_t at = sizeof(digits);
  do {
    digits[--at] = symbols[value % base];
    value /= base;
  } while (value != 0u);
  tml_emit_padded(&digits[at], (uint32_t)sizeof(digits) - at, width, pad, negative);
}

void tml_printf(const char *format, ...) {
  va_list args;
  va_start(args, format);
  tml_vprintf(format, args);
  va_end(args);
}

void tml_vprintf(const char *format, va_list args) {
  for (const char *p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      const char *run = p;
      while (p[1] != '\0' && p[1] != '%') {
        ++p;
      }
      tml_console_write(run, (uint32_t)(p - run + 1));
      continue;
    }
    ++p;
    char pad = ' ';
    uint32_t width = 0;
    int longs = 0;
    if (*p == '0') {
      pad = '0';
      ++p;
    }
    while (*p >= '0' && *p <= '9') {
      width = width * 10u + (uint32_t)(*p++ - '0');
    }
    while (*p == 'l') {
      ++longs;
      ++p;
    }
    switch (*p) {
      case 'd':
      case 'i': {
        const int64_t value =
            longs >= 2 ? va_arg(args, long long) : (longs == 1 ? va_arg(args, long) : va_arg(args, int));
        const uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
        tml_emit_unsigned(magnitude, 10u, 0, width, pad, value < 0);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        const uint64_t value = longs >= 2 ? va_arg(args, unsigned long long)
                                          : (longs == 1 ? va_arg(args, unsigned long) : va_arg(args, unsigned int));
        tml_emit_unsigned(value, *p == 'u' ? 10u : 16u, *p == 'X', width, pad, 0);
        break;
      }
      case 'c': {
        const char c = (char)va_arg(args, int);
        tml_emit_padded(&c, 1u, width, ' ', 0);
        break;
      }
      case 's': {
        const char *s = va_arg(args, const char *);
        uint32_t length = 0;
        if (s == 0) {
          s = "(null)";
        }
        while (s[length] != '\0') {
          ++length;
        }
        tml_emit_padded(s, length, width, ' ', 0);
        break;
      }
      case '%': tml_console_write("%", 1); break;
      case '\0':
        --p; /* a lone '%' at the end: stop at the terminator */
        break;
      default:
        tml_console_write(p - 1, 2u); /* unknown conversion: print it as written */
        break;
    }
  }
}

void tml_print_hex_bytes(const uint8_t *bytes, uint32_t n) {
  static const char symbols[] = "0123456789abcdef";
  char chunk[64];
  uint32_t used = 0;
  for (uint32_t i = 0; i < n; ++i) {
    chunk[used++] = symbols[bytes[i] >> 4];
    chunk[used++] = symbols[bytes[i] & 0xFu];
    if (used == sizeof(chunk)) {
      tml_console_write(chunk, used);
      used = 0;
    }
  }
  tml_console_write(chunk, used);
}
