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
