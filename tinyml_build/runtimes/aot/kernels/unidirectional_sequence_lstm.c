/* UNIDIRECTIONAL_SEQUENCE_LSTM, integer paths: int8 activations (8x8 -> int16 cell) and int16
 * activations (16x8, int64 gate biases).
 *
 * Same results as TFLM's lstm_eval.h/.cc (LstmStep): per time step and batch row the forget,
 * input and cell gates (each an input FC plus a recurrent FC requantized to Q3.12, a saturating
 * add and a sigmoid -- tanh for the cell gate -- to Q0.15), the cell update (forget x cell + input x cell gate,
 * saturating, optionally clipped), the output gate, then hidden = tanh(cell) x output gate,
 * copied to the output. Batch rows are independent, so time-major and batch-major models run
 * the same per-row step; only the input/output offsets differ. The int8 path folds the input
 * and hidden zero points into per-gate biases at build time (exact modulo 2^32, like TFLM's
 * int32 sums). Sigmoid and tanh interpolate in TFLM's own table (p->sigmoid_table) with
 * include/tml_sigmoid16.h, the code of int16 LOGISTIC/TANH.
 */
#include "tml_dot.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"
#include "tml_sigmoid16.h"

#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

enum { TML_GATE_FORGET = 0, TML_GATE_INPUT = 1, TML_GATE_CELL = 2, TML_GATE_OUTPUT = 3 };

/* x saturated to int16 (and to int8): one SSAT on cores with the saturation instructions. The
 * values stay int32_t (no sign extension after each saturation). */
static inline int32_t tml_sat16(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return __ssat(x, 16);
#else
  return tml_clamp_i32(x, -32768, 32767);
#endif
}

static inline int32_t tml_lstm_sat8(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return __ssat(x, 8);
#else
  return tml_clamp_i32(x, -128, 127);
#endif
}

/* TML_LSTM_INLINE: inlined into the step loop (a call per row group cost a fifth of the group's
 * instructions); TML_LSTM_CALL: kept a call (rare paths, small code). */
#if defined(__GNUC__)
#define TML_LSTM_INLINE __attribute__((always_inline))
#define TML_LSTM_CALL __attribute__((noinline))
#else
#define TML_LSTM_INLINE
#define TML_LSTM_CALL
#endif

/* tml_lstm_scale's requantization: (x * multiplier + round - [x < 0] * 2^31) >> 32 >> shift. It equals
 * tml_requant(x, multiplier, r - 2, 0) for r = -TFLM's shift in 1..31: MultiplyByQuantizedMultiplier is
 * floor((h + 2^(r-1) - [h < 0]) / 2^r) of h = floor((x m + 2^30) / 2^31) (SaturatingRoundingDoublingHighMul;
 * m > 0, so it never saturates), and nesting the floors gives floor((x m + 2^30 + 2^(30+r) - [h < 0] 2^31) /
 * 2^(31+r)), where [h < 0] may be [x < 0] (tml_fixedpoint.h, tml_requant_high). One 64-bit multiply-add,
 * and no test of r: r = 1 (a gate multiplier from 0.25 to 0.5) takes the same instructions. */
static inline int32_t tml_lstm_scaled(int32_t x, const tml_lstm_scale *s) {
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
  uint32_t lo = (uint32_t)s->round;
  int32_t hi = (int32_t)(s->round >> 32), sign;
  __asm__("asr %[sign], %[x], #31\n\t"
          "adds %[lo], %[lo], %[sign], lsl #31\n\t"
          "adc %[hi], %[hi], %[sign]\n\t"
          "smlal %[lo], %[hi], %[x], %[m]"
          : [lo] "+&r"(lo), [hi] "+&r"(hi), [sign] "=&r"(sign)
          : [x] "r"(x), [m] "r"(s->multiplier)
          : "cc");
  (void)lo;
  return hi >> s->shift;
#else
  const int64_t acc = (int64_t)x * s->multiplier + s->round - (x < 0 ? (int64_t)1 << 31 : 0);
  return (int32_t)(acc >> 32) >> s->shift;
#endif
}

/* tml_requant as one call: the paths that test each shift (16x8, and int8 LSTMs that tml_lstm_scaled
 * cannot take) are not where the instructions go, so they keep their code small. */
static TML_LSTM_CALL int32_t tml_lstm_requant_tested(int32_t x, int32_t multiplier, int32_t rshift, int32_t offset) {
  return tml_requant(x, multiplier, rshift, offset);
}

/* tml_sat16(tml_requant(x, multiplier, rshift, 0)); `usual` (a constant at each call): every
 * requantization of the LSTM fits tml_lstm_scaled (p->usual_shifts), which then takes `scale`. */
static inline int32_t tml_lstm_requant16(int32_t x, int32_t multiplier, int32_t rshift, const tml_lstm_scale *scale,
                                         int32_t usual) {
  if (usual) {
    return tml_sat16(tml_lstm_scaled(x, scale));
  }
  return tml_sat16(tml_lstm_requant_tested(x, multiplier, rshift, 0));
}

/* reference_integer_ops::Tanh on int16 with a resolved input multiplier, rounding and shift. */
static inline int32_t tml_lstm_tanh(const uint16_t *table, int32_t x, int32_t multiplier, int32_t round,
                                    int32_t shift) {
  return tml_tanh16(table, (x * multiplier + round) >> shift);
}

/* The gates' nonlinearity on Q3.12: Logistic with input multiplier 0 (x * 3), Tanh at scale 2^-12. */
static void tml_lstm_activate(const tml_lstm_params *p, int16_t *gate, int32_t n, int32_t tanh) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    gate[i] = tanh ? tml_tanh16(p->sigmoid_table, gate[i] * 3) : tml_sigmoid16(p->sigmoid_table, gate[i] * 3);
  }
}

/* The scales[] entries of the int8 path (tml_kernels.h). */
enum { TML_LSTM_SCALE_FORGET = 8, TML_LSTM_SCALE_UPDATE = 9, TML_LSTM_SCALE_HIDDEN = 10 };

/* One cell's update and hidden value, shared by both activation types, from its four activated gates
 * (Q0.15): cell = forget x cell + input x cell gate (saturating, clipped), then tanh(cell) x output
 * gate requantized (MulElementwise before the caller's clamp to the hidden type). */
static inline int32_t tml_lstm_unit(const tml_lstm_params *p, int32_t forget, int32_t input, int32_t cand,
                                    int32_t out_gate, int16_t *cell, int32_t usual) {
  const int32_t kept = tml_lstm_requant16(forget * *cell, p->forget_multiplier, p->forget_rshift,
                                          &p->scales[TML_LSTM_SCALE_FORGET], usual);
  const int32_t added = tml_lstm_requant16(input * cand, p->update_multiplier, p->update_rshift,
                                           &p->scales[TML_LSTM_SCALE_UPDATE], usual);
  int32_t c = tml_sat16(kept + added);
  int32_t t;
  if (p->cell_clip > 0) {
    c = tml_clamp_i32(c, -p->cell_clip, p->cell_clip);
  }
  *cell = (int16_t)c;
  t = tml_lstm_tanh(p->sigmoid_table, c, p->tanh_multiplier, p->tanh_round, p->tanh_shift);
  if (usual) {
    return tml_lstm_scaled(t * out_gate, &p->scales[TML_LSTM_SCALE_HIDDEN]) + p->hidden_zero_point;
  }
  return tml_lstm_requant_tested(t * out_gate, p->hidden_multiplier, p->hidden_rshift, p->hidden_zero_point);
}

/* Gate g's pre-activation: both FC sums requantized to Q3.12, added with saturation. */
static inline TML_LSTM_INLINE int32_t tml_lstm_gate_s8(const tml_lstm_params *p, int32_t g, int32_t input_acc,
                                                       int32_t recurrent_acc, int32_t usual) {
  const tml_lstm_gate_params *gp = &p->gates[g];
  const int32_t a = tml_lstm_requant16(input_acc, gp->input_multiplier, gp->input_rshift, &p->scales[2 * g], usual);
  const int32_t r =
      tml_lstm_requant16(recurrent_acc, gp->recurrent_multiplier, gp->recurrent_rshift, &p->scales[2 * g + 1], usual);
  return tml_sat16(a + r);
}

/* ---- int8: the four gates of a cell as one row group of FULLY_CONNECTED's SMLAD layout ----------
 * ops/unidirectional_sequence_lstm.py stores the input weights of all gates as one matrix of
 * 4 x cells rows (cell by cell: its forget, input, cell and output gate rows), and the recurrent
 * weights likewise, each in fully_connected.c's layout (bytes 0 and 2 of a quad offset by 128,
 * the four rows interleaved quad by quad, then the rows' depth % 4 tails; tml_dot.h). One pass
 * over an input quad's forms (xa, xb) then feeds a cell's four gates, one sign extension per
 * weight word; the layout's weight term and the zero points are folded into the biases at build
 * time, the input term (tml_smlad_input_term's) is subtracted once per step. Each cell's gates,
 * update and hidden value follow right after its sums, in registers. The new hidden values go to
 * the output row and are copied to the hidden state after the step: every cell's sums read the
 * previous step's hidden state. */

/* acc[g] = bias[g] - term + the layout sums of the row group at w (four rows of `quads` quads and
 * `tail` more bytes of x, the unformed input) against x; returns the next group. */
static inline TML_LSTM_INLINE const int8_t *tml_lstm_rows4(const int32_t *forms, const int8_t *x, const int8_t *w,
                                                           int32_t quads, int32_t tail, const int32_t *bias,
                                                           uint32_t term, int32_t *acc) {
  int32_t s0 = (int32_t)((uint32_t)bias[0] - term), s1 = (int32_t)((uint32_t)bias[1] - term);
  int32_t s2 = (int32_t)((uint32_t)bias[2] - term), s3 = (int32_t)((uint32_t)bias[3] - term);
  int32_t t;
#if defined(TML_SMLAD_QUAD4_ASM)
  int32_t xa, xb, word;
  const int32_t *const end = forms + 2 * quads;
  if (quads & 1) {
    __asm__(TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_OPERANDS(forms, w, xa, xb, word));
  }
  while (forms != end) {
    __asm__(TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_OPERANDS(forms, w, xa, xb, word));
  }
#else
  int32_t q;
  (void)forms;
  for (q = 0; q < quads; ++q, w += 16) {
    const int8_t *xq = x + 4 * q;
    s0 = (int32_t)((uint32_t)s0 + tml_smlad_quad(xq, w));
    s1 = (int32_t)((uint32_t)s1 + tml_smlad_quad(xq, w + 4));
    s2 = (int32_t)((uint32_t)s2 + tml_smlad_quad(xq, w + 8));
    s3 = (int32_t)((uint32_t)s3 + tml_smlad_quad(xq, w + 12));
  }
#endif
  x += 4 * quads;
  for (t = 0; t < tail; ++t) { /* modulo 2^32, as the folded biases are */
    s0 = (int32_t)((uint32_t)s0 + (uint32_t)(x[t] * w[t]));
    s1 = (int32_t)((uint32_t)s1 + (uint32_t)(x[t] * w[tail + t]));
    s2 = (int32_t)((uint32_t)s2 + (uint32_t)(x[t] * w[2 * tail + t]));
    s3 = (int32_t)((uint32_t)s3 + (uint32_t)(x[t] * w[3 * tail + t]));
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
  return w + 4 * tail;
}

/* One cell of a step from its gates' input and recurrent sums: the hidden value (int8). */
static inline TML_LSTM_INLINE int8_t tml_lstm_cell_s8(const tml_lstm_params *p, const int32_t *in, const int32_t *rec,
                                                      int16_t *cell, int32_t usual) {
  const uint16_t *table = p->sigmoid_table;
  const int32_t forget = tml_sigmoid16(table, tml_lstm_gate_s8(p, TML_GATE_FORGET, in[0], rec[0], usual) * 3);
  const int32_t input = tml_sigmoid16(table, tml_lstm_gate_s8(p, TML_GATE_INPUT, in[1], rec[1], usual) * 3);
  const int32_t cand = tml_tanh16(table, tml_lstm_gate_s8(p, TML_GATE_CELL, in[2], rec[2], usual) * 3);
  const int32_t out_gate = tml_sigmoid16(table, tml_lstm_gate_s8(p, TML_GATE_OUTPUT, in[3], rec[3], usual) * 3);
  return (int8_t)tml_lstm_sat8(tml_lstm_unit(p, forget, input, cand, out_gate, cell, usual));
}

/* tml_lstm_cell_s8 testing each shift: a call of its own, the rare case (small code). */
static TML_LSTM_CALL int8_t tml_lstm_cell_s8_tested(const tml_lstm_params *p, const int32_t *in, const int32_t *rec,
                                                    int16_t *cell) {
  return tml_lstm_cell_s8(p, in, rec, cell, 0);
}

void tml_lstm_s8(const tml_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output,
                 int32_t *forms) {
  const int32_t n = p->cells, depth = p->input_size;
  const int32_t rows = p->time_steps * p->batches;
  const int32_t usual = p->usual_shifts;
  int32_t *const forms_h = forms + 2 * (depth >> 2);
  int32_t step, i;
  for (step = 0; step < rows; ++step) {
    /* Batch-major walks b then t; time-major t then b. Either way row `step` of input/output. */
    const int32_t b = p->time_major ? step % p->batches : step / p->time_steps;
    const int8_t *x = input + step * depth;
    int8_t *h = hidden + b * n;
    int16_t *c = cell + b * n;
    int8_t *y = output + step * n;
    const int8_t *wi = p->gate_input_weights;
    const int8_t *wr = p->gate_recurrent_weights;
#if TML_HAVE_SIMD32
    const uint32_t term_x = tml_smlad_forms(x, depth >> 2, forms);
    const uint32_t term_h = tml_smlad_forms(h, n >> 2, forms_h);
#else
    const uint32_t term_x = tml_smlad_input_term(x, depth >> 2);
    const uint32_t term_h = tml_smlad_input_term(h, n >> 2);
#endif
    for (i = 0; i < n; ++i) {
      int32_t in[4], rec[4];
      wi = tml_lstm_rows4(forms, x, wi, depth >> 2, depth & 3, p->gate_input_bias + 4 * i, term_x, in);
      wr = tml_lstm_rows4(forms_h, h, wr, n >> 2, n & 3, p->gate_recurrent_bias + 4 * i, term_h, rec);
      y[i] = usual ? tml_lstm_cell_s8(p, in, rec, &c[i], 1) : tml_lstm_cell_s8_tested(p, in, rec, &c[i]);
    }
    memcpy(h, y, (size_t)n);
  }
}

/* sum(x[d] * w[d]) in int64, as TFLM's 16x8 FULLY_CONNECTED accumulates. */
static int64_t tml_lstm_dot_s16(const int16_t *x, const int8_t *w, int32_t depth) {
  int64_t acc = 0;
  int32_t d;
  for (d = 0; d < depth; ++d) {
    acc += (int32_t)x[d] * (int32_t)w[d];
  }
  return acc;
}

void tml_lstm_s16(const tml_lstm_params *p, const int16_t *input, int16_t *hidden, int16_t *cell, int16_t *output,
                  int16_t *scratch) {
  const int32_t n = p->cells;
  const int32_t rows = p->time_steps * p->batches;
  int32_t step, g, i;
  for (step = 0; step < rows; ++step) {
    const int32_t b = p->time_major ? step % p->batches : step / p->time_steps;
    const int16_t *x = input + step * p->input_size;
    int16_t *h = hidden + b * n;
    int16_t *c = cell + b * n;
    for (g = 0; g < 4; ++g) {
      const tml_lstm_gate_params *gp = &p->gates[g];
      const int8_t *wi = gp->input_weights;
      const int8_t *wr = gp->recurrent_weights;
      int16_t *out = scratch + g * n;
      for (i = 0; i < n; ++i, wi += p->input_size, wr += n) {
        const int64_t a = tml_lstm_dot_s16(x, wi, p->input_size) + gp->input_bias64[i];
        const int64_t r = tml_lstm_dot_s16(h, wr, n);
        const int32_t fa =
            tml_sat16(tml_multiply_by_quantized_multiplier_i64(a, gp->input_multiplier, gp->input_shift));
        const int32_t fr =
            tml_sat16(tml_multiply_by_quantized_multiplier_i64(r, gp->recurrent_multiplier, gp->recurrent_shift));
        out[i] = (int16_t)tml_sat16((int32_t)fa + (int32_t)fr);
      }
      tml_lstm_activate(p, out, n, g == TML_GATE_CELL);
    }
    for (i = 0; i < n; ++i) {
      const int32_t v = tml_lstm_unit(p, scratch[TML_GATE_FORGET * n + i], scratch[TML_GATE_INPUT * n + i],
                                      scratch[TML_GATE_CELL * n + i], scratch[TML_GATE_OUTPUT * n + i], &c[i], 0);
      h[i] = output[step * n + i] = (int16_t)tml_sat16(v);
    }
  }
}
