/* UNIDIRECTIONAL_SEQUENCE_LSTM, float32: the same results as TFLM's EvalLstm<float, ...>.
 *
 * Per time step and batch row: each gate is the input FC (bias added last) and the recurrent FC
 * (no bias: TFLM adds 0.0f), both clamped to the float range as reference FullyConnected does with
 * kTfLiteActNone (only infinities move: they become +-FLT_MAX), then added unclamped and passed
 * through reference Logistic (TFLM's cut-offs; expf) or tanhf for the cell gate. The cell becomes
 * forget x cell + input x cell gate (each product clamped as reference Mul does, the sum not),
 * optionally clipped; hidden = tanhf(cell) x output gate, copied to the output. Sums run
 * sequentially from 0.0f in TFLM's order and the kernel is compiled as C99 (GCC fuses no
 * multiply-add), so the host results are TFLM's bit for bit; on a target expf/tanhf come from its
 * libm (aot README). Batch rows are independent, so time-major and batch-major models run the
 * same per-row step as the integer kernel does; only the row order and state row differ.
 */
#include <float.h>
#include <math.h>

#include "tml_kernels.h"

enum { TML_F32_FORGET = 0, TML_F32_INPUT = 1, TML_F32_CELL = 2, TML_F32_OUTPUT = 3 };

/* ActivationFunctionWithMinMax(x, lowest, max) as std::min(std::max(...)): NaN passes. */
static inline float tml_lstm_f32_clamp(float x) {
  const float low = x < -FLT_MAX ? -FLT_MAX : x;
  return FLT_MAX < low ? FLT_MAX : low;
}

/* reference_ops::Logistic(float): TFLM's cut-offs, then expf. */
static inline float tml_lstm_f32_sigmoid(float x) {
  if (x > 16.619047164916992188f) return 1.0f;
  if (x < -9.0f) return expf(x);
  return 1.0f / (1.0f + expf(-x));
}

static inline float tml_lstm_f32_dot(const float *x, const float *w, int32_t n) {
  float total = 0.0f;
  int32_t d;
  for (d = 0; d < n; ++d) {
    total += x[d] * w[d];
  }
  return total;
}

/* Four rows' dot products with x in one pass (each x[d] loaded once for all four; Cortex-M4 has
 * no fused multiply-add in C99, so a product and a sum per weight is the floor), each row summed
 * in TFLM's order. */
static inline void tml_lstm_f32_dot4(const float *x, const float *w, int32_t n, float *sums) {
  const float *w0 = w;
  const float *w1 = w0 + n;
  const float *w2 = w1 + n;
  const float *w3 = w2 + n;
  const float *const end = x + n;
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  while (x != end) { /* pointer walks: VLDR has no register offset */
    const float v = *x++;
    t0 += v * *w0++;
    t1 += v * *w1++;
    t2 += v * *w2++;
    t3 += v * *w3++;
  }
  sums[0] = t0;
  sums[1] = t1;
  sums[2] = t2;
  sums[3] = t3;
}

/* reference_ops::Logistic, or tanh for the cell gate, of FC(input) + FC(hidden). */
static inline float tml_lstm_f32_activate(int32_t g, float input_fc, float bias, float recurrent_fc) {
  const float v = tml_lstm_f32_clamp(input_fc + bias) + tml_lstm_f32_clamp(recurrent_fc + 0.0f);
  return g == TML_F32_CELL ? tanhf(v) : tml_lstm_f32_sigmoid(v);
}

/* One gate for one row, four units per pass. */
static void tml_lstm_f32_gate(const tml_lstm_f32_params *p, int32_t g, const float *x, const float *h, float *out) {
  const tml_lstm_f32_gate_params *gp = &p->gates[g];
  const int32_t n = p->cells;
  const int32_t depth = p->input_size;
  const float *wi = gp->input_weights;
  const float *wr = gp->recurrent_weights;
  int32_t i, k;
  for (i = 0; i + 3 < n; i += 4, wi += 4 * depth, wr += 4 * n) {
    float a[4], r[4];
    tml_lstm_f32_dot4(x, wi, depth, a);
    tml_lstm_f32_dot4(h, wr, n, r);
    for (k = 0; k < 4; ++k) {
      out[i + k] = tml_lstm_f32_activate(g, a[k], gp->bias[i + k], r[k]);
    }
  }
  for (; i < n; ++i, wi += depth, wr += n) {
    out[i] = tml_lstm_f32_activate(g, tml_lstm_f32_dot(x, wi, depth), gp->bias[i], tml_lstm_f32_dot(h, wr, n));
  }
}

void tml_lstm_f32(const tml_lstm_f32_params *p, const float *input, float *hidden, float *cell, float *output,
                  float *scratch) {
  const int32_t n = p->cells;
  const int32_t rows = p->time_steps * p->batches;
  const float clip = p->cell_clip;
  int32_t step, g, i;
  for (step = 0; step < rows; ++step) {
    /* Batch-major walks b then t; time-major t then b. Either way row `step` of input/output. */
    const int32_t b = p->time_major ? step % p->batches : step / p->time_steps;
    const float *x = input + step * p->input_size;
    float *h = hidden + b * n;
    float *c = cell + b * n;
    const float *forget = scratch + TML_F32_FORGET * n;
    const float *in_gate = scratch + TML_F32_INPUT * n;
    const float *cand = scratch + TML_F32_CELL * n;
    const float *out_gate = scratch + TML_F32_OUTPUT * n;
    /* Every gate reads the hidden state of the previous step: all four before h changes. */
    for (g = 0; g < 4; ++g) {
      tml_lstm_f32_gate(p, g, x, h, scratch + g * n);
    }
    for (i = 0; i < n; ++i) {
      float v = tml_lstm_f32_clamp(forget[i] * c[i]) + tml_lstm_f32_clamp(in_gate[i] * cand[i]);
      if (clip > 0.0f) {
        /* std::max(std::min(clip, v), -clip): a NaN cell becomes clip, as in TFLM's Clipping. */
        v = v < clip ? v : clip;
        v = v < -clip ? -clip : v;
      }
      c[i] = v;
      h[i] = tml_lstm_f32_clamp(tanhf(v) * out_gate[i]);
      output[step * n + i] = h[i];
    }
  }
}
