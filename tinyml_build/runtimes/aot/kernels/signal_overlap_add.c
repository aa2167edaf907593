/* signal_overlap_add.c -- SignalOverlapAdd (int16 and float32), TFLM's
 * signal/micro/kernels/overlap_add.cc and signal/src/overlap_add.cc semantics.
 *
 * Resynthesis: each frame is added onto the channel's buffer (int16: saturated to int16 on every
 * add, as TFLM does), the first frame_step samples are complete and come out, and the buffer moves
 * on by frame_step. The buffers live in the model's static state, so a frame's tail is added to the
 * next invoke's frames. float32: one addition per sample, so the result is exact on every FPU.
 */
#include <string.h>

#include "tml_kernels.h"

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#define TML_OLA_QADD16 1
#else
#define TML_OLA_QADD16 0
#endif

/* dst[i] = saturate_int16(a[i] + b[i]) (TFLM: input + buffer, the same sum). QADD16 on Armv7E-M is
 * exactly that, two lanes at a time (word accesses through memcpy: odd offsets leave them
 * unaligned). dst may be a - k for k >= 0: every word is read before the one written over it. */
static void tml_ola_add_saturating_s16(int16_t *dst, const int16_t *a, const int16_t *b, int32_t n) {
  int32_t i = 0;
#if TML_OLA_QADD16
  for (; i + 2 <= n; i += 2) {
    int32_t x, y;
    memcpy(&x, a + i, 4);
    memcpy(&y, b + i, 4);
    x = __qadd16(x, y);
    memcpy(dst + i, &x, 4);
  }
#endif
  for (; i < n; ++i) {
    int32_t sum = (int32_t)b[i] + a[i];
    dst[i] = (int16_t)(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
  }
}

/* One pass per frame instead of TFLM's add, copy out, shift and clear: the first frame_step sums go
 * to the output, the rest land frame_step places earlier in the buffer, zeros fill its end. Each
 * element gets the same single addition TFLM gives it. */
void tml_signal_overlap_add_s16_reset(const tml_signal_overlap_add_s16_params *p) {
  memset(p->buffers, 0, (size_t)p->outer * (size_t)p->frame_size * sizeof(int16_t));
}

void tml_signal_overlap_add_s16(const tml_signal_overlap_add_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t size = p->frame_size, step = p->frame_step;
  int32_t o, f;
  for (o = 0; o < p->outer; ++o) {
    int16_t *buffer = p->buffers + o * size;
    for (f = 0; f < p->frames; ++f) {
      const int16_t *in = input + (o * p->frames + f) * size;
      tml_ola_add_saturating_s16(output + (o * p->frames + f) * step, buffer, in, step);
      tml_ola_add_saturating_s16(buffer, buffer + step, in + step, size - step);
      memset(buffer + size - step, 0, (size_t)step * sizeof(int16_t));
    }
  }
}

void tml_signal_overlap_add_f32_reset(const tml_signal_overlap_add_f32_params *p) {
  int32_t i, n = p->outer * p->frame_size;
  for (i = 0; i < n; ++i) p->buffers[i] = 0.0f;
}

void tml_signal_overlap_add_f32(const tml_signal_overlap_add_f32_params *p, const float *input, float *output) {
  const int32_t size = p->frame_size, step = p->frame_step;
  int32_t o, f, i;
  for (o = 0; o < p->outer; ++o) {
    float *buffer = p->buffers + o * size;
    for (f = 0; f < p->frames; ++f) {
      const float *in = input + (o * p->frames + f) * size;
      float *out = output + (o * p->frames + f) * step;
      for (i = 0; i < step; ++i) out[i] = buffer[i] + in[i]; /* TFLM: buffer[i] += input[i] */
      for (i = step; i < size; ++i) buffer[i - step] = buffer[i] + in[i];
      for (i = size - step; i < size; ++i) buffer[i] = 0.0f;
    }
  }
}
