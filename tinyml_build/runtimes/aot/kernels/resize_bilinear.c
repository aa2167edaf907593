/* resize_bilinear.c -- RESIZE_BILINEAR (float32, int8), NHWC, bit-exact with TFLM's
 * reference_ops::ResizeBilinear (float32) and ResizeBilinearInteger (int8).
 *
 * Per output row and column the source coordinate and its two neighbours are computed as TFLM's
 * ComputeInterpolationValues(Integer) do: float32 (floor/ceil, exact) or 10-bit fixed point with
 * C's truncating division. float32 sums the four weighted corners left to right and adds 0.0f, as
 * TFLM's expression (this file is C99: no fused multiply-add); int8 sums them with 20 fraction bits
 * (TFLM in int64; int32 here, which cannot overflow) and divides with rounding half away from zero.
 */
#include "tml_kernels.h"

static inline void bilinear_source_f32(int32_t index, float scale, int32_t half_pixel, int32_t size, float *position,
                                       int32_t *low, int32_t *high) {
  const float value = (float)index;
  int32_t down, up;
  *position = half_pixel ? (value + 0.5f) * scale - 0.5f : value * scale;
  /* floorf and ceilf of a position within [-1, size]: exact through int32_t (truncation toward 0,
   * then one step), and no libm, which some toolchains (clang for Xtensa) do not have. */
  down = (int32_t)*position;
  down -= (float)down > *position;
  up = (int32_t)*position;
  up += (float)up < *position;
  *low = down > 0 ? down : 0;
  *high = up < size - 1 ? up : size - 1;
}

void tml_resize_bilinear_f32(const tml_resize_bilinear_params *p, const float *input, float *output) {
  const int32_t depth = p->depth, row_step = p->in_w * p->depth;
  int32_t b, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const float *image = input + b * p->in_h * row_step;
    for (y = 0; y < p->out_h; ++y) {
      float in_y;
      int32_t y0, y1;
      bilinear_source_f32(y, p->height_scale_f32, p->half_pixel_centers, p->in_h, &in_y, &y0, &y1);
      for (x = 0; x < p->out_w; ++x) {
        float in_x;
        int32_t x0, x1;
        const float *r0, *r1;
        bilinear_source_f32(x, p->width_scale_f32, p->half_pixel_centers, p->in_w, &in_x, &x0, &x1);
        r0 = image + y0 * row_step;
        r1 = image + y1 * row_step;
        for (c = 0; c < depth; ++c) {
          *output++ = r0[x0 * depth + c] * (1 - (in_y - (float)y0)) * (1 - (in_x - (float)x0)) +
                      r1[x0 * depth + c] * (in_y - (float)y0) * (1 - (in_x - (float)x0)) +
                      r0[x1 * depth + c] * (1 - (in_y - (float)y0)) * (in_x - (float)x0) +
                      r1[x1 * depth + c] * (in_y - (float)y0) * (in_x - (float)x0) + 0.0f;
        }
      }
    }
  }
}

static inline void bilinear_source_q10(int32_t index, int32_t scale_10, int32_t half_pixel, int32_t size,
                                       int32_t *position, int32_t *low, int32_t *high) {
  int32_t up;
  *position = half_pixel ? index * scale_10 + scale_10 / 2 - (1 << 9) : index * scale_10;
  *low = *position / (1 << 10) > 0 ? *position / (1 << 10) : 0;
  up = (*position + (1 << 10) - 1) / (1 << 10);
  *high = up < size - 1 ? up : size - 1;
}

void tml_resize_bilinear_s8(const tml_resize_bilinear_params *p, const int8_t *input, int8_t *output) {
  const int32_t depth = p->depth, row_step = p->in_w * p->depth;
  int32_t b, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * row_step;
    for (y = 0; y < p->out_h; ++y) {
      int32_t in_y, y0, y1, wy;
      bilinear_source_q10(y, p->height_scale_q10, p->half_pixel_centers, p->in_h, &in_y, &y0, &y1);
      wy = in_y - (1 << 10) * y0;
      for (x = 0; x < p->out_w; ++x) {
        int32_t in_x, x0, x1, wx;
        const int8_t *r0, *r1;
        bilinear_source_q10(x, p->width_scale_q10, p->half_pixel_centers, p->in_w, &in_x, &x0, &x1);
        wx = in_x - (1 << 10) * x0;
        r0 = image + y0 * row_step;
        r1 = image + y1 * row_step;
        for (c = 0; c < depth; ++c) {
          /* |sum| <= 128 * (1536 + 512)^2 = 2^29 (weights in [-512, 1536]): TFLM's int64 sum fits */
          const int32_t sum = r0[x0 * depth + c] * ((1 << 10) - wy) * ((1 << 10) - wx) +
                              r1[x0 * depth + c] * wy * ((1 << 10) - wx) + r0[x1 * depth + c] * ((1 << 10) - wy) * wx +
                              r1[x1 * depth + c] * wy * wx;
          const int32_t rounded = sum + (sum > 0 ? (1 << 19) : -(1 << 19));
          *output++ = (int8_t)(rounded >= 0 ? rounded >> 20 : -(-rounded >> 20)); /* truncating / 2^20 */
        }
      }
    }
  }
}
