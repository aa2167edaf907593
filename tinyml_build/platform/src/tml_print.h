/* tml_print.h -- a small printf for the console.
 *
 * Why not newlib's printf: it costs several KB of flash and pulls in the heap and stdio
 * syscalls; the report needs integers, hex and strings only. Supported conversions:
 * %s %c %d %i %u %x %X %%, the length modifiers l and ll (64-bit), a '0' flag and a width.
 */
#ifndef TML_PRINT_H
#define TML_PRINT_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void tml_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The same with the arguments as a va_list (for printf-shaped entry points of upstream code). */
void tml_vprintf(const char *format, va_list args) __attribute__((format(printf, 1, 0)));

/* `n` bytes as lowercase hex digits, no separators. */
void tml_print_hex_bytes(const uint8_t *bytes, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* TML_PRINT_H */
