/* int64.c -- 64-bit integer division and remainder for windowed Xtensa code (part of xtensa_rt).
 *
 * Why our own: the Xtensa cores divide 32-bit numbers in hardware (QUOU/REMU) but LLVM calls
 * __udivdi3/__umoddi3/__divdi3/__moddi3 for 64-bit `/` and `%` (tml_print's number formatting,
 * kernels' 64-bit rounding); Debian's lx106 libgcc has them only for the call0 ABI.
 * Semantics are C's: quotients truncate toward zero, a remainder has the dividend's sign.
 * Division by zero is undefined in C; here it gives an all-ones quotient and the dividend as
 * remainder instead of hanging. Nothing in this file may use a 64-bit `/` or `%` itself.
 */
#include <stdint.h>

#include "tml_rt_bits.h"

uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

/* Quotient of n / d; the remainder goes to *remainder. */
static uint64_t tml_rt_udivmod64(uint64_t n, uint64_t d, uint64_t *remainder) {
  if (d == 0u) {
    *remainder = n;
    return ~(uint64_t)0;
  }
  if ((n >> 32) == 0u) {
    if ((d >> 32) != 0u) {
      *remainder = n;
      return 0u;
    }
    *remainder = (uint32_t)n % (uint32_t)d; /* 32-bit: QUOU/REMU */
    return (uint32_t)n / (uint32_t)d;
  }
  if (n < d) {
    *remainder = n;
    return 0u;
  }
  /* Shift-subtract long division, starting at the quotient's highest possible bit. */
  const uint32_t shift = tml_rt_clz64(d) - tml_rt_clz64(n);
  uint64_t divisor = d << shift;
  uint64_t quotient = 0u;
  for (uint32_t i = 0; i <= shift; ++i) {
    quotient <<= 1;
    if (n >= divisor) {
      n -= divisor;
      quotient |= 1u;
    }
    divisor >>= 1;
  }
  *remainder = n;
  return quotient;
}

static uint64_t tml_rt_magnitude(int64_t x) {
  return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) {
  uint64_t remainder;
  return tml_rt_udivmod64(n, d, &remainder);
}

uint64_t __umoddi3(uint64_t n, uint64_t d) {
  uint64_t remainder;
  (void)tml_rt_udivmod64(n, d, &remainder);
  return remainder;
}

int64_t __divdi3(int64_t n, int64_t d) {
  uint64_t remainder;
  const uint64_t q = tml_rt_udivmod64(tml_rt_magnitude(n), tml_rt_magnitude(d), &remainder);
  return (int64_t)(((n < 0) != (d < 0)) ? (uint64_t)0 - q : q);
}

int64_t __moddi3(int64_t n, int64_t d) {
  uint64_t remainder;
  (void)tml_rt_udivmod64(tml_rt_magnitude(n), tml_rt_magnitude(d), &remainder);
  return (int64_t)(n < 0 ? (uint64_t)0 - remainder : remainder);
}
