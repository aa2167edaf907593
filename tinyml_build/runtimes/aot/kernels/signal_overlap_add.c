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

/* buffer[i] = saturate_int16(buffer[i] + in[i]): QADD16 on Armv7E-M is exactly that, two lanes at a
 * time (word accesses through memcpy: frames of odd length leave them unaligned). */
static void tml_add_saturating_s16(int16_t *buffer, const int16_t *in, int32_t n) {
  int32_t i = 0;
#if TML_OLA_QADD16
  for (; i + 2 <= n; i += 2) {
    int32_t a, b;
    memcpy(&a, buffer + i, 4);
    memcpy(&b, in + i, 4);
    a = __qadd16(a, b);
    memcpy(buffer + i, &a, 4);
  }
#endif
  for (; i < n; ++i) {
    int32_t sum = (int32_t)in[i] + buffer[i];
    buffer[i] = (int16_t)(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
  }
}

void tml_signal_overlap_add_s16_reset(const tml_signal_overlap_add_s16_params *p) {
  memset(p->buffers, 0, (size_t)p->outer * (size_t)p->frame_size * sizeof(int16_t));
}

void tml_signal_overlap_add_s16(const tml_signal_overlap_add_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t size = p->frame_size, step = p->frame_step;
  int32_t o, f;
  for (o = 0; o < p->outer; ++o) {
    int16_t *buffer = p->buffers + o * size;
    for (f = 0; f < p->frames; ++f) {
      tml_add_saturating_s16(buffer, input + (o * p->frames + f) * size, size);
      memcpy(output + (o * p->frames + f) * step, buffer, (size_t)step * sizeof(int16_t));
      memmove(buffer, buffer + step, (size_t)(size - step) * sizeof(int16_t));
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
      for (i = 0; i < size; ++i) buffer[i] += in[i];
      memcpy(output + (o * p->frames + f) * step, buffer, (size_t)step * sizeof(float));
      memmove(buffer, buffer + step, (size_t)(size - step) * sizeof(float));
      for (i = size - step; i < size; ++i) buffer[i] = 0.0f;
    }
  }
}
