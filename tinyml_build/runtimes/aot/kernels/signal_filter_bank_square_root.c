/* signal_filter_bank_square_root.c -- SignalFilterBankSquareRoot (uint64 -> uint32), bit-exact with TFLM's
 * signal/src/filter_bank_square_root.cc and square_root_{32,64}.cc.
 *
 * TFLM's square root is the digit-by-digit (two bits per step) integer root, rounded up when the
 * remainder exceeds the root, i.e. to nearest; below 2^32 it runs in 32 bits and never rounds 0xFFFF
 * up, above it never rounds 0xFFFFFFFF up. The lowering keeps a constant scale_bits in 0..31; one
 * computed by the graph (TFLM's audio preprocessor: SignalFftAutoScale's shift) is read at run time
 * and checked here.
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

/* One step of the root bit by bit, bringing down the next two bits of n (`pair`): the remainder
 * stays n - root^2 of the bits brought down so far. */
#define TML_SQRT_STEP(rem, root, trial_type, pair)            \
  do {                                                        \
    const trial_type trial_ = ((trial_type)(root) << 2) | 1u; \
    (rem) = ((rem) << 2) | (pair);                            \
    (root) <<= 1;                                             \
    if ((rem) >= trial_) {                                    \
      (rem) -= trial_;                                        \
      (root) |= 1u;                                           \
    }                                                         \
  } while (0)

/* From 2^32 up, the same root bit by bit, two bits of n per step. After t steps the remainder is
 * below 2^(t+1), so a value below 2^60 (at most 30 steps) runs in 32 bits, its low word's 16 steps
 * unrolled with constant shifts; from 2^60 the last steps need a 64-bit remainder. */
static uint32_t tml_sqrt_rounded(uint64_t n) {
  const uint32_t high = (uint32_t)(n >> 32), low = (uint32_t)n;
  const int32_t pairs = (64 - tml_clz32(high) + 1) / 2; /* 17..32 when high != 0 */
  uint32_t root = 0u, rem = 0u;
  uint64_t rem64;
  int32_t i;
  if (high == 0u) return tml_sqrt32_rounded(low);
  for (i = pairs - 17; i >= 0; --i) TML_SQRT_STEP(rem, root, uint32_t, (high >> (2 * i)) & 3u);
  if (pairs <= 30) {
    TML_SQRT_STEP(rem, root, uint32_t, low >> 30);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 28) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 26) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 24) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 22) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 20) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 18) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 16) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 14) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 12) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 10) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 8) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 6) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 4) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, (low >> 2) & 3u);
    TML_SQRT_STEP(rem, root, uint32_t, low & 3u);
    return rem > root && root != 0xFFFFFFFFu ? root + 1u : root;
  }
  for (i = 15; pairs - i <= 30; --i) TML_SQRT_STEP(rem, root, uint32_t, (low >> (2 * i)) & 3u);
  rem64 = rem;
  for (; i >= 0; --i) TML_SQRT_STEP(rem64, root, uint64_t, (low >> (2 * i)) & 3u);
  return rem64 > root && root != 0xFFFFFFFFu ? root + 1u : root;
}

void tml_signal_filter_bank_sqrt(const uint64_t *input, uint32_t *output, int32_t n, int32_t scale_bits) {
  int32_t i;
  for (i = 0; i < n; ++i) output[i] = tml_sqrt_rounded(input[i]) >> scale_bits;
}

/* scale_bits read from its tensor at run time, as TFLM's Eval does; 1 (nothing written) when it is
 * outside 0..31, where TFLM's shift would be undefined. */
int32_t tml_signal_filter_bank_sqrt_run_time_bits(const uint64_t *input, uint32_t *output, int32_t n,
                                                  const int32_t *scale_bits) {
  const int32_t bits = *scale_bits;
  if (bits < 0 || bits > 31) return 1;
  tml_signal_filter_bank_sqrt(input, output, n, bits);
  return 0;
}
