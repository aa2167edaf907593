/* tml_requant.h -- the int8 output stage of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D
 * (per-channel or per-tensor): int32 accumulators -> TFLM's exact int8 outputs.
 *
 * Why a separate pass over a block of accumulators: the dot-product loops need every register
 * the core has, and interleaving the requantization with them made the compiler spill and
 * reload the epilogue's constants for every output. Kernels accumulate a block of outputs into
 * an int32 buffer (on the stack, TML_REQUANT_BLOCK values), then call tml_requant_s8 once, whose
 * loop keeps everything in registers. Per output it is one load of the accumulator, one of the
 * channel's (multiplier, rshift) pair, tml_requant's fast form and one saturating store.
 */
#ifndef TML_REQUANT_H
#define TML_REQUANT_H

#include <stdint.h>

#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Accumulators per block: bounds the stack buffer of the kernels that use tml_requant_s8. */
#define TML_REQUANT_BLOCK 32

/* t >> 1 (half of t, rounded down) saturated to int8: one SSAT (with its shift) on Armv7E-M.
 * tml_requant_s8 passes t = (high >> rshift) + c. */
static inline int8_t tml_half_saturated_s8(int32_t t) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return (int8_t)__ssat(t >> 1, 8);
#else
  t >>= 1;
  return (int8_t)(t < -128 ? -128 : (t > 127 ? 127 : t));
#endif
}

/* v clamped to [lo, hi] (activation bounds within int8). */
static inline int8_t tml_clamp_s8(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* tml_requant_s8 for a per-tensor quantized layer: one (multiplier, rshift) pair for every channel,
 * held in registers (no table in flash, no per-output load of it). */
static inline void tml_requant_s8_tensor(const tml_requant_s8_params *p, const int32_t *acc, int32_t n, int8_t *out) {
  const int32_t multiplier = p->multiplier, rshift = p->rshift;
  const int32_t offset = p->offset, lo = p->lo, hi = p->hi;
  int8_t *const end = out + n;
  if (!p->general) {
    const int32_t c = 1 + 2 * offset;
    if (lo <= -128 && hi >= 127) {
      for (; out != end; ++out, ++acc) {
        *out = tml_half_saturated_s8((tml_requant_high(*acc, multiplier) >> rshift) + c);
      }
      return;
    }
    for (; out != end; ++out, ++acc) {
      *out = tml_clamp_s8(((tml_requant_high(*acc, multiplier) >> rshift) + c) >> 1, lo, hi);
    }
    return;
  }
  for (; out != end; ++out) {
    *out = tml_clamp_s8(tml_requant(*acc++, multiplier, rshift, offset), lo, hi);
  }
}

/* out[i] = clamp(tml_requant(acc[i], multiplier[c0 + i], rshift[c0 + i], offset), lo, hi) for i < n:
 * channels c0 .. c0 + n - 1 of one output pixel. scales walks the (multiplier, rshift) pairs. */
static inline void tml_requant_s8(const tml_requant_s8_params *p, int32_t c0, const int32_t *acc, int32_t n,
                                  int8_t *out) {
  if (p->multiplier_rshift == NULL) {
    tml_requant_s8_tensor(p, acc, n, out);
    return;
  }
  const int32_t *scales = p->multiplier_rshift + 2 * c0;
  const int32_t offset = p->offset, lo = p->lo, hi = p->hi;
  int8_t *const end = out + n;
  if (!p->general) {
    /* The fast form for every channel; (H >> rshift) + 1 + 2 * offset, halved, is the output. */
    const int32_t c = 1 + 2 * offset;
    if (lo <= -128 && hi >= 127) { /* no activation clamp beyond int8 saturation */
      if (n & 1) {
        *out++ = tml_half_saturated_s8((tml_requant_high(*acc++, scales[0]) >> scales[1]) + c);
        scales += 2;
      }
      for (; out != end; out += 2, acc += 2, scales += 4) {
        out[0] = tml_half_saturated_s8((tml_requant_high(acc[0], scales[0]) >> scales[1]) + c);
        out[1] = tml_half_saturated_s8((tml_requant_high(acc[1], scales[2]) >> scales[3]) + c);
      }
      return;
    }
    if (n & 1) {
      *out++ = tml_clamp_s8(((tml_requant_high(*acc++, scales[0]) >> scales[1]) + c) >> 1, lo, hi);
      scales += 2;
    }
    for (; out != end; out += 2, acc += 2, scales += 4) {
      out[0] = tml_clamp_s8(((tml_requant_high(acc[0], scales[0]) >> scales[1]) + c) >> 1, lo, hi);
      out[1] = tml_clamp_s8(((tml_requant_high(acc[1], scales[2]) >> scales[3]) + c) >> 1, lo, hi);
    }
    return;
  }
  for (; out != end; ++out, scales += 2) {
    *out = tml_clamp_s8(tml_requant(*acc++, scales[0], scales[1], offset), lo, hi);
  }
}

#ifdef __cplusplus
}
#endif

#endif /* TML_REQUANT_H */
