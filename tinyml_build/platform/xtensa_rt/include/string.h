/* string.h -- the memory functions xtensa_rt provides, for freestanding Xtensa builds.
 *
 * Why our own: the Xtensa build never sees the host's headers (-nostdlibinc) and links no libc
 * (Debian's lx106 libc is call0-ABI code); these are what the firmware and LLVM call.
 */
#ifndef TML_XTENSA_RT_STRING_H
#define TML_XTENSA_RT_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *memcpy(void *restrict dest, const void *restrict src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int value, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *text);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TML_XTENSA_RT_STRING_H */
