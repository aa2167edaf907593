/* SVDF: a rank-decomposed 1-D convolution over time with its history in a state tensor.
 *
 * Same results as TFLM's svdf_common.cc (EvalIntegerSvdfReference, EvalFloatSvdfReference):
 * each invocation shifts every filter's memory row left by one, writes the new feature
 * projection into the last column, then reduces the time-weighted rows `rank` at a time per
 * unit. The integer path subtracts both zero points inside its dot products, as TFLM does
 * (free on SIMD32 cores: SXTAB16 adds the offset while it sign-extends), so it needs no per-filter
 * constant tables in flash, and no scratch: each unit sums its own filters in the order TFLM's
 * reduction does.
 * Like TFLM, the integer path applies no fused activation (only the int8 clamp). float32 is in
 * svdf_f32.c (it needs libm, which the Xtensa builds of integer models do not have).
 */
#include <string.h>

#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* TFLM shifts the whole state buffer left by one element (`by` bytes). newlib's memmove moves an
 * overlapping buffer a byte at a time (about 4 instructions a byte on Cortex-M4), so where
 * unaligned word access exists (Cortex-M3 and up) words are moved instead, 4 bytes in about as
 * many instructions; reading ahead of the writes is safe, as each word read starts at or after
 * the end of everything written before it. Elsewhere (hosted libcs, cores without unaligned
 * access) memmove is as fast or faster. */
static void tml_svdf_shift_state(uint8_t *state, int32_t bytes, int32_t by) {
#if defined(__arm__) && defined(__ARM_FEATURE_UNALIGNED)
  int32_t i = 0;
  for (; i + by + 4 <= bytes; i += 4) {
    uint32_t word;
    memcpy(&word, state + i + by, 4);
    memcpy(state + i, &word, 4);
  }
  for (; i + by < bytes; ++i) {
    state[i] = state[i + by];
  }
#else
  if (bytes > by) {
    memmove(state, state + by, (size_t)(bytes - by));
  }
#endif
}

/* The int16 and int8 state variants differ only in the state / time weight element type and in
 * the time dot product DOT(t, s, n, offset) = sum(t[j] * (s[j] + offset)) modulo 2^32. */
#define TML_SVDF_S8_BODY(T, T_MIN, T_MAX, DOT)                                                                        \
  const int32_t filters = p->filters;                                                                                 \
  const int32_t memory = p->memory;                                                                                   \
  const int32_t units = filters / p->rank;                                                                            \
  const T *const time = (const T *)p->weights_time;                                                                   \
  const int32_t total = p->batches * filters * memory;                                                                \
  const int32_t input_offset = -p->input_zero_point;                                                                  \
  const int32_t state_offset = -p->state_zero_point;                                                                  \
  int32_t b, f, u, r;                                                                                                 \
  tml_svdf_shift_state((uint8_t *)state, (int32_t)sizeof(T) * total, (int32_t)sizeof(T));                             \
  for (b = 0; b < p->batches; ++b) {                                                                                  \
    T *const state_b = state + b * filters * memory;                                                                  \
    for (f = 0; f < filters; f += 2) { /* two filters a pass: the offset input is loaded once for both */             \
      const int8_t *const w = p->weights_feature + f * p->input_size;                                                 \
      const int32_t pair = f + 1 < filters ? 2 : 1;                                                                   \
      int32_t dot[2] = {0, 0};                                                                                        \
      int32_t k;                                                                                                      \
      if (pair == 2) {                                                                                                \
        tml_dot2_s8_offset(input, input_offset, w, w + p->input_size, p->input_size, &dot[0], &dot[1]);               \
      } else {                                                                                                        \
        dot[0] = tml_dot_s8_offset(input, input_offset, w, p->input_size, 0);                                         \
      }                                                                                                               \
      for (k = 0; k < pair; ++k) {                                                                                    \
        const int32_t v =                                                                                             \
            tml_clamp_i32(tml_multiply_by_quantized_multiplier(dot[k], p->multiplier1, p->shift1), T_MIN, T_MAX);     \
        state_b[(f + k) * memory + memory - 1] = (T)(p->state_zero_point + v);                                        \
      }                                                                                                               \
    }                                                                                                                 \
    for (u = 0; u < units; ++u) {                                                                                     \
      uint32_t acc = (uint32_t)p->bias[u];                                                                            \
      for (r = 0; r < p->rank; ++r) {                                                                                 \
        const int32_t row = u * p->rank + r;                                                                          \
        const T *t = time + row * memory;                                                                             \
        const T *s = state_b + row * memory;                                                                          \
        acc += (uint32_t)DOT(t, s, memory, state_offset);                                                             \
      }                                                                                                               \
      output[u] = (int8_t)tml_clamp_i32(                                                                              \
          tml_multiply_by_quantized_multiplier((int32_t)acc, p->multiplier2, p->shift2) + p->output_zero_point, -128, \
          127);                                                                                                       \
    }                                                                                                                 \
    input += p->input_size;                                                                                           \
    output += units;                                                                                                  \
  }

/* int16 x int16 (+ offset): products and sum modulo 2^32, as TFLM's int32 arithmetic wraps. The
 * offset is 0 for the int16 state TFLM's converter makes, so the plain loop stays the usual one. */
static int32_t tml_svdf_dot_s16(const int16_t *t, const int16_t *s, int32_t n, int32_t offset) {
  uint32_t acc = 0;
  int32_t j;
  if (offset == 0) {
    for (j = 0; j < n; ++j) {
      acc += (uint32_t)((int32_t)t[j] * (int32_t)s[j]);
    }
  } else {
    for (j = 0; j < n; ++j) {
      acc += (uint32_t)(int32_t)t[j] * (uint32_t)((int32_t)s[j] + offset);
    }
  }
  return (int32_t)acc;
}

/* int8 x int8: SMLAD on Armv7E-M (memory sizes are far too small to leave int32). */
#define TML_SVDF_DOT_S8(t, s, n, offset) tml_dot_s8_offset((s), (offset), (t), (n), 0)

void tml_svdf_s8_s16(const tml_svdf_s8_params *p, const int8_t *input, int16_t *state, int8_t *output) {
  TML_SVDF_S8_BODY(int16_t, -32768, 32767, tml_svdf_dot_s16)
}

/* ---- int8 state (issue 12 section 3: keyword_scrambled) --------------------------------------
 * TFLM shifts the whole state left by one element, then writes each filter's new value into its
 * row's last column, then reduces the rows. Row by row this is: row[j] = row[j + 1], then
 * row[memory - 1] = the new value (the element a flat shift carries into a row from the next one
 * is overwritten) -- so each row is shifted, appended to and dotted with its time weights right
 * after its feature dot, while it is in cache and registers, with no pass over the whole state. */

/* row[0..memory-2] = row[1..memory-1], row[memory-1] = v. With memory a multiple of 4 on
 * little-endian Arm with unaligned word access, by words: each new word is the old one shifted
 * down a byte with the next word's first byte (or v) on top -- a few instructions a word against
 * newlib memmove's 4 a byte. */
static void tml_svdf_push_s8(int8_t *row, int32_t memory, int8_t v) {
#if defined(__arm__) && defined(__ARM_FEATURE_UNALIGNED) && !defined(__ARM_BIG_ENDIAN)
  if ((memory & 3) == 0) {
    int8_t *const last = row + memory - 4;
    uint32_t current = tml_load4(row);
    for (; row != last; row += 4) {
      const uint32_t next = tml_load4(row + 4);
      const uint32_t word = (current >> 8) | (next << 24);
      memcpy(row, &word, 4);
      current = next;
    }
    current = (current >> 8) | ((uint32_t)(uint8_t)v << 24);
    memcpy(row, &current, 4);
    return;
  }
#endif
  if (memory > 1) {
    memmove(row, row + 1, (size_t)(memory - 1));
  }
  row[memory - 1] = v;
}

void tml_svdf_s8_s8(const tml_svdf_s8_params *p, const int8_t *input, int8_t *state, int8_t *output) {
  const int32_t filters = p->filters, memory = p->memory, rank = p->rank, input_size = p->input_size;
  const int8_t *const time = (const int8_t *)p->weights_time;
  const int32_t input_offset = -p->input_zero_point;
  const int32_t state_offset = -p->state_zero_point;
  /* tml_requant's form of MultiplyByQuantizedMultiplier (rshift = -2 - shift: same bits, and for
   * the usual shifts <= -2 one SMLAL and three shifts/adds instead of two roundings) */
  const int32_t rshift1 = -2 - p->shift1, rshift2 = -2 - p->shift2, output_zero_point = p->output_zero_point;
  int32_t b, f, k;
  for (b = 0; b < p->batches; ++b) {
    int8_t *const state_b = state + b * filters * memory;
    uint32_t acc = 0; /* the unit's reduction, modulo 2^32 as TFLM's int32 sums */
    int32_t unit = 0, r = 0;
    for (f = 0; f < filters; f += 2) { /* two filters a pass: the offset input is loaded once for both */
      const int8_t *const w = p->weights_feature + f * input_size;
      const int32_t pair = f + 1 < filters ? 2 : 1;
      int32_t dot[2] = {0, 0};
      if (pair == 2) {
        tml_dot2_s8_offset(input, input_offset, w, w + input_size, input_size, &dot[0], &dot[1]);
      } else {
        dot[0] = tml_dot_s8_offset(input, input_offset, w, input_size, 0);
      }
      for (k = 0; k < pair; ++k) {
        const int32_t row = f + k;
        const int32_t v = tml_clamp_i32(tml_requant(dot[k], p->multiplier1, rshift1, 0), -128, 127);
        int8_t *const s = state_b + row * memory;
        tml_svdf_push_s8(s, memory, (int8_t)(p->state_zero_point + v));
        if (r == 0) {
          acc = (uint32_t)p->bias[unit];
        }
        acc += (uint32_t)TML_SVDF_DOT_S8(time + row * memory, s, memory, state_offset);
        if (++r == rank) {
          output[unit++] =
              (int8_t)tml_clamp_i32(tml_requant((int32_t)acc, p->multiplier2, rshift2, output_zero_point), -128, 127);
          r = 0;
        }
      }
    }
    input += input_size;
    output += unit;
  }
}
