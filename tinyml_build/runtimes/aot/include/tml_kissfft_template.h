/* tml_kissfft_template.h -- SignalRfft / SignalIrfft for one sample type, bit-exact with kissfft v130
 * as TFLM builds it (signal/src/kiss_fft_wrappers: int16 = FIXED_POINT 16, int32 = FIXED_POINT 32,
 * float; TFLM's kissfft.patch makes HALF_OF multiply by a float 0.5).
 *
 * Included once per type by kernels/signal_rfft.c, which defines the arithmetic first (the template
 * #undefs it at its end):
 *   TML_FFT_T              sample type
 *   TML_FFT_ID(name)       public name of `name` for this type (tml_signal_<name>_<type>)
 *   TML_FFT_ADD/SUB/NEG    sample sums as kissfft's C computes them (fixed point: modulo 2^bits)
 *   TML_FFT_MULS(a, b)     S_MUL: product rounded back to the sample scale (fixed) or a * b
 *   TML_FFT_CMUL_R/I(a, b) C_MUL's real and imaginary parts of complex a * b
 *   TML_FFT_DIV(x, k)      C_FIXDIV's per-stage scaling of one value by 1/k (fixed) or x
 *   TML_FFT_HALF(x)        HALF_OF of a stored sample
 *   TML_FFT_HALF_ADD/SUB   HALF_OF(a + b), HALF_OF(a - b) of the sum as C forms it
 *   TML_FFT_SCALE_INVERSE  defined: the irfft divides each output by fft_length (TFLM's float wrapper)
 *   TML_FFT_BFLY2_WORDS / TML_FFT_STAGE4_WORDS / TML_FFT_SPLIT_WORDS / TML_FFT_MERGE_WORDS  optional:
 *                          faster radix-2 / radix-4 butterflies, kiss_fftr split and kiss_fftri merge
 *                          loops with the same results (int16 on Armv7E-M: one word per complex value)
 *
 * Why a template: the three types run the same algorithm with different scalar arithmetic, as
 * kissfft itself is compiled three times; writing it once keeps the operation order identical.
 * The twiddles, factorisation and first-pass order are tables made at build time
 * (ops/_kissfft_plan.py). The complex FFT runs kissfft's butterflies stage by stage (innermost
 * first) instead of recursively: each butterfly reads and writes only its own points, so the order
 * of butterflies within a stage does not change any result. Written from kissfft's algorithm (read,
 * not copied). No libm; no state. */

typedef struct {
  TML_FFT_T r, i;
} TML_FFT_ID(cpx);

static TML_FFT_ID(cpx) TML_FFT_ID(cmul)(TML_FFT_ID(cpx) a, TML_FFT_ID(cpx) b) {
  TML_FFT_ID(cpx) m;
  m.r = TML_FFT_CMUL_R(a, b);
  m.i = TML_FFT_CMUL_I(a, b);
  return m;
}

static TML_FFT_ID(cpx) TML_FFT_ID(cadd)(TML_FFT_ID(cpx) a, TML_FFT_ID(cpx) b) {
  TML_FFT_ID(cpx) s;
  s.r = TML_FFT_ADD(a.r, b.r);
  s.i = TML_FFT_ADD(a.i, b.i);
  return s;
}

static TML_FFT_ID(cpx) TML_FFT_ID(csub)(TML_FFT_ID(cpx) a, TML_FFT_ID(cpx) b) {
  TML_FFT_ID(cpx) s;
  s.r = TML_FFT_SUB(a.r, b.r);
  s.i = TML_FFT_SUB(a.i, b.i);
  return s;
}

#define TML_FFT_CDIV(c, k)         \
  do {                             \
    (c).r = TML_FFT_DIV((c).r, k); \
    (c).i = TML_FFT_DIV((c).i, k); \
  } while (0)

#ifdef TML_FFT_BFLY2_WORDS
#define TML_FFT_BFLY2 TML_FFT_BFLY2_WORDS
#else
#define TML_FFT_BFLY2 TML_FFT_ID(bfly2)
static void TML_FFT_ID(bfly2)(TML_FFT_ID(cpx) * f, const TML_FFT_ID(cpx) * tw, int32_t fstride, int32_t m) {
  TML_FFT_ID(cpx) *f2 = f + m;
  int32_t k;
  for (k = 0; k < m; ++k, tw += fstride) {
    TML_FFT_ID(cpx) t;
    TML_FFT_CDIV(f[k], 2);
    TML_FFT_CDIV(f2[k], 2);
    t = TML_FFT_ID(cmul)(f2[k], *tw);
    f2[k] = TML_FFT_ID(csub)(f[k], t);
    f[k] = TML_FFT_ID(cadd)(f[k], t);
  }
}

#endif

static void TML_FFT_ID(bfly3)(TML_FFT_ID(cpx) * f, const TML_FFT_ID(cpx) * tw, int32_t fstride, int32_t m) {
  const TML_FFT_T epi3_i = tw[fstride * m].i;
  int32_t k;
  for (k = 0; k < m; ++k) {
    TML_FFT_ID(cpx) *f0 = f + k, *f1 = f0 + m, *f2 = f0 + 2 * m;
    TML_FFT_ID(cpx) s0, s1, s2, s3;
    TML_FFT_CDIV(*f0, 3);
    TML_FFT_CDIV(*f1, 3);
    TML_FFT_CDIV(*f2, 3);
    s1 = TML_FFT_ID(cmul)(*f1, tw[k * fstride]);
    s2 = TML_FFT_ID(cmul)(*f2, tw[2 * k * fstride]);
    s3 = TML_FFT_ID(cadd)(s1, s2);
    s0 = TML_FFT_ID(csub)(s1, s2);
    f1->r = TML_FFT_SUB(f0->r, TML_FFT_HALF(s3.r));
    f1->i = TML_FFT_SUB(f0->i, TML_FFT_HALF(s3.i));
    s0.r = TML_FFT_MULS(s0.r, epi3_i);
    s0.i = TML_FFT_MULS(s0.i, epi3_i);
    *f0 = TML_FFT_ID(cadd)(*f0, s3);
    f2->r = TML_FFT_ADD(f1->r, s0.i);
    f2->i = TML_FFT_SUB(f1->i, s0.r);
    f1->r = TML_FFT_SUB(f1->r, s0.i);
    f1->i = TML_FFT_ADD(f1->i, s0.r);
  }
}

#ifndef TML_FFT_STAGE4_WORDS
static void TML_FFT_ID(bfly4)(TML_FFT_ID(cpx) * f, const TML_FFT_ID(cpx) * tw, int32_t fstride, int32_t m,
                              int32_t inverse) {
  int32_t k;
  for (k = 0; k < m; ++k) {
    TML_FFT_ID(cpx) *f0 = f + k, *f1 = f0 + m, *f2 = f0 + 2 * m, *f3 = f0 + 3 * m;
    TML_FFT_ID(cpx) s0, s1, s2, s3, s4, s5;
    TML_FFT_CDIV(*f0, 4);
    TML_FFT_CDIV(*f1, 4);
    TML_FFT_CDIV(*f2, 4);
    TML_FFT_CDIV(*f3, 4);
    s0 = TML_FFT_ID(cmul)(*f1, tw[k * fstride]);
    s1 = TML_FFT_ID(cmul)(*f2, tw[2 * k * fstride]);
    s2 = TML_FFT_ID(cmul)(*f3, tw[3 * k * fstride]);
    s5 = TML_FFT_ID(csub)(*f0, s1);
    *f0 = TML_FFT_ID(cadd)(*f0, s1);
    s3 = TML_FFT_ID(cadd)(s0, s2);
    s4 = TML_FFT_ID(csub)(s0, s2);
    *f2 = TML_FFT_ID(csub)(*f0, s3);
    *f0 = TML_FFT_ID(cadd)(*f0, s3);
    if (inverse) {
      f1->r = TML_FFT_SUB(s5.r, s4.i);
      f1->i = TML_FFT_ADD(s5.i, s4.r);
      f3->r = TML_FFT_ADD(s5.r, s4.i);
      f3->i = TML_FFT_SUB(s5.i, s4.r);
    } else {
      f1->r = TML_FFT_ADD(s5.r, s4.i);
      f1->i = TML_FFT_SUB(s5.i, s4.r);
      f3->r = TML_FFT_SUB(s5.r, s4.i);
      f3->i = TML_FFT_ADD(s5.i, s4.r);
    }
  }
}

#endif

static void TML_FFT_ID(bfly5)(TML_FFT_ID(cpx) * f, const TML_FFT_ID(cpx) * tw, int32_t fstride, int32_t m) {
  const TML_FFT_ID(cpx) ya = tw[fstride * m], yb = tw[fstride * 2 * m];
  int32_t u;
  for (u = 0; u < m; ++u) {
    TML_FFT_ID(cpx) *f0 = f + u, *f1 = f0 + m, *f2 = f0 + 2 * m, *f3 = f0 + 3 * m, *f4 = f0 + 4 * m;
    TML_FFT_ID(cpx) s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12;
    TML_FFT_CDIV(*f0, 5);
    TML_FFT_CDIV(*f1, 5);
    TML_FFT_CDIV(*f2, 5);
    TML_FFT_CDIV(*f3, 5);
    TML_FFT_CDIV(*f4, 5);
    s0 = *f0;
    s1 = TML_FFT_ID(cmul)(*f1, tw[u * fstride]);
    s2 = TML_FFT_ID(cmul)(*f2, tw[2 * u * fstride]);
    s3 = TML_FFT_ID(cmul)(*f3, tw[3 * u * fstride]);
    s4 = TML_FFT_ID(cmul)(*f4, tw[4 * u * fstride]);
    s7 = TML_FFT_ID(cadd)(s1, s4);
    s10 = TML_FFT_ID(csub)(s1, s4);
    s8 = TML_FFT_ID(cadd)(s2, s3);
    s9 = TML_FFT_ID(csub)(s2, s3);
    f0->r = TML_FFT_ADD(f0->r, TML_FFT_ADD(s7.r, s8.r));
    f0->i = TML_FFT_ADD(f0->i, TML_FFT_ADD(s7.i, s8.i));
    s5.r = TML_FFT_ADD(TML_FFT_ADD(s0.r, TML_FFT_MULS(s7.r, ya.r)), TML_FFT_MULS(s8.r, yb.r));
    s5.i = TML_FFT_ADD(TML_FFT_ADD(s0.i, TML_FFT_MULS(s7.i, ya.r)), TML_FFT_MULS(s8.i, yb.r));
    s6.r = TML_FFT_ADD(TML_FFT_MULS(s10.i, ya.i), TML_FFT_MULS(s9.i, yb.i));
    s6.i = TML_FFT_SUB(TML_FFT_NEG(TML_FFT_MULS(s10.r, ya.i)), TML_FFT_MULS(s9.r, yb.i));
    *f1 = TML_FFT_ID(csub)(s5, s6);
    *f4 = TML_FFT_ID(cadd)(s5, s6);
    s11.r = TML_FFT_ADD(TML_FFT_ADD(s0.r, TML_FFT_MULS(s7.r, yb.r)), TML_FFT_MULS(s8.r, ya.r));
    s11.i = TML_FFT_ADD(TML_FFT_ADD(s0.i, TML_FFT_MULS(s7.i, yb.r)), TML_FFT_MULS(s8.i, ya.r));
    s12.r = TML_FFT_ADD(TML_FFT_NEG(TML_FFT_MULS(s10.i, yb.i)), TML_FFT_MULS(s9.i, ya.i));
    s12.i = TML_FFT_SUB(TML_FFT_MULS(s10.r, yb.i), TML_FFT_MULS(s9.r, ya.i));
    *f2 = TML_FFT_ID(cadd)(s11, s12);
    *f3 = TML_FFT_ID(csub)(s11, s12);
  }
}

/* The complex FFT of p->n points in place on `buf` (already in the first pass's order). */
static void TML_FFT_ID(stages)(const tml_signal_fft_params *p, TML_FFT_ID(cpx) * buf) {
  const TML_FFT_ID(cpx) *tw = (const TML_FFT_ID(cpx) *)p->twiddles;
  int32_t s, j;
  for (s = p->stages - 1; s >= 0; --s) {
    const int32_t radix = p->stage[3 * s], m = p->stage[3 * s + 1], fstride = p->stage[3 * s + 2];
#ifdef TML_FFT_STAGE4_WORDS
    if (radix == 4) { /* fstride blocks of 4 m points */
      TML_FFT_STAGE4_WORDS(buf, tw, fstride, m, p->inverse);
      continue;
    }
#endif
    for (j = 0; j < fstride; ++j) {
      TML_FFT_ID(cpx) *block = buf + j * radix * m;
      switch (radix) {
        case 2: TML_FFT_BFLY2(block, tw, fstride, m); break;
        case 3: TML_FFT_ID(bfly3)(block, tw, fstride, m); break;
#ifndef TML_FFT_STAGE4_WORDS
        case 4: TML_FFT_ID(bfly4)(block, tw, fstride, m, p->inverse); break;
#endif
        default: TML_FFT_ID(bfly5)(block, tw, fstride, m); break;
      }
    }
  }
}

#if !defined(TML_FFT_SPLIT_WORDS) || !defined(TML_FFT_MERGE_WORDS)
/* The step kiss_fftr's split and kiss_fftri's merge share: with a = x[k] and b = conj(x[n - k]),
 * both halved by C_FIXDIV, *sum = a + b and *product = (a - b) * twiddle. */
static inline void TML_FFT_ID(halves)(TML_FFT_ID(cpx) a, TML_FFT_ID(cpx) b, TML_FFT_ID(cpx) twiddle,
                                      TML_FFT_ID(cpx) * sum, TML_FFT_ID(cpx) * product) {
  b.i = TML_FFT_NEG(b.i);
  TML_FFT_CDIV(a, 2);
  TML_FFT_CDIV(b, 2);
  *sum = TML_FFT_ID(cadd)(a, b);
  *product = TML_FFT_ID(cmul)(TML_FFT_ID(csub)(a, b), twiddle);
}
#endif

/* SignalRfft: per frame, the frame's samples (zero-padded to fft_length) as n complex values through
 * the FFT into scratch, then kiss_fftr's split into n + 1 bins. */
void TML_FFT_ID(rfft)(const tml_signal_fft_params *p, const TML_FFT_T *input, TML_FFT_T *output, uint8_t *scratch) {
  TML_FFT_ID(cpx) *tmp = (TML_FFT_ID(cpx) *)(void *)scratch;
  const TML_FFT_ID(cpx) *super = (const TML_FFT_ID(cpx) *)p->super_twiddles;
  const int32_t n = p->n;
  int32_t frame, k;
  for (frame = 0; frame < p->frames; ++frame) {
    TML_FFT_ID(cpx) *out = (TML_FFT_ID(cpx) *)(void *)(output + frame * 2 * (n + 1));
    TML_FFT_ID(cpx) dc;
    if (p->in_len == 2 * n) { /* a whole frame: no padding */
      const TML_FFT_ID(cpx) *pairs = (const TML_FFT_ID(cpx) *)(const void *)input;
      for (k = 0; k < n; ++k) {
        tmp[k] = pairs[p->order[k]];
      }
    } else {
      for (k = 0; k < n; ++k) {
        const int32_t at = 2 * (int32_t)p->order[k];
        tmp[k].r = at < p->in_len ? input[at] : (TML_FFT_T)0;
        tmp[k].i = at + 1 < p->in_len ? input[at + 1] : (TML_FFT_T)0;
      }
    }
    TML_FFT_ID(stages)(p, tmp);
    dc = tmp[0];
    TML_FFT_CDIV(dc, 2);
    out[0].r = TML_FFT_ADD(dc.r, dc.i);
    out[n].r = TML_FFT_SUB(dc.r, dc.i);
    out[0].i = out[n].i = (TML_FFT_T)0;
#ifdef TML_FFT_SPLIT_WORDS
    TML_FFT_SPLIT_WORDS(tmp, out, super, n);
#else
    for (k = 1; k <= n / 2; ++k) {
      TML_FFT_ID(cpx) f1k, t;
      TML_FFT_ID(halves)(tmp[k], tmp[n - k], super[k - 1], &f1k, &t);
      out[k].r = TML_FFT_HALF_ADD(f1k.r, t.r);
      out[k].i = TML_FFT_HALF_ADD(f1k.i, t.i);
      out[n - k].r = TML_FFT_HALF_SUB(f1k.r, t.r);
      out[n - k].i = TML_FFT_HALF_SUB(t.i, f1k.i);
    }
#endif
    input += p->in_len;
  }
}

/* SignalIrfft: per frame, kiss_fftri's merge of the n + 1 bins into n complex values (scratch),
 * then the inverse FFT into the frame's fft_length = 2 n output samples. */
void TML_FFT_ID(irfft)(const tml_signal_fft_params *p, const TML_FFT_T *input, TML_FFT_T *output, uint8_t *scratch) {
  TML_FFT_ID(cpx) *tmp = (TML_FFT_ID(cpx) *)(void *)scratch;
  const TML_FFT_ID(cpx) *super = (const TML_FFT_ID(cpx) *)p->super_twiddles;
  const int32_t n = p->n;
  int32_t frame, k;
  for (frame = 0; frame < p->frames; ++frame) {
    const TML_FFT_ID(cpx) *bins = (const TML_FFT_ID(cpx) *)(const void *)(input + frame * 2 * (n + 1));
    TML_FFT_ID(cpx) *out = (TML_FFT_ID(cpx) *)(void *)(output + frame * 2 * n);
    tmp[0].r = TML_FFT_ADD(bins[0].r, bins[n].r);
    tmp[0].i = TML_FFT_SUB(bins[0].r, bins[n].r);
    TML_FFT_CDIV(tmp[0], 2);
#ifdef TML_FFT_MERGE_WORDS
    TML_FFT_MERGE_WORDS(bins, tmp, super, n);
#else
    for (k = 1; k <= n / 2; ++k) {
      TML_FFT_ID(cpx) fek, fok;
      TML_FFT_ID(halves)(bins[k], bins[n - k], super[k - 1], &fek, &fok);
      tmp[k] = TML_FFT_ID(cadd)(fek, fok);
      tmp[n - k] = TML_FFT_ID(csub)(fek, fok);
      tmp[n - k].i = TML_FFT_NEG(tmp[n - k].i);
    }
#endif
    for (k = 0; k < n; ++k) {
      out[k] = tmp[p->order[k]];
    }
    TML_FFT_ID(stages)(p, out);
#ifdef TML_FFT_SCALE_INVERSE
    for (k = 0; k < 2 * n; ++k) {
      output[frame * 2 * n + k] /= (TML_FFT_T)(2 * n);
    }
#endif
  }
}

#undef TML_FFT_CDIV
#undef TML_FFT_BFLY2
/* the includer's parameters, so the next instance defines its own */
#undef TML_FFT_T
#undef TML_FFT_ID
#undef TML_FFT_ADD
#undef TML_FFT_SUB
#undef TML_FFT_NEG
#undef TML_FFT_MULS
#undef TML_FFT_CMUL_R
#undef TML_FFT_CMUL_I
#undef TML_FFT_DIV
#undef TML_FFT_HALF
#undef TML_FFT_HALF_ADD
#undef TML_FFT_HALF_SUB
#undef TML_FFT_BFLY2_WORDS
#undef TML_FFT_STAGE4_WORDS
#undef TML_FFT_SPLIT_WORDS
#undef TML_FFT_MERGE_WORDS
