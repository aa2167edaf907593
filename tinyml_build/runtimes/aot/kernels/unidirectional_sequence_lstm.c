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

enum { TML_GATE_FORGET = 0, TML_GATE_INPUT = 1, TML_GATE_CELL = 2, TML_GATE_OUTPUT = 3 };

static int16_t tml_sat16(int32_t x) {
  return (int16_t)tml_clamp_i32(x, -32768, 32767);
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
static int32_t tml_lstm_mul(int16_t a, int16_t b, int32_t multiplier, int32_t rshift, int32_t offset) {
  return tml_requant((int32_t)a * (int32_t)b, multiplier, rshift, offset);
}

/* The end of a step, shared by both activation types: `gates` holds the four activated gates
 * (Q0.15). Updates the cell, then writes hidden = tanh(cell) x output gate, requantized and
 * clamped to [lo, hi], over the output gate's row (each value is read before it is replaced). */
static void tml_lstm_cell_and_hidden(const tml_lstm_params *p, int16_t *cell, int16_t *gates, int32_t lo, int32_t hi) {
  const int32_t n = p->cells;
  const int16_t *forget = gates + TML_GATE_FORGET * n;
  const int16_t *input = gates + TML_GATE_INPUT * n;
  const int16_t *cand = gates + TML_GATE_CELL * n;
  int16_t *out_gate = gates + TML_GATE_OUTPUT * n;
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int16_t kept = tml_sat16(tml_lstm_mul(forget[i], cell[i], p->forget_multiplier, p->forget_rshift, 0));
    const int16_t added = tml_sat16(tml_lstm_mul(input[i], cand[i], p->update_multiplier, p->update_rshift, 0));
    int16_t c = tml_sat16((int32_t)kept + (int32_t)added);
    if (p->cell_clip > 0) {
      c = (int16_t)tml_clamp_i32(c, -p->cell_clip, p->cell_clip);
    }
    cell[i] = c;
  }
  for (i = 0; i < n; ++i) {
    const int16_t t = tml_lstm_tanh(p->sigmoid_table, cell[i], p->tanh_multiplier, p->tanh_shift);
    const int32_t v = tml_lstm_mul(t, out_gate[i], p->hidden_multiplier, p->hidden_rshift, p->hidden_zero_point);
    out_gate[i] = (int16_t)tml_clamp_i32(v, lo, hi);
  }
}

/* One gate pre-activation: both FC sums requantized to Q3.12, added with saturation. */
static inline int16_t tml_lstm_gate_s8(const tml_lstm_gate_params *gp, int32_t input_acc, int32_t recurrent_acc) {
  const int16_t a = tml_sat16(tml_requant(input_acc, gp->input_multiplier, gp->input_rshift, 0));
  const int16_t r = tml_sat16(tml_requant(recurrent_acc, gp->recurrent_multiplier, gp->recurrent_rshift, 0));
  return tml_sat16((int32_t)a + (int32_t)r);
}

void tml_lstm_s8(const tml_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output,
                 int16_t *scratch) {
  const int32_t n = p->cells;
  const int32_t rows = p->time_steps * p->batches;
  int32_t step, g, i;
  for (step = 0; step < rows; ++step) {
    /* Batch-major walks b then t; time-major t then b. Either way row `step` of input/output. */
    const int32_t b = p->time_major ? step % p->batches : step / p->time_steps;
    const int8_t *x = input + step * p->input_size;
    int8_t *h = hidden + b * n;
    int16_t *c = cell + b * n;
    for (g = 0; g < 4; ++g) {
      const tml_lstm_gate_params *gp = &p->gates[g];
      const int8_t *wi = gp->input_weights;
      const int8_t *wr = gp->recurrent_weights;
      int16_t *out = scratch + g * n;
      /* Two rows per pass (SMLAD on Armv7E-M loads each input pair once for both). */
      for (i = 0; i + 1 < n; i += 2) {
        int32_t a0 = gp->input_bias[i], a1 = gp->input_bias[i + 1];
        int32_t r0 = gp->recurrent_bias[i], r1 = gp->recurrent_bias[i + 1];
        wi = tml_dot2_s8(x, wi, wi + p->input_size, p->input_size, &a0, &a1);
        wr = tml_dot2_s8(h, wr, wr + n, n, &r0, &r1);
        out[i] = tml_lstm_gate_s8(gp, a0, r0);
        out[i + 1] = tml_lstm_gate_s8(gp, a1, r1);
      }
      if (i < n) {
        out[i] = tml_lstm_gate_s8(gp, tml_dot_s8(x, wi, p->input_size, gp->input_bias[i]),
                                  tml_dot_s8(h, wr, n, gp->recurrent_bias[i]));
      }
      tml_lstm_activate(p, out, n, g == TML_GATE_CELL);
    }
    tml_lstm_cell_and_hidden(p, c, scratch, -128, 127);
    for (i = 0; i < n; ++i) {
      h[i] = output[step * n + i] = (int8_t)scratch[TML_GATE_OUTPUT * n + i];
    }
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
    tml_lstm_cell_and_hidden(p, c, scratch, -32768, 32767);
    for (i = 0; i < n; ++i) {
      h[i] = output[step * n + i] = scratch[TML_GATE_OUTPUT * n + i];
    }
  }
}
