/* mem.c -- memcpy, memmove, memset, memcmp, strlen, strcmp and strncmp for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: LLVM calls these for struct copies and zeroing (and turns a string-length loop
 * into strlen), the firmware calls memcpy, and TFLM compares op names (strcmp, strncmp);
 * Debian's lx106 libc implements them for the call0 ABI, which corrupts windowed callers.
 * Word loops when both pointers share 4-byte alignment (the ESP32 faults on misaligned 32-bit
 * accesses), byte loops otherwise. `no_builtin` keeps LLVM from turning these loops back into
 * calls to the very functions they implement.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TML_RT_NO_BUILTIN __attribute__((no_builtin))

TML_RT_NO_BUILTIN void *memcpy(void *restrict dest, const void *restrict src, size_t n) {
  unsigned char *d = (unsigned char *)dest;
  const unsigned char *s = (const unsigned char *)src;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0u) {
    while (n > 0u && ((uintptr_t)d & 3u) != 0u) {
      *d++ = *s++;
      --n;
    }
    uint32_t *dw = (uint32_t *)(void *)d;
    const uint32_t *sw = (const uint32_t *)(const void *)s;
    for (; n >= 16u; n -= 16u) {
      dw[0] = sw[0];
      dw[1] = sw[1];
      dw[2] = sw[2];
      dw[3] = sw[3];
      dw += 4;
      sw += 4;
    }
    for (; n >= 4u; n -= 4u) {
      *dw++ = *sw++;
    }
    d = (unsigned char *)dw;
    s = (const unsigned char *)sw;
  }
  while (n > 0u) {
    *d++ = *s++;
    --n;
  }
  return dest;
}

TML_RT_NO_BUILTIN void *memmove(void *dest, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dest;
  const unsigned char *s = (const unsigned char *)src;
  if (d == s || n == 0u) {
    return dest;
  }
  if ((uintptr_t)d - (uintptr_t)s >= (uintptr_t)n) {
    return memcpy(dest, src, n); /* no overlap where a forward copy would read what it wrote */
  }
  /* dest starts inside [src, src + n): copy backwards. */
  d += n;
  s += n;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0u) {
    while (n > 0u && ((uintptr_t)d & 3u) != 0u) {
      *--d = *--s;
      --n;
    }
    for (; n >= 4u; n -= 4u) {
      d -= 4;
      s -= 4;
      *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
    }
  }
  while (n > 0u) {
    *--d = *--s;
    --n;
  }
  return dest;
}

TML_RT_NO_BUILTIN void *memset(void *dest, int value, size_t n) {
  unsigned char *d = (unsigned char *)dest;
  const unsigned char byte = (unsigned char)value;
  while (n > 0u && ((uintptr_t)d & 3u) != 0u) {
    *d++ = byte;
    --n;
  }
  const uint32_t word = (uint32_t)byte * 0x01010101u;
  uint32_t *dw = (uint32_t *)(void *)d;
  for (; n >= 16u; n -= 16u) {
    dw[0] = word;
    dw[1] = word;
    dw[2] = word;
    dw[3] = word;
    dw += 4;
  }
  for (; n >= 4u; n -= 4u) {
    *dw++ = word;
  }
  d = (unsigned char *)dw;
  while (n > 0u) {
    *d++ = byte;
    --n;
  }
  return dest;
}

TML_RT_NO_BUILTIN int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a;
  const unsigned char *y = (const unsigned char *)b;
  for (; n > 0u; --n, ++x, ++y) {
    if (*x != *y) {
      return (int)*x - (int)*y;
    }
  }
  return 0;
}

TML_RT_NO_BUILTIN size_t strlen(const char *text) {
  size_t n = 0u;
  while (text[n] != '\0') {
    ++n;
  }
  return n;
}

TML_RT_NO_BUILTIN int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0u; --n, ++a, ++b) {
    const unsigned char x = (unsigned char)*a;
    const unsigned char y = (unsigned char)*b;
    if (x != y || x == 0u) {
      return (int)x - (int)y;
    }
  }
  return 0;
}

TML_RT_NO_BUILTIN int strcmp(const char *a, const char *b) {
  return strncmp(a, b, (size_t)-1);
}
