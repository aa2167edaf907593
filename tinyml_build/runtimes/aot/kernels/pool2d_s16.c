/* pool2d_s16.c -- AVERAGE_POOL_2D and MAX_POOL_2D on int16 (TFLM reference_integer_ops int16 pooling).
 *
 * Windows are clipped to the input (taps outside are not counted); the average is the int32 sum
 * rounded half away from zero over the clipped count, as TFLM computes it; both clamp to the
 * fused activation's range. Input and output share one quantization (the lowering checks it).
 *
 * Speed: the clipped window is found once per output pixel; the channels of a pixel are then
 * reduced together, one output row of int32 sums (or int16 maxima) at a time on the stack in
 * blocks of TML_POOL16_BLOCK channels, so each input row is read contiguously.
 */
#include "tml_kernels.h"

#define TML_POOL16_BLOCK 32 /* channels reduced per pass (stack: 128 bytes of sums) */

/* Clipped window [y0, y1) x [x0, x1) of output pixel (oy, ox). */
static void clipped(const tml_pool_params *p, int32_t oy, int32_t ox, int32_t *y0, int32_t *y1, int32_t *x0,
                    int32_t *x1) {
  const int32_t iy = oy * p->stride_h - p->pad_h, ix = ox * p->stride_w - p->pad_w;
  *y0 = iy < 0 ? 0 : iy;
  *y1 = iy + p->filter_h < p->in_h ? iy + p->filter_h : p->in_h;
  *x0 = ix < 0 ? 0 : ix;
  *x1 = ix + p->filter_w < p->in_w ? ix + p->filter_w : p->in_w;
}

void tml_average_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output) {
  const int32_t channels = p->channels;
  const ptrdiff_t row = (ptrdiff_t)p->in_w * channels;
  int32_t b, oy, ox, c0, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1, count;
        clipped(p, oy, ox, &y0, &y1, &x0, &x1);
        count = (y1 - y0) * (x1 - x0);
        for (c0 = 0; c0 < channels; c0 += TML_POOL16_BLOCK) {
          const int32_t n = channels - c0 < TML_POOL16_BLOCK ? channels - c0 : TML_POOL16_BLOCK;
          int32_t sum[TML_POOL16_BLOCK];
          for (c = 0; c < n; ++c) sum[c] = 0;
          for (y = y0; y < y1; ++y) {
            const int16_t *px = in_batch + y * row + (ptrdiff_t)x0 * channels + c0;
            for (x = x0; x < x1; ++x, px += channels) {
              for (c = 0; c < n; ++c) sum[c] += px[c];
            }
          }
          for (c = 0; c < n; ++c) {
            /* TFLM returns an error for an empty window; a model's geometry never makes one */
            int32_t avg = 0;
            if (count > 0) {
              avg = sum[c] > 0 ? (sum[c] + count / 2) / count : (sum[c] - count / 2) / count;
            }
            output[c0 + c] = (int16_t)(avg < p->act_min ? p->act_min : (avg > p->act_max ? p->act_max : avg));
          }
        }
        output += channels;
      }
    }
  }
}

void tml_max_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output) {
  const int32_t channels = p->channels;
  const ptrdiff_t row = (ptrdiff_t)p->in_w * channels;
  int32_t b, oy, ox, c0, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_batch = input + (ptrdiff_t)b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1;
        clipped(p, oy, ox, &y0, &y1, &x0, &x1);
        for (c0 = 0; c0 < channels; c0 += TML_POOL16_BLOCK) {
          const int32_t n = channels - c0 < TML_POOL16_BLOCK ? channels - c0 : TML_POOL16_BLOCK;
          int32_t best[TML_POOL16_BLOCK];
          for (c = 0; c < n; ++c) best[c] = INT16_MIN;
          for (y = y0; y < y1; ++y) {
            const int16_t *px = in_batch + y * row + (ptrdiff_t)x0 * channels + c0;
            for (x = x0; x < x1; ++x, px += channels) {
              for (c = 0; c < n; ++c) best[c] = px[c] > best[c] ? px[c] : best[c];
            }
          }
          for (c = 0; c < n; ++c) {
            const int32_t v = best[c];
            output[c0 + c] = (int16_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
          }
        }
        output += channels;
      }
    }
  }
}
