/* signal_rfft.c -- SignalRfft and SignalIrfft (int16, int32, float32), bit-exact with the pinned TFLM,
 * which computes them with kissfft v130 (signal/src/rfft_*.cc, irfft_*.cc).
 *
 * The algorithm is written once (include/tml_kissfft_template.h) and instantiated here per type with
 * kissfft's arithmetic for it. Fixed point (FIXED_POINT 16 / 32): products in the double-width type,
 * rounded by adding half an LSB and shifting by 15 / 31 (sround); each butterfly stage first divides
 * its inputs by its radix k as a product with SAMP_MAX / k (C_FIXDIV); sums wrap modulo 2^bits (int16
 * sums are formed in int and truncated when stored, as C does; int32 sums use unsigned arithmetic,
 * which is what TFLM's signed overflow does on every compiler we build it with, without being
 * undefined here). HALF_OF of a sum halves the int sum (int16) or the wrapped int32 sum. Float: plain
 * float operations in kissfft's order (no libm: the twiddles are tables from the build). */
#include "tml_kernels.h"

#include <string.h>

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>

/* int16 on Armv7E-M: radix-2 butterflies, whole radix-4 stages, kiss_fftr's split and kiss_fftri's
 * merge with one word per complex value (re low, im high), the same values as the template's C:
 * SMLSD / SMLADX form C_MUL's two int32 sums of products plus the rounding half exactly
 * (|twiddle| <= 32767 keeps them inside int32), SMLABB / SMLATB C_FIXDIV's, SADD16 / SSUB16 / SASX /
 * SSAX the int16 sums modulo 2^16 that C's truncating stores give, SHADD16 / SHSUB16 HALF_OF of the
 * exact int sums. Words are moved with memcpy (one LDR / STR): the buffers hold int16 pairs. */
static uint32_t tml_fft_load(const void *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

static uint32_t tml_fft_pack(int32_t re, int32_t im) {
  return (uint32_t)(uint16_t)re | ((uint32_t)(uint16_t)im << 16);
}

static uint32_t tml_fft_div(uint32_t w, int32_t scale) { /* C_FIXDIV: sround(x * (32767 / radix)) */
  return tml_fft_pack(__smlabb((int32_t)w, scale, 1 << 14) >> 15, __smlatb((int32_t)w, scale, 1 << 14) >> 15);
}

static uint32_t tml_fft_cmul(uint32_t a, uint32_t b) {
  return tml_fft_pack(__smlsd((int32_t)a, (int32_t)b, 1 << 14) >> 15, __smladx((int32_t)a, (int32_t)b, 1 << 14) >> 15);
}

#define TML_FFT_ADD16(a, b) ((uint32_t)__sadd16((int16x2_t)(a), (int16x2_t)(b)))
#define TML_FFT_SUB16(a, b) ((uint32_t)__ssub16((int16x2_t)(a), (int16x2_t)(b)))

static void tml_fft_bfly2_words(void *block, const void *twiddles, int32_t fstride, int32_t m) {
  uint8_t *f = (uint8_t *)block, *f2 = f + 4 * m;
  const uint8_t *tw = (const uint8_t *)twiddles;
  int32_t k;
  for (k = 0; k < m; ++k, f += 4, f2 += 4, tw += 4 * fstride) {
    const uint32_t a = tml_fft_div(tml_fft_load(f), 32767 / 2);
    const uint32_t t = tml_fft_cmul(tml_fft_div(tml_fft_load(f2), 32767 / 2), tml_fft_load(tw));
    const uint32_t sum = TML_FFT_ADD16(a, t), diff = TML_FFT_SUB16(a, t);
    memcpy(f2, &diff, 4);
    memcpy(f, &sum, 4);
  }
}

/* One radix-4 butterfly on the words at f, f + q, f + 2q, f + 3q (q bytes apart). */
static inline void tml_fft_bfly4_one(uint8_t *f, int32_t q, uint32_t w1, uint32_t w2, uint32_t w3, int32_t inverse) {
  const uint32_t f0 = tml_fft_div(tml_fft_load(f), 32767 / 4);
  const uint32_t s0 = tml_fft_cmul(tml_fft_div(tml_fft_load(f + q), 32767 / 4), w1);
  const uint32_t s1 = tml_fft_cmul(tml_fft_div(tml_fft_load(f + 2 * q), 32767 / 4), w2);
  const uint32_t s2 = tml_fft_cmul(tml_fft_div(tml_fft_load(f + 3 * q), 32767 / 4), w3);
  const uint32_t s5 = TML_FFT_SUB16(f0, s1), top = TML_FFT_ADD16(f0, s1);
  const uint32_t s3 = TML_FFT_ADD16(s0, s2), s4 = TML_FFT_SUB16(s0, s2);
  const uint32_t out0 = TML_FFT_ADD16(top, s3), out2 = TML_FFT_SUB16(top, s3);
  /* forward: out1 = (s5.r + s4.i, s5.i - s4.r) = SSAX, out3 = (s5.r - s4.i, s5.i + s4.r) = SASX */
  const uint32_t plus = (uint32_t)__ssax((int16x2_t)s5, (int16x2_t)s4);
  const uint32_t minus = (uint32_t)__sasx((int16x2_t)s5, (int16x2_t)s4);
  const uint32_t out1 = inverse ? minus : plus, out3 = inverse ? plus : minus;
  memcpy(f, &out0, 4);
  memcpy(f + q, &out1, 4);
  memcpy(f + 2 * q, &out2, 4);
  memcpy(f + 3 * q, &out3, 4);
}

/* A whole radix-4 stage: `blocks` blocks of 4 m points. The innermost stage (m = 1) has one
 * butterfly per block, all with twiddle 0: one flat loop. */
static void tml_fft_stage4_words(void *buf, const void *twiddles, int32_t blocks, int32_t m, int32_t inverse) {
  const uint8_t *tw = (const uint8_t *)twiddles;
  uint8_t *f = (uint8_t *)buf;
  const int32_t q = 4 * m, step = 4 * blocks;
  int32_t j, k;
  if (m == 1) {
    const uint32_t w = tml_fft_load(tw);
    for (j = 0; j < blocks; ++j, f += 16) {
      tml_fft_bfly4_one(f, 4, w, w, w, inverse);
    }
    return;
  }
  for (j = 0; j < blocks; ++j, f += 3 * q) {
    for (k = 0; k < m; ++k, f += 4) {
      tml_fft_bfly4_one(f, q, tml_fft_load(tw + k * step), tml_fft_load(tw + 2 * k * step),
                        tml_fft_load(tw + 3 * k * step), inverse);
    }
  }
}

/* (a.re, b.im): PKHBT */
static uint32_t tml_fft_re_im(uint32_t a, uint32_t b) {
  return (a & 0xFFFFu) | (b & 0xFFFF0000u);
}

/* The step kiss_fftr's split and kiss_fftri's merge share: a = x[k], b = conj(x[n - k]) (negated
 * before the halving: C_FIXDIV's rounding is not odd), *sum = a + b, returns (a - b) * twiddle. */
static inline uint32_t tml_fft_halves_words(const uint8_t *x, int32_t k, int32_t n, const uint8_t *twiddle,
                                            uint32_t *sum) {
  const uint32_t a = tml_fft_div(tml_fft_load(x + 4 * k), 32767 / 2);
  const uint32_t mirror = tml_fft_load(x + 4 * (n - k));
  const uint32_t b = tml_fft_div(tml_fft_re_im(mirror, TML_FFT_SUB16(0u, mirror)), 32767 / 2);
  *sum = TML_FFT_ADD16(a, b);
  return tml_fft_cmul(TML_FFT_SUB16(a, b), tml_fft_load(twiddle));
}

/* kiss_fftr's split: out[k] = HALF_OF(f1k + t) both parts (SHADD16), out[n - k] = (HALF_OF(f1k.r -
 * t.r), HALF_OF(t.i - f1k.i)) (SHSUB16 of repacked halves): halving adds of the exact int sums. */
static void tml_fft_split_words(const void *tmp, void *out, const void *super, int32_t n) {
  const uint8_t *x = (const uint8_t *)tmp, *tw = (const uint8_t *)super;
  uint8_t *y = (uint8_t *)out;
  int32_t k;
  for (k = 1; k <= n / 2; ++k) {
    uint32_t f1k;
    const uint32_t t = tml_fft_halves_words(x, k, n, tw + 4 * (k - 1), &f1k);
    const uint32_t low = (uint32_t)__shadd16((int16x2_t)f1k, (int16x2_t)t);
    const uint32_t high = (uint32_t)__shsub16((int16x2_t)tml_fft_re_im(f1k, t), (int16x2_t)tml_fft_re_im(t, f1k));
    memcpy(y + 4 * k, &low, 4);
    memcpy(y + 4 * (n - k), &high, 4);
  }
}

/* kiss_fftri's merge: tmp[k] = fek + fok, tmp[n - k] = conj(fek - fok) = (fek.r - fok.r, fok.i - fek.i). */
static void tml_fft_merge_words(const void *bins, void *tmp, const void *super, int32_t n) {
  const uint8_t *x = (const uint8_t *)bins, *tw = (const uint8_t *)super;
  uint8_t *y = (uint8_t *)tmp;
  int32_t k;
  for (k = 1; k <= n / 2; ++k) {
    uint32_t fek;
    const uint32_t fok = tml_fft_halves_words(x, k, n, tw + 4 * (k - 1), &fek);
    const uint32_t low = TML_FFT_ADD16(fek, fok);
    const uint32_t high = TML_FFT_SUB16(tml_fft_re_im(fek, fok), tml_fft_re_im(fok, fek));
    memcpy(y + 4 * k, &low, 4);
    memcpy(y + 4 * (n - k), &high, 4);
  }
}
#define TML_FFT_BFLY2_WORDS tml_fft_bfly2_words
#define TML_FFT_STAGE4_WORDS tml_fft_stage4_words
#define TML_FFT_SPLIT_WORDS tml_fft_split_words
#define TML_FFT_MERGE_WORDS tml_fft_merge_words
#endif

/* ---- int16: kissfft FIXED_POINT 16 ---- */
#define TML_FFT_T int16_t
#define TML_FFT_ID(name) tml_signal_##name##_s16
#define TML_SROUND16(x) ((int16_t)(((x) + (1 << 14)) >> 15))
#define TML_FFT_ADD(a, b) ((int16_t)((int32_t)(a) + (b)))
#define TML_FFT_SUB(a, b) ((int16_t)((int32_t)(a) - (b)))
#define TML_FFT_NEG(a) ((int16_t)(-(int32_t)(a)))
#define TML_FFT_MULS(a, b) TML_SROUND16((int32_t)(a) * (b))
#define TML_FFT_CMUL_R(a, b) TML_SROUND16((int32_t)(a).r *(b).r - (int32_t)(a).i * (b).i)
#define TML_FFT_CMUL_I(a, b) TML_SROUND16((int32_t)(a).r *(b).i + (int32_t)(a).i * (b).r)
#define TML_FFT_DIV(x, k) TML_SROUND16((int32_t)(x) * (32767 / (k)))
#define TML_FFT_HALF(x) ((int16_t)((x) >> 1))
#define TML_FFT_HALF_ADD(a, b) ((int16_t)(((int32_t)(a) + (b)) >> 1))
#define TML_FFT_HALF_SUB(a, b) ((int16_t)(((int32_t)(a) - (b)) >> 1))
#include "tml_kissfft_template.h"

/* ---- int32: kissfft FIXED_POINT 32 ---- */
#define TML_FFT_T int32_t
#define TML_FFT_ID(name) tml_signal_##name##_s32
#define TML_SROUND32(x) ((int32_t)(((x) + (1 << 30)) >> 31))
#define TML_FFT_ADD(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define TML_FFT_SUB(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define TML_FFT_NEG(a) ((int32_t)(0u - (uint32_t)(a)))
#define TML_FFT_MULS(a, b) TML_SROUND32((int64_t)(a) * (b))
#define TML_FFT_CMUL_R(a, b) TML_SROUND32((int64_t)(a).r *(b).r - (int64_t)(a).i * (b).i)
#define TML_FFT_CMUL_I(a, b) TML_SROUND32((int64_t)(a).r *(b).i + (int64_t)(a).i * (b).r)
#define TML_FFT_DIV(x, k) TML_SROUND32((int64_t)(x) * (2147483647 / (k)))
#define TML_FFT_HALF(x) ((x) >> 1)
#define TML_FFT_HALF_ADD(a, b) (TML_FFT_ADD(a, b) >> 1)
#define TML_FFT_HALF_SUB(a, b) (TML_FFT_SUB(a, b) >> 1)
#include "tml_kissfft_template.h"

/* ---- float32: kissfft float, HALF_OF(x) = x * 0.5f (TFLM's kissfft.patch) ---- */
#define TML_FFT_T float
#define TML_FFT_ID(name) tml_signal_##name##_f32
#define TML_FFT_ADD(a, b) ((a) + (b))
#define TML_FFT_SUB(a, b) ((a) - (b))
#define TML_FFT_NEG(a) (-(a))
#define TML_FFT_MULS(a, b) ((a) * (b))
#define TML_FFT_CMUL_R(a, b) ((a).r * (b).r - (a).i * (b).i)
#define TML_FFT_CMUL_I(a, b) ((a).r * (b).i + (a).i * (b).r)
#define TML_FFT_DIV(x, k) (x)
#define TML_FFT_HALF(x) ((x)*0.5f)
#define TML_FFT_HALF_ADD(a, b) (((a) + (b)) * 0.5f)
#define TML_FFT_HALF_SUB(a, b) (((a) - (b)) * 0.5f)
#define TML_FFT_SCALE_INVERSE
#include "tml_kissfft_template.h"
