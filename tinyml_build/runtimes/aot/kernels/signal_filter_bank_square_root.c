/* signal_filter_bank_square_root.c -- SignalFilterBankSquareRoot (uint64 -> uint32), bit-exact with TFLM's
 * signal/src/filter_bank_square_root.cc and square_root_{32,64}.cc.
 *
 * TFLM's square root is the digit-by-digit (two bits per step) integer root, rounded up when the
 * remainder exceeds the root, i.e. to nearest; below 2^32 it runs in 32 bits and never rounds 0xFFFF
 * up, above it never rounds 0xFFFFFFFF up. The lowering keeps scale_bits in 0..31.
 */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Root and remainder by two bits per step from the highest power of four <= n (TFLM's loop). */
static uint32_t tml_sqrt32_rounded(uint32_t n) {
  uint32_t root = 0u, step;
  if (n == 0u) return 0u;
  step = (uint32_t)1 << ((31 - tml_clz32(n)) & ~1);
  while (step != 0u) {
    if (n >= root + step) {
      n -= root + step;
      root = (root >> 1) + step;
    } else {
      root >>= 1;
    }
    step >>= 2;
  }
  return n > root && root != 0xFFFFu ? root + 1u : root;
}

static uint32_t tml_sqrt_rounded(uint64_t n) {
  const uint32_t high = (uint32_t)(n >> 32);
  uint64_t root = 0u, step;
  if (high == 0u) return tml_sqrt32_rounded((uint32_t)n);
  step = (uint64_t)1 << ((63 - tml_clz32(high)) & ~1);
  while (step != 0u) {
    if (n >= root + step) {
      n -= root + step;
      root = (root >> 1) + step;
    } else {
      root >>= 1;
    }
    step >>= 2;
  }
  return (uint32_t)(n > root && root != 0xFFFFFFFFu ? root + 1u : root);
}

void tml_signal_filter_bank_sqrt(const uint64_t *input, uint32_t *output, int32_t n, int32_t scale_bits) {
  int32_t i;
  for (i = 0; i < n; ++i) output[i] = tml_sqrt_rounded(input[i]) >> scale_bits;
}
