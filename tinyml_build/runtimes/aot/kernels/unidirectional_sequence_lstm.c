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

/* x saturated to int16 (and to int8): one SSAT on cores with the saturation instructions. */
static inline int16_t tml_sat16(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return (int16_t)__ssat(x, 16);
#else
  return (int16_t)tml_clamp_i32(x, -32768, 32767);
#endif
}

static inline int8_t tml_lstm_sat8(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return (int8_t)__ssat(x, 8);
#else
  return (int8_t)tml_clamp_i32(x, -128, 127);
#endif
}

/* Inlined into the step loop: a call per row group cost a fifth of the group's instructions. */
#if defined(__GNUC__)
#define TML_LSTM_INLINE __attribute__((always_inline))
#else
#define TML_LSTM_INLINE
#endif

/* Marks the usual case for the compiler's block layout (straight-line code for it). */
#if defined(__GNUC__)
#define TML_LSTM_USUALLY(c) __builtin_expect(!!(c), 1)
#else
#define TML_LSTM_USUALLY(c) (c)
#endif

/* tml_sat16(tml_requant(x, ...)): for the usual shifts (rshift >= 0) the final halving and the
 * saturation are one SSAT with its shift. */
static inline int16_t tml_lstm_requant16(int32_t x, int32_t multiplier, int32_t rshift, int32_t offset) {
  if (TML_LSTM_USUALLY(rshift >= 0)) {
    const int32_t t = (tml_requant_high(x, multiplier) >> rshift) + 1 + 2 * offset;
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
    return (int16_t)__ssat(t >> 1, 16);
#else
    return tml_sat16(t >> 1);
#endif
  }
  return tml_sat16(tml_requant(x, multiplier, rshift, offset));
}

/* reference_integer_ops::Tanh on int16 with a resolved input multiplier and shift. */
static inline int16_t tml_lstm_tanh(const uint16_t *table, int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
  return tml_tanh16(table, ((int32_t)x * multiplier + round) >> shift);
}

/* The gates' nonlinearity on Q3.12: Logistic with input multiplier 0 (x * 3), Tanh at scale 2^-12. */
static void tml_lstm_activate(const tml_lstm_params *p, int16_t *gate, int32_t n, int32_t tanh) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    gate[i] = tanh ? tml_tanh16(p->sigmoid_table, gate[i] * 3) : tml_sigmoid16(p->sigmoid_table, gate[i] * 3);
  }
}

/* MulElementwise before its clamp: MultiplyByQuantizedMultiplier(a * b) + offset (tml_requant). */
static inline int32_t tml_lstm_mul(int16_t a, int16_t b, int32_t multiplier, int32_t rshift, int32_t offset) {
  return tml_requant((int32_t)a * (int32_t)b, multiplier, rshift, offset);
}

/* One cell's update and hidden value, shared by both activation types, from its four activated gates
 * (Q0.15): cell = forget x cell + input x cell gate (saturating, clipped), then tanh(cell) x output
 * gate requantized (before the caller's clamp to the hidden type). */
static inline int32_t tml_lstm_unit(const tml_lstm_params *p, int16_t forget, int16_t input, int16_t cand,
                                    int16_t out_gate, int16_t *cell) {
  const int16_t kept = tml_lstm_requant16((int32_t)forget * *cell, p->forget_multiplier, p->forget_rshift, 0);
  const int16_t added = tml_lstm_requant16((int32_t)input * cand, p->update_multiplier, p->update_rshift, 0);
  int16_t c = tml_sat16((int32_t)kept + (int32_t)added);
  int16_t t;
  if (p->cell_clip > 0) {
    c = (int16_t)tml_clamp_i32(c, -p->cell_clip, p->cell_clip);
  }
  *cell = c;
  t = tml_lstm_tanh(p->sigmoid_table, c, p->tanh_multiplier, p->tanh_shift);
  return tml_lstm_mul(t, out_gate, p->hidden_multiplier, p->hidden_rshift, p->hidden_zero_point);
}

/* One gate pre-activation: both FC sums requantized to Q3.12, added with saturation. */
static inline int16_t tml_lstm_gate_s8(const tml_lstm_gate_params *gp, int32_t input_acc, int32_t recurrent_acc) {
  const int16_t a = tml_lstm_requant16(input_acc, gp->input_multiplier, gp->input_rshift, 0);
  const int16_t r = tml_lstm_requant16(recurrent_acc, gp->recurrent_multiplier, gp->recurrent_rshift, 0);
  return tml_sat16((int32_t)a + (int32_t)r);
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

#if TML_HAVE_SIMD32
/* forms[2q], forms[2q + 1] = xa, xb of quad q of x; returns the input term 128 * sum(x0 + x2). */
static uint32_t tml_lstm_forms(const int8_t *x, int32_t quads, int32_t *forms) {
  int32_t sum = 0;
  for (; quads > 0; --quads, x += 4, forms += 2) {
    const uint32_t word = tml_load4(x);
    const int32_t xa = tml_sxtb16(word);
    forms[0] = xa;
    forms[1] = tml_smlad_xb(word);
    sum = __smlad(xa, 0x00010001, sum);
  }
  return (uint32_t)sum << 7;
}
#endif

/* acc[g] = bias[g] - term + the layout sums of the row group at w (four rows of `quads` quads and
 * `tail` more bytes of x, the unformed input) against x; returns the next group. */
static inline TML_LSTM_INLINE const int8_t *tml_lstm_rows4(const int32_t *forms, const int8_t *x, const int8_t *w, int32_t quads,
                                    int32_t tail, const int32_t *bias, uint32_t term, int32_t *acc) {
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
static int8_t tml_lstm_cell_s8(const tml_lstm_params *p, const int32_t *in, const int32_t *rec, int16_t *cell) {
  const uint16_t *table = p->sigmoid_table;
  const int16_t forget = tml_sigmoid16(table, tml_lstm_gate_s8(&p->gates[TML_GATE_FORGET], in[0], rec[0]) * 3);
  const int16_t input = tml_sigmoid16(table, tml_lstm_gate_s8(&p->gates[TML_GATE_INPUT], in[1], rec[1]) * 3);
  const int16_t cand = tml_tanh16(table, tml_lstm_gate_s8(&p->gates[TML_GATE_CELL], in[2], rec[2]) * 3);
  const int16_t out_gate = tml_sigmoid16(table, tml_lstm_gate_s8(&p->gates[TML_GATE_OUTPUT], in[3], rec[3]) * 3);
  return tml_lstm_sat8(tml_lstm_unit(p, forget, input, cand, out_gate, cell));
}

void tml_lstm_s8(const tml_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output,
                 int32_t *forms) {
  const int32_t n = p->cells, depth = p->input_size;
  const int32_t rows = p->time_steps * p->batches;
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
    const uint32_t term_x = tml_lstm_forms(x, depth >> 2, forms);
    const uint32_t term_h = tml_lstm_forms(h, n >> 2, forms_h);
#else
    const uint32_t term_x = tml_smlad_input_term(x, depth >> 2);
    const uint32_t term_h = tml_smlad_input_term(h, n >> 2);
#endif
    for (i = 0; i < n; ++i) {
      int32_t in[4], rec[4];
      wi = tml_lstm_rows4(forms, x, wi, depth >> 2, depth & 3, p->gate_input_bias + 4 * i, term_x, in);
      wr = tml_lstm_rows4(forms_h, h, wr, n >> 2, n & 3, p->gate_recurrent_bias + 4 * i, term_h, rec);
      y[i] = tml_lstm_cell_s8(p, in, rec, &c[i]);
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
        const int16_t fa =
            tml_sat16(tml_multiply_by_quantized_multiplier_i64(a, gp->input_multiplier, gp->input_shift));
        const int16_t fr =
            tml_sat16(tml_multiply_by_quantized_multiplier_i64(r, gp->recurrent_multiplier, gp->recurrent_shift));
        out[i] = tml_sat16((int32_t)fa + (int32_t)fr);
      }
      tml_lstm_activate(p, out, n, g == TML_GATE_CELL);
    }
    for (i = 0; i < n; ++i) {
      const int32_t v = tml_lstm_unit(p, scratch[TML_GATE_FORGET * n + i], scratch[TML_GATE_INPUT * n + i],
                                      scratch[TML_GATE_CELL * n + i], scratch[TML_GATE_OUTPUT * n + i], &c[i]);
      h[i] = output[step * n + i] = tml_sat16(v);
    }
  }
}
