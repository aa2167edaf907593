/* SVDF: a rank-decomposed 1-D convolution over time with its history in a state tensor.
 *
 * Same results as TFLM's svdf_common.cc (EvalIntegerSvdfReference): each invocation shifts the
 * whole state left by one element, writes every filter's requantized feature projection into its
 * row's last column, then reduces the time-weighted rows `rank` at a time per unit. Row by row the
 * flat shift is a rotation: the element it carries into a row's last column from the next row is
 * overwritten by the new value, and the row's first element, which the shift drops, is free. So
 * the kernel runs two passes per batch row, each a tight loop:
 *   1. the feature projection, four filters a pass over interleaved_rows' weight layout (ops/svdf.py)
 *      (one input word extended once for four rows), each new state value parked in its row's
 *      first element;
 *   2. per filter, the row rotated left by one (the parked value lands in the last column) while
 *      the rotated words are dotted with the time weights, then per unit bias and requantization.
 * Both zero points are subtracted inside the dot products as TFLM does (free on SIMD32 cores:
 * SXTAB16 adds the offset while it sign-extends), so no per-filter constant tables in flash and
 * no scratch. Like TFLM, the integer path applies no fused activation (only the int8 clamp).
 * float32 is in svdf_f32.c (it needs libm, which the Xtensa builds of integer models do not have).
 */
#include <string.h>

#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

#define TML_SVDF_GROUP 4 /* feature rows per pass: ops/svdf.py FEATURE_GROUP */

/* Word-wise row rotation needs SIMD32 (the fused dot), unaligned access and little-endian lanes. */
#if TML_HAVE_SIMD32 && defined(__ARM_FEATURE_UNALIGNED) && !defined(__ARM_BIG_ENDIAN)
#define TML_SVDF_WORDS 1
#else
#define TML_SVDF_WORDS 0
#endif

#if defined(__GNUC__)
#define TML_SVDF_INLINE static inline __attribute__((always_inline)) /* one copy per constant flag */
#else
#define TML_SVDF_INLINE static inline
#endif

/* A state element, int8 (`narrow`) or int16: the kernels pass a constant, so each inlined copy
 * keeps one store. */
static inline void tml_svdf_put(void *state, int32_t index, int32_t value, int narrow) {
  if (narrow) {
    ((int8_t *)state)[index] = (int8_t)value;
  } else {
    ((int16_t *)state)[index] = (int16_t)value;
  }
}

/* The feature pass's quad loop in inline asm: GCC-style asm, SIMD32, and an input row that may
 * start anywhere (LDR of it unaligned; the weights' LDRDs are aligned: interleaved_rows' groups are
 * multiples of 4 bytes in a TML_ALIGNED array). */
#if TML_HAVE_SIMD32 && defined(__GNUC__) && defined(__ARM_FEATURE_UNALIGNED)
#define TML_SVDF_ASM 1
#else
#define TML_SVDF_ASM 0
#endif

#if TML_SVDF_ASM
/* One input quad (offset while sign-extended) against the four rows' weight words, pointers
 * advanced: 21 instructions per 16 MACs. Written out because GCC 12 keeps only three of the four
 * sums in registers here and reloads the fourth every quad. */
#define TML_SVDF_QUAD4_ASM                 \
  "ldr %[t], [%[x]], #4\n\t"               \
  "sxtab16 %[e], %[off], %[t]\n\t"         \
  "sxtab16 %[o], %[off], %[t], ror #8\n\t" \
  "ldrd %[wa], %[wb], [%[w]], #8\n\t"      \
  "sxtb16 %[t], %[wa]\n\t"                 \
  "smlad %[s0], %[e], %[t], %[s0]\n\t"     \
  "sxtb16 %[t], %[wa], ror #8\n\t"         \
  "smlad %[s0], %[o], %[t], %[s0]\n\t"     \
  "sxtb16 %[t], %[wb]\n\t"                 \
  "smlad %[s1], %[e], %[t], %[s1]\n\t"     \
  "sxtb16 %[t], %[wb], ror #8\n\t"         \
  "smlad %[s1], %[o], %[t], %[s1]\n\t"     \
  "ldrd %[wa], %[wb], [%[w]], #8\n\t"      \
  "sxtb16 %[t], %[wa]\n\t"                 \
  "smlad %[s2], %[e], %[t], %[s2]\n\t"     \
  "sxtb16 %[t], %[wa], ror #8\n\t"         \
  "smlad %[s2], %[o], %[t], %[s2]\n\t"     \
  "sxtb16 %[t], %[wb]\n\t"                 \
  "smlad %[s3], %[e], %[t], %[s3]\n\t"     \
  "sxtb16 %[t], %[wb], ror #8\n\t"         \
  "smlad %[s3], %[o], %[t], %[s3]\n\t"
#define TML_SVDF_QUAD4_OPERANDS                                                                         \
  : [x] "+r"(x), [w] "+r"(w), [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [t] "=&r"(t),        \
    [e] "=&r"(e), [o] "=&r"(o), [wa] "=&r"(wa), [wb] "=&r"(wb)                                                 \
  : [off] "r"(offsets)                                                                                         \
  : "memory"
#endif

/* acc[r] = sum((x[i] + offset) * w_r[i]) over the `quads` input quads of one layout group: for each
 * quad, row 0's four bytes, row 1's, row 2's, row 3's (4-aligned: interleaved_rows keeps each group a
 * multiple of 4 bytes in a TML_ALIGNED array). Returns the weights after the group's quads. */
TML_SVDF_INLINE const int8_t *tml_svdf_group_dot(const int8_t *x, int32_t offset, const int8_t *w, int32_t quads,
                                                 int32_t acc[TML_SVDF_GROUP]) {
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if TML_SVDF_ASM
  const int32_t offsets = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
  const int8_t *const end = x + 4 * quads;
  int32_t t, e, o, wa, wb;
  if (quads & 1) {
    __asm__(TML_SVDF_QUAD4_ASM TML_SVDF_QUAD4_OPERANDS);
  }
  while (x != end) {
    __asm__(TML_SVDF_QUAD4_ASM TML_SVDF_QUAD4_ASM TML_SVDF_QUAD4_OPERANDS);
  }
#elif TML_HAVE_SIMD32
  const int32_t offsets = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
  for (; quads > 0; --quads, x += 4, w += 16) {
    const uint32_t word = tml_load4(x);
    const int32_t even = tml_sxtab16(offsets, word), odd = tml_sxtab16_ror8(offsets, word);
    uint32_t wa = tml_load4(w), wb = tml_load4(w + 4);
    s0 = __smlad(even, tml_sxtb16(wa), s0);
    s0 = __smlad(odd, tml_sxtb16_ror8(wa), s0);
    s1 = __smlad(even, tml_sxtb16(wb), s1);
    s1 = __smlad(odd, tml_sxtb16_ror8(wb), s1);
    wa = tml_load4(w + 8);
    wb = tml_load4(w + 12);
    s2 = __smlad(even, tml_sxtb16(wa), s2);
    s2 = __smlad(odd, tml_sxtb16_ror8(wa), s2);
    s3 = __smlad(even, tml_sxtb16(wb), s3);
    s3 = __smlad(odd, tml_sxtb16_ror8(wb), s3);
  }
#else
  for (; quads > 0; --quads, x += 4, w += 16) {
    const int32_t x0 = x[0] + offset, x1 = x[1] + offset, x2 = x[2] + offset, x3 = x[3] + offset;
    s0 += x0 * w[0] + x1 * w[1] + x2 * w[2] + x3 * w[3];
    s1 += x0 * w[4] + x1 * w[5] + x2 * w[6] + x3 * w[7];
    s2 += x0 * w[8] + x1 * w[9] + x2 * w[10] + x3 * w[11];
    s3 += x0 * w[12] + x1 * w[13] + x2 * w[14] + x3 * w[15];
  }
#endif
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
  return w;
}

/* tml_requant with offset 0; `fast` (a constant) when rshift >= 0, so the copy has no branch. */
TML_SVDF_INLINE int32_t tml_svdf_requant(int32_t x, int32_t multiplier, int32_t rshift, int fast) {
  return fast ? ((tml_requant_high(x, multiplier) >> rshift) + 1) >> 1 : tml_requant(x, multiplier, rshift, 0);
}

/* x clamped to the int8 (`narrow`) or int16 range: one SSAT where the core has it. */
TML_SVDF_INLINE int32_t tml_svdf_saturate(int32_t x, int narrow) {
#if TML_HAVE_SIMD32 /* arm_acle.h is included (tml_dot.h) */
  return narrow ? __ssat(x, 8) : __ssat(x, 16);
#else
  return narrow ? tml_clamp_i32(x, -128, 127) : tml_clamp_i32(x, -32768, 32767);
#endif
}

/* Pass 1 for one batch row: every filter's feature dot, requantized (multiplier1, rshift1 as
 * tml_requant takes it), clamped to the state type, plus the state zero point, stored (wrapping to
 * the state type as TFLM's cast does) into the first element of the filter's row. */
TML_SVDF_INLINE void tml_svdf_features(const tml_svdf_s8_params *p, const int8_t *input, void *state_b, int32_t rshift1,
                                       int narrow, int fast) {
  const int32_t input_size = p->input_size, memory = p->memory, filters = p->filters;
  const int32_t quads = input_size >> 2, tail = input_size & 3, offset = -p->input_zero_point;
  const int32_t multiplier = p->multiplier1, zero_point = p->state_zero_point;
  const int8_t *const x_tail = input + 4 * quads;
  const int8_t *w = p->weights_feature;
  int32_t f = 0, r, i;
  for (; f + TML_SVDF_GROUP <= filters; f += TML_SVDF_GROUP) {
    int32_t dot[TML_SVDF_GROUP];
    w = tml_svdf_group_dot(input, offset, w, quads, dot);
    if (tail) { /* then each row's tail bytes */
      for (r = 0; r < TML_SVDF_GROUP; ++r) {
        for (i = 0; i < tail; ++i) dot[r] += (x_tail[i] + offset) * *w++;
      }
    }
    for (r = 0; r < TML_SVDF_GROUP; ++r) {
      tml_svdf_put(state_b, (f + r) * memory,
                   zero_point + tml_svdf_saturate(tml_svdf_requant(dot[r], multiplier, rshift1, fast), narrow), narrow);
    }
  }
  for (; f < filters; ++f, w += input_size) { /* the last filters % 4 rows, row-major */
    const int32_t dot = tml_dot_s8_offset(input, offset, w, input_size, 0);
    tml_svdf_put(state_b, f * memory,
                 zero_point + tml_svdf_saturate(tml_svdf_requant(dot, multiplier, rshift1, fast), narrow), narrow);
  }
}

/* Pass 1 with the requantization form chosen once (rshift1 = -2 - shift1, as tml_requant takes it). */
TML_SVDF_INLINE void tml_svdf_project(const tml_svdf_s8_params *p, const int8_t *input, void *state_b, int32_t rshift1,
                                      int narrow) {
  if (rshift1 >= 0) {
    tml_svdf_features(p, input, state_b, rshift1, narrow, 1);
  } else {
    tml_svdf_features(p, input, state_b, rshift1, narrow, 0);
  }
}

#if TML_SVDF_WORDS
/* Pass 2 for one batch row of an int8 state whose rows are whole words (keyword_scrambled's): each
 * row rotated left by one (row[j] = row[j + 1], row[memory - 1] = the parked new value) while
 * dotted with its time weights (state zero point subtracted by SXTAB16), `rank` rows per unit, then
 * the unit's bias and output requantization. Each rotated word but the last is one unaligned load
 * from row + 1 (the bytes after the word being written are still the old ones); the last is the
 * old last word shifted down a byte with the parked value on top. Sums wrap as TFLM's int32 sums. */
TML_SVDF_INLINE void tml_svdf_time_s8_words(const tml_svdf_s8_params *p, int8_t *row, int8_t *output, int32_t rshift2,
                                            int fast) {
  const int32_t offset = -p->state_zero_point, multiplier = p->multiplier2, zero_point = p->output_zero_point;
  const int32_t offsets = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
  const int32_t inner = (p->memory >> 2) - 1, rank = p->rank;
  const int8_t *t = (const int8_t *)p->weights_time;
  const int32_t *bias = p->bias;
  int8_t *const end = output + p->filters / rank;
  for (; output != end; ++output) {
    int32_t acc = *bias++, r, k;
    for (r = rank; r > 0; --r, row += 4, t += 4) {
      const uint32_t parked = (uint8_t)row[0];
      uint32_t word, tw;
      for (k = inner; k > 0; --k, row += 4, t += 4) {
        word = tml_load4(row + 1);
        tw = tml_load4(t);
        memcpy(row, &word, 4);
        acc = __smlad(tml_sxtab16(offsets, word), tml_sxtb16(tw), acc);
        acc = __smlad(tml_sxtab16_ror8(offsets, word), tml_sxtb16_ror8(tw), acc);
      }
      word = (tml_load4(row) >> 8) | (parked << 24);
      tw = tml_load4(t);
      memcpy(row, &word, 4);
      acc = __smlad(tml_sxtab16(offsets, word), tml_sxtb16(tw), acc);
      acc = __smlad(tml_sxtab16_ror8(offsets, word), tml_sxtb16_ror8(tw), acc);
    }
    *output = (int8_t)__ssat(fast ? ((tml_requant_high(acc, multiplier) >> rshift2) + 1 + 2 * zero_point) >> 1
                                  : tml_requant(acc, multiplier, rshift2, zero_point),
                             8);
  }
}
#endif

/* Pass 2 elsewhere, one int8 row: rotated left by one element (the parked new value lands in the
 * last column), then acc + sum(t[j] * (row[j] + offset)) modulo 2^32. */
static inline int32_t tml_svdf_rotate_dot_s8(int8_t *row, const int8_t *t, int32_t memory, int32_t offset,
                                             int32_t acc) {
  const int8_t parked = row[0];
  memmove(row, row + 1, (size_t)(memory - 1));
  row[memory - 1] = parked;
  return (int32_t)((uint32_t)acc + (uint32_t)tml_dot_s8_offset(row, offset, t, memory, 0)); /* bias + dot wraps */
}

/* The same for int16 rows: t[j] * (row[j] + offset), products and sum modulo 2^32 as TFLM's int32
 * arithmetic wraps. With an even memory and offset 0 (the int16 state TFLM's converter makes) two
 * elements a word: the rotated pair meets the time weights' pair in one SMLAD. */
static inline int32_t tml_svdf_rotate_dot_s16(int16_t *row, const int16_t *t, int32_t memory, int32_t offset,
                                              int32_t acc) {
  uint32_t sum = (uint32_t)acc;
  int32_t j;
#if TML_SVDF_WORDS
  if ((memory & 1) == 0 && offset == 0) {
    const uint32_t parked = (uint16_t)row[0];
    int16_t *const last = row + memory - 2;
    uint32_t word, tw;
    for (; row != last; row += 2, t += 2) {
      memcpy(&word, row + 1, 4);
      memcpy(&tw, t, 4);
      memcpy(row, &word, 4);
      acc = __smlad((int32_t)word, (int32_t)tw, acc);
    }
    memcpy(&word, row, 4);
    word = (word >> 16) | (parked << 16);
    memcpy(&tw, t, 4);
    memcpy(row, &word, 4);
    return __smlad((int32_t)word, (int32_t)tw, acc);
  }
#endif
  {
    const int16_t parked = row[0];
    memmove(row, row + 1, (size_t)(memory - 1) * sizeof(int16_t));
    row[memory - 1] = parked;
  }
  for (j = 0; j < memory; ++j) {
    sum += (uint32_t)(int32_t)t[j] * (uint32_t)((int32_t)row[j] + offset);
  }
  return (int32_t)sum;
}

/* Pass 2, the general form: per unit, `rank` rows rotated and dotted, then bias and requantization. */
#define TML_SVDF_TIME(T, ROTATE_DOT)                                                                                 \
  do {                                                                                                               \
    const T *t = (const T *)p->weights_time;                                                                         \
    int32_t u, r;                                                                                                    \
    for (u = 0; u < units; ++u) {                                                                                    \
      int32_t acc = p->bias[u];                                                                                      \
      for (r = 0; r < p->rank; ++r, row += p->memory, t += p->memory) {                                              \
        acc = ROTATE_DOT(row, t, p->memory, -p->state_zero_point, acc);                                              \
      }                                                                                                              \
      output[u] = (int8_t)tml_clamp_i32(tml_requant(acc, p->multiplier2, rshift2, p->output_zero_point), -128, 127); \
    }                                                                                                                \
  } while (0)

/* tml_requant's form of MultiplyByQuantizedMultiplier: rshift = -2 - shift, the same bits, and for
 * the usual shifts <= -2 one SMLAL and three shifts/adds instead of two roundings. */
void tml_svdf_s8_s16(const tml_svdf_s8_params *p, const int8_t *input, int16_t *state, int8_t *output) {
  const int32_t units = p->filters / p->rank, rshift1 = -2 - p->shift1, rshift2 = -2 - p->shift2;
  int32_t b;
  for (b = 0; b < p->batches; ++b, input += p->input_size, output += units) {
    int16_t *row = state + b * p->filters * p->memory;
    tml_svdf_project(p, input, row, rshift1, 0);
    TML_SVDF_TIME(int16_t, tml_svdf_rotate_dot_s16);
  }
}

void tml_svdf_s8_s8(const tml_svdf_s8_params *p, const int8_t *input, int8_t *state, int8_t *output) {
  const int32_t units = p->filters / p->rank, rshift1 = -2 - p->shift1, rshift2 = -2 - p->shift2;
  int32_t b;
  for (b = 0; b < p->batches; ++b, input += p->input_size, output += units) {
    int8_t *row = state + b * p->filters * p->memory;
    tml_svdf_project(p, input, row, rshift1, 1);
#if TML_SVDF_WORDS
    if ((p->memory & 3) == 0) {
      if (rshift2 >= 0) {
        tml_svdf_time_s8_words(p, row, output, rshift2, 1);
      } else {
        tml_svdf_time_s8_words(p, row, output, rshift2, 0);
      }
      continue;
    }
#endif
    TML_SVDF_TIME(int8_t, tml_svdf_rotate_dot_s8);
  }
}
