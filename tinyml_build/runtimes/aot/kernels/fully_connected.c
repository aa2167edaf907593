/* fully_connected.c -- FULLY_CONNECTED, int8 (per-tensor or per-channel); float32 is fully_connected_f32.c.
 *
 * Matches TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel
 * (float32: fully_connected_f32.c). The input zero point is folded into the bias at build time,
 * so acc = bias'[o] + sum(x * w) equals TFLM's bias[o] + sum((x - zp) * w) exactly. Outputs are
 * computed in blocks: the accumulators of up to TML_REQUANT_BLOCK outputs, then one
 * requantization pass (tml_requant.h).
 *
 * Why the int8 weights have their own layout (ops/fully_connected.py, smlad_weights): an FC
 * layer reads every weight once per inference, so the cost per weight word is the kernel's
 * speed. Plain SMLAD needs two sign extensions per weight word (five instructions per four
 * MACs). Here bytes 0 and 2 of each weight quad hold w + 128 and bytes 1 and 3 hold w, so the
 * raw word read as two int16 lanes is (256 w1 + w0 + 128, 256 w3 + w2 + 128). With the input
 * quad x as xa = (x0, x2) and xb = (x1 - 128 - 256 x0, x3 - 128 - 256 x2) -- both from the input
 * alone, made once per quad for four rows, and xb always fits int16 --
 *   SMLAD(xa, word) + SMLAD(xb, (w1, w3)) = x.w + 128 (x0 + x2) - 128 (w1 + w3),
 * one sign extension per weight word (four instructions per four MACs). The weight term is a
 * per-row constant folded into the bias at build time; the input term is subtracted once per
 * inference. Four rows are interleaved quad by quad, so one pointer walks them. The portable path
 * computes the same sums in plain C (modulo 2^32, as SMLAD does), so every build gives the same bits.
 *
 * Stack: the path's frames hold no buffer (tests/test_aot_fc_stack.py). Its accumulators and input
 * forms are the layer's arena scratch where the plan has room for it without growing the arena
 * (ops/fully_connected.py work_bytes: min(units, TML_FC_SCRATCH_BLOCK) accumulators, the forms of up
 * to TML_FC_CHUNK_QUADS quads), else the same buffer on the frame of a wrapper sized to the layer
 * (tml_fully_connected_s8_stack<words>, picked by the lowering): the same passes, so the same
 * instructions and bits, either way.
 */
#include "tml_dot.h"
#include "tml_requant.h"

/* Helpers that keep their own small stack frame and prologue (not inlined into the caller). */
#if defined(__GNUC__)
#define TML_FC_SEPARATE __attribute__((noinline))
#else
#define TML_FC_SEPARATE
#endif

/* Rows per pass over the input; the layout's row group (ops/fully_connected.py, ROW_GROUP). */
#define TML_FC_ROWS 4

/* Rows of the small layers whose accumulators fit the small stack buffers (stack16, stack48) and of the
 * row-major path's block (its frame's largest array). */
#define TML_FC_BLOCK 16

/* Input quads whose forms fit the frame (8 bytes each); ops/fully_connected.py FORMS_STACK_QUADS. */
#define TML_FC_STACK_QUADS 16

/* Input quads per chunk of forms in the arena's buffer (ops/fully_connected.py FORMS_CHUNK_QUADS). */
#define TML_FC_CHUNK_QUADS 64

/* Outputs per requantization block of the SMLAD layout's path (ops/fully_connected.py SCRATCH_BLOCK):
 * their accumulators open the layer's buffer. */
#define TML_FC_SCRATCH_BLOCK 32

#if TML_HAVE_SIMD32
/* Rows from which storing the input forms pays (three groups read them; fewer make them inline). */
#define TML_FC_FORMS_ROWS (3 * TML_FC_ROWS)

/* tml_smlad_forms without the input term, for the chunks of an input too deep for one buffer of forms
 * (its term is made once, by tml_fc_input_term): a function of its own, whose loop keeps its constant
 * in a register (inlined in tml_fully_connected_s8_work, GCC reloaded it every quad). */
TML_FC_SEPARATE static void tml_fc_chunk_forms(const int8_t *x, int32_t quads, int32_t *forms) {
  for (; quads > 0; --quads, x += 4, forms += 2) {
    const uint32_t word = tml_load4(x);
    forms[0] = tml_sxtb16(word);
    forms[1] = tml_smlad_xb(word);
  }
}

/* tml_smlad_input_term for inputs whose forms are not stored: four quads' (x0, x2) lanes summed by
 * SXTAB16 (at most 4 * 128 per int16 lane), then one SMLAD -- 11 instructions per four quads, not 20. */
TML_FC_SEPARATE static uint32_t tml_fc_input_term(const int8_t *x, int32_t quads) {
  int32_t sum = 0;
  for (; quads >= 4; quads -= 4, x += 16) {
    int32_t lanes = tml_sxtb16(tml_load4(x));
    lanes = tml_sxtab16(lanes, tml_load4(x + 4));
    lanes = tml_sxtab16(lanes, tml_load4(x + 8));
    lanes = tml_sxtab16(lanes, tml_load4(x + 12));
    sum = __smlad(lanes, 0x00010001, sum);
  }
  for (; quads > 0; --quads, x += 4) {
    sum = __smlad(tml_sxtb16(tml_load4(x)), 0x00010001, sum);
  }
  return (uint32_t)sum << 7;
}

/* Two weight words of row quads against the input forms (xa, xb): two SMLADs each. */
#define TML_FC_ROW_QUAD(s, xa, xb, wv)             \
  do {                                             \
    (s) = __smlad((xa), (int32_t)(wv), (s));       \
    (s) = __smlad((xb), tml_sxtb16_ror8(wv), (s)); \
  } while (0)

#if defined(TML_SMLAD_QUAD4_ASM) /* tml_dot.h: one input quad's forms against four rows, 17 instructions */
/* tml_fc_rows for a full group: one pair of input forms feeds four rows (a load, one sign
 * extension and two SMLADs per four MACs), two quads per iteration to halve the loop's own cost. */
static void tml_fc_rows4(const int32_t *forms, const int8_t *w, int32_t quads, const int32_t *from, uint32_t minus,
                         uint32_t *acc) {
  int32_t s0 = (int32_t)((uint32_t)from[0] - minus), s1 = (int32_t)((uint32_t)from[1] - minus);
  int32_t s2 = (int32_t)((uint32_t)from[2] - minus), s3 = (int32_t)((uint32_t)from[3] - minus);
  int32_t xa, xb, t;
  const int32_t *const end = forms + 2 * quads;
  if (quads & 1) {
    __asm__(TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_OPERANDS(forms, w, xa, xb, t));
  }
  while (forms != end) {
    __asm__(TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_ASM TML_SMLAD_QUAD4_OPERANDS(forms, w, xa, xb, t));
  }
  acc[0] = (uint32_t)s0;
  acc[1] = (uint32_t)s1;
  acc[2] = (uint32_t)s2;
  acc[3] = (uint32_t)s3;
}
#else
/* tml_fc_rows for a full group: one pair of input forms feeds four rows (a load, one sign
 * extension and two SMLADs per four MACs), two quads per iteration to halve the loop's own cost. */
static void tml_fc_rows4(const int32_t *forms, const int8_t *w, int32_t quads, const int32_t *from, uint32_t minus,
                         uint32_t *acc) {
  int32_t s0 = (int32_t)((uint32_t)from[0] - minus), s1 = (int32_t)((uint32_t)from[1] - minus);
  int32_t s2 = (int32_t)((uint32_t)from[2] - minus), s3 = (int32_t)((uint32_t)from[3] - minus);
  const int32_t *const end = forms + 2 * quads;
  if (quads & 1) {
    TML_FC_ROW_QUAD(s0, forms[0], forms[1], tml_load4(w));
    TML_FC_ROW_QUAD(s1, forms[0], forms[1], tml_load4(w + 4));
    TML_FC_ROW_QUAD(s2, forms[0], forms[1], tml_load4(w + 8));
    TML_FC_ROW_QUAD(s3, forms[0], forms[1], tml_load4(w + 12));
    forms += 2;
    w += 16;
  }
  for (; forms != end; forms += 4, w += 32) {
    int32_t xa = forms[0], xb = forms[1];
    TML_FC_ROW_QUAD(s0, xa, xb, tml_load4(w));
    TML_FC_ROW_QUAD(s1, xa, xb, tml_load4(w + 4));
    TML_FC_ROW_QUAD(s2, xa, xb, tml_load4(w + 8));
    TML_FC_ROW_QUAD(s3, xa, xb, tml_load4(w + 12));
    xa = forms[2];
    xb = forms[3];
    TML_FC_ROW_QUAD(s0, xa, xb, tml_load4(w + 16));
    TML_FC_ROW_QUAD(s1, xa, xb, tml_load4(w + 20));
    TML_FC_ROW_QUAD(s2, xa, xb, tml_load4(w + 24));
    TML_FC_ROW_QUAD(s3, xa, xb, tml_load4(w + 28));
  }
  acc[0] = (uint32_t)s0;
  acc[1] = (uint32_t)s1;
  acc[2] = (uint32_t)s2;
  acc[3] = (uint32_t)s3;
}
#endif

/* tml_fc_rows4 making the input forms as it goes: cheaper than storing them when only one or two
 * groups read them (e.g. micro_speech's 4 x 4000 layer). */
TML_FC_SEPARATE static void tml_fc_rows4_direct(const int8_t *x, const int8_t *w, int32_t quads, const int32_t *from,
                                                uint32_t minus, uint32_t *acc) {
  int32_t s0 = (int32_t)((uint32_t)from[0] - minus), s1 = (int32_t)((uint32_t)from[1] - minus);
  int32_t s2 = (int32_t)((uint32_t)from[2] - minus), s3 = (int32_t)((uint32_t)from[3] - minus);
  const int8_t *const end = x + 4 * quads;
  for (; x != end; x += 4, w += 16) {
    const uint32_t word = tml_load4(x);
    const int32_t xa = tml_sxtb16(word), xb = tml_smlad_xb(word);
    TML_FC_ROW_QUAD(s0, xa, xb, tml_load4(w));
    TML_FC_ROW_QUAD(s1, xa, xb, tml_load4(w + 4));
    TML_FC_ROW_QUAD(s2, xa, xb, tml_load4(w + 8));
    TML_FC_ROW_QUAD(s3, xa, xb, tml_load4(w + 12));
  }
  acc[0] = (uint32_t)s0;
  acc[1] = (uint32_t)s1;
  acc[2] = (uint32_t)s2;
  acc[3] = (uint32_t)s3;
}
#else
/* One quad of one row: x.w + 128 (x0 + x2) - 128 (w1 + w3), the layout's sum (portable form). */
static inline uint32_t tml_fc_quad(const int8_t *x, const int8_t *w) {
  return (uint32_t)(x[0] * (int32_t)(uint8_t)w[0] + (x[1] - 128) * w[1] + x[2] * (int32_t)(uint8_t)w[2] +
                    (x[3] - 128) * w[3]);
}

/* s + the same sum from the input quad's four terms (x0, x1 - 128, x2, x3 - 128), shared by the rows
 * of a group; added product by product, so each is one multiply-accumulate into s. Thumb-2
 * (Cortex-M3) reads the weight quad as one word and takes its bytes with single extract
 * instructions: one flash access per quad instead of four. */
static inline uint32_t tml_fc_mac4(uint32_t s, int32_t x0, int32_t x1, int32_t x2, int32_t x3, const int8_t *w) {
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 2 && defined(__ARMEL__)
  /* the empty asm keeps s in order: GCC otherwise sums the four products first and spills the rows' s */
  const uint32_t wv = tml_load4(w);
  s += (uint32_t)(x0 * (int32_t)(uint8_t)wv);
  __asm__("" : "+r"(s));
  s += (uint32_t)(x1 * (int32_t)(int8_t)(wv >> 8));
  __asm__("" : "+r"(s));
  s += (uint32_t)(x2 * (int32_t)(uint8_t)(wv >> 16));
  __asm__("" : "+r"(s));
  return s + (uint32_t)(x3 * (int32_t)(int8_t)(wv >> 24));
#else
  s += (uint32_t)(x0 * (int32_t)(uint8_t)w[0]);
  s += (uint32_t)(x1 * w[1]);
  s += (uint32_t)(x2 * (int32_t)(uint8_t)w[2]);
  return s + (uint32_t)(x3 * w[3]);
#endif
}

/* acc[0..3] += the layout sums of a full group of rows: each input quad's terms made once for
 * its four rows (cores without SIMD32). */
TML_FC_SEPARATE static void tml_fc_rows4_plain(const int8_t *x, const int8_t *w, int32_t quads, uint32_t *acc) {
  uint32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
  const int8_t *const end = x + 4 * quads;
  for (; x != end; x += 4, w += 4 * TML_FC_ROWS) {
    const int32_t x0 = x[0], x1 = x[1] - 128, x2 = x[2], x3 = x[3] - 128;
    s0 = tml_fc_mac4(s0, x0, x1, x2, x3, w);
    s1 = tml_fc_mac4(s1, x0, x1, x2, x3, w + 4);
    s2 = tml_fc_mac4(s2, x0, x1, x2, x3, w + 8);
    s3 = tml_fc_mac4(s3, x0, x1, x2, x3, w + 12);
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}
#endif

/* acc[j] += the layout sums of the quads of the r rows of a group (any r <= TML_FC_ROWS; the input
 * forms are made per row: for the last, partial group). */
static void tml_fc_rows(const int8_t *x, const int8_t *w, int32_t quads, int32_t r, uint32_t *acc) {
  int32_t j, q;
  for (j = 0; j < r; ++j) {
    const int8_t *wq = w + 4 * j;
    const int8_t *xq = x;
    uint32_t sum = acc[j];
    for (q = 0; q < quads; ++q, xq += 4, wq += 4 * r) {
#if TML_HAVE_SIMD32
      const uint32_t word = tml_load4(xq), wv = tml_load4(wq);
      sum = (uint32_t)__smlad(tml_sxtb16(word), (int32_t)wv, (int32_t)sum);
      sum = (uint32_t)__smlad(tml_smlad_xb(word), tml_sxtb16_ror8(wv), (int32_t)sum);
#else
      sum += tml_fc_quad(xq, wq);
#endif
    }
    acc[j] = sum;
  }
}

/* acc[i] = TFLM's accumulator of rows first .. first + n - 1 (first a multiple of TML_FC_ROWS: the
 * groups before it are full, TML_FC_ROWS * depth bytes each). SIMD32: `forms` holds 2 * chunk words;
 * forms_ready: it already holds the whole input's forms (quads <= chunk), made once for every block
 * of rows. */
static void tml_fc_accumulate(const tml_fc_s8_params *p, const int8_t *x, uint32_t input_term, int32_t first, int32_t n,
                              int32_t *forms, int32_t chunk, int32_t forms_ready, int32_t *acc) {
  const int32_t depth = p->accum_depth, quads = depth >> 2, tail = depth & 3;
  const int8_t *const rows = p->weights + first * depth;
  const int32_t *const bias = p->bias + first;
  uint32_t *sums = (uint32_t *)acc;
  int32_t i, j, t;
  const int32_t full = n / TML_FC_ROWS * TML_FC_ROWS;
#if TML_HAVE_SIMD32
  int32_t q0;
  /* the full groups start from the bias (first chunk) or their sums so far (later chunks) */
  if (!forms_ready && full < TML_FC_FORMS_ROWS) {
    for (i = 0; i < full; i += TML_FC_ROWS) {
      tml_fc_rows4_direct(x, rows + i * depth, quads, bias + i, input_term, sums + i);
    }
  } else {
    for (q0 = 0; full > 0 && q0 < quads; q0 += chunk) {
      const int32_t size = quads - q0 < chunk ? quads - q0 : chunk;
      if (!forms_ready) {
        tml_fc_chunk_forms(x + 4 * q0, size, forms);
      }
      for (i = 0; i < full; i += TML_FC_ROWS) {
        tml_fc_rows4(forms, rows + i * depth + 4 * TML_FC_ROWS * q0, size, q0 == 0 ? bias + i : acc + i,
                     q0 == 0 ? input_term : 0, sums + i);
      }
    }
  }
  for (i = full; i < n; ++i) {
    sums[i] = (uint32_t)bias[i] - input_term;
  }
#else
  (void)forms;
  (void)chunk;
  (void)forms_ready;
  for (i = 0; i < n; ++i) {
    sums[i] = (uint32_t)bias[i] - input_term;
  }
  for (i = 0; i < full; i += TML_FC_ROWS) {
    tml_fc_rows4_plain(x, rows + i * depth, quads, sums + i);
  }
#endif
  if (full < n) {
    tml_fc_rows(x, rows + full * depth, quads, n - full, sums + full);
  }
  if (tail == 0) {
    return;
  }
  x += 4 * quads; /* each group's rows end with their depth % 4 tail bytes, row by row */
  for (i = 0; i < n; i += TML_FC_ROWS) {
    const int32_t r = n - i < TML_FC_ROWS ? n - i : TML_FC_ROWS;
    const int8_t *w = rows + i * depth + 4 * r * quads;
    for (j = 0; j < r; ++j, w += tail) {
      for (t = 0; t < tail; ++t) {
        sums[i + j] += (uint32_t)(x[t] * w[t]);
      }
    }
  }
}

/* acc[i] = bias[i] + dot(input, w[i]) for n rows of a plain row-major matrix (depth bytes each). */
static void tml_fc_plain_rows(const int8_t *input, const int8_t *w, int32_t depth, const int32_t *bias, int32_t n,
                              int32_t *acc) {
  if (depth == 1) { /* e.g. a scalar input: one multiply-add per output */
    const int32_t x = input[0];
    for (; n > 0; --n) {
      *acc++ = (int32_t)((uint32_t)*bias++ + (uint32_t)(x * *w++));
    }
    return;
  }
  for (; n >= 2; n -= 2, bias += 2, acc += 2) {
    int32_t acc0 = bias[0];
    int32_t acc1 = bias[1];
    w = tml_dot2_s8(input, w, w + depth, depth, &acc0, &acc1);
    acc[0] = acc0;
    acc[1] = acc1;
  }
  if (n > 0) {
    acc[0] = tml_dot_s8(input, w, depth, bias[0]);
  }
}

/* Layers too small for the SMLAD layout (fewer than TML_FC_ROWS rows or depth < 4, e.g. hello_world's
 * first and last): the weights stay row-major and a call costs less than its set-up would. */
void tml_fully_connected_s8_rows(const tml_fc_s8_params *p, const int8_t *input, int8_t *output) {
  const int32_t depth = p->accum_depth, units = p->output_depth;
  int32_t acc[TML_FC_BLOCK];
  int32_t b, o;
  if (p->batches == 1 && units <= TML_FC_BLOCK) { /* small layers: one block */
    tml_fc_plain_rows(input, p->weights, depth, p->bias, units, acc);
    tml_requant_s8(&p->out, 0, acc, units, output);
    return;
  }
  for (b = 0; b < p->batches; ++b, input += depth, output += units) {
    for (o = 0; o < units; o += TML_FC_BLOCK) {
      const int32_t n = units - o < TML_FC_BLOCK ? units - o : TML_FC_BLOCK;
      tml_fc_plain_rows(input, p->weights + o * depth, depth, p->bias + o, n, acc);
      tml_requant_s8(&p->out, o, acc, n, output + o);
    }
  }
}

/* Accumulators in a layer's buffer: one requantization block of its outputs, at most
 * TML_FC_SCRATCH_BLOCK (ops/fully_connected.py _forms_scratch). */
#define TML_FC_WORK_ACC(units) ((units) < TML_FC_SCRATCH_BLOCK ? (units) : TML_FC_SCRATCH_BLOCK)

/* Layers in the SMLAD layout (at least TML_FC_ROWS rows, depth >= 4), over their buffer `work`:
 * TML_FC_WORK_ACC(units) accumulators, then (SIMD32, layers of TML_FC_FORMS_ROWS rows or more) the
 * forms of min(quads, TML_FC_CHUNK_QUADS) input quads; deeper inputs are walked in chunks of that
 * many. The arena's scratch, or a buffer on the frame of a stack wrapper below: none on this one. */
TML_FC_SEPARATE void tml_fully_connected_s8_work(const tml_fc_s8_params *p, const int8_t *input, int8_t *output,
                                                 int32_t *work) {
  const int32_t depth = p->accum_depth, units = p->output_depth;
  int32_t *const acc = work;
#if TML_HAVE_SIMD32
  int32_t *const forms = work + TML_FC_WORK_ACC(units);
  const int32_t forms_ready = (depth >> 2) <= TML_FC_CHUNK_QUADS && units >= TML_FC_FORMS_ROWS;
#else
  int32_t *const forms = NULL;
  const int32_t forms_ready = 0;
#endif
  int32_t b, o;
  for (b = 0; b < p->batches; ++b, input += depth, output += units) {
    uint32_t input_term;
#if TML_HAVE_SIMD32
    input_term = forms_ready ? tml_smlad_forms(input, depth >> 2, forms) : tml_fc_input_term(input, depth >> 2);
#else
    input_term = tml_smlad_input_term(input, depth >> 2);
#endif
    for (o = 0; o < units; o += TML_FC_SCRATCH_BLOCK) {
      const int32_t n = units - o < TML_FC_SCRATCH_BLOCK ? units - o : TML_FC_SCRATCH_BLOCK;
      tml_fc_accumulate(p, input, input_term, o, n, forms, TML_FC_CHUNK_QUADS, forms_ready, acc);
      tml_requant_s8(&p->out, o, acc, n, output + o);
    }
  }
}

/* A layer whose buffer the arena had no room for without growing: the buffer on this frame, only on
 * such layers' path. One function per size (WORDS int32: TML_FC_STACK_WORDS of the largest layer it
 * serves, ops/fully_connected.py stack_words), so that a small layer does not reserve the largest
 * buffer; the lowering picks it (tml_kernels.h, tml_fully_connected_s8). Without SIMD32 the buffer
 * holds the ACC accumulators alone. */
#define TML_FC_STACK_WORK(WORDS, ACC)                                                                        \
  void tml_fully_connected_s8_stack##WORDS(const tml_fc_s8_params *p, const int8_t *input, int8_t *output) { \
    int32_t work[TML_HAVE_SIMD32 ? (WORDS) : (ACC)];                                                         \
    tml_fully_connected_s8_work(p, input, output, work);                                                     \
  }
/* fewer than TML_FC_FORMS_ROWS rows: TML_FC_BLOCK accumulators, no forms */
TML_FC_STACK_WORK(16, TML_FC_BLOCK)
/* inputs of at most TML_FC_STACK_QUADS quads: up to TML_FC_BLOCK rows, more */
TML_FC_STACK_WORK(48, TML_FC_BLOCK)
TML_FC_STACK_WORK(64, TML_FC_SCRATCH_BLOCK)
/* deeper inputs: up to 2 * TML_FC_STACK_QUADS quads, then chunks of TML_FC_CHUNK_QUADS */
TML_FC_STACK_WORK(96, TML_FC_SCRATCH_BLOCK)
TML_FC_STACK_WORK(160, TML_FC_SCRATCH_BLOCK)
