/* space_batch.c -- BATCH_TO_SPACE_ND and SPACE_TO_BATCH_ND for any element size.
 *
 * Both move whole depth rows (row_bytes) between NHWC tensors (rank-3 NHC models are run as
 * NH1C with block_w 1 and left 0). Everything but the data is a build-time constant; the
 * loops keep their indices in counters, so there is no division per copied row, only per
 * output row.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_batch_to_space_nd(const tml_space_batch_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const size_t row = (size_t)p->row_bytes;
  const size_t in_line = (size_t)p->in_w * row;
  /* Input batch (sh * block_w + sw) * out_batch + ob holds the output phase (sh, sw). */
  const size_t phase_w = (size_t)p->out_batch * (size_t)p->in_h * in_line;
  const size_t phase_h = (size_t)p->block_w * phase_w;
  const int32_t first_sw = p->left % p->block_w;
  const size_t first_iw = (size_t)(p->left / p->block_w);
  int32_t ob, oh, ow;
  for (ob = 0; ob < p->out_batch; ++ob) {
    const uint8_t *batch = in + (size_t)ob * (size_t)p->in_h * in_line;
    for (oh = 0; oh < p->out_h; ++oh) {
      const int32_t u = oh + p->top;
      const uint8_t *src =
          batch + (size_t)(u % p->block_h) * phase_h + (size_t)(u / p->block_h) * in_line + first_iw * row;
      int32_t sw = first_sw;
      src += (size_t)sw * phase_w;
      for (ow = 0; ow < p->out_w; ++ow) {
        memcpy(out, src, row);
        out += row;
        if (++sw == p->block_w) {
          sw = 0;
          src -= (size_t)(p->block_w - 1) * phase_w;
          src += row;
        } else {
          src += phase_w;
        }
      }
    }
  }
}

void tml_space_to_batch_nd(const tml_space_batch_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const size_t row = (size_t)p->row_bytes;
  const size_t in_line = (size_t)p->in_w * row;
  const size_t out_line = (size_t)p->out_w * row;
  int32_t ob, oh, ow;
  for (ob = 0; ob < p->out_batch; ++ob) {
    const int32_t phase = ob / p->in_batch;
    const uint8_t *batch = in + (size_t)(ob % p->in_batch) * (size_t)p->in_h * in_line;
    const int32_t sh = phase / p->block_w;
    const int32_t sw = phase % p->block_w;
    for (oh = 0; oh < p->out_h; ++oh) {
      const int32_t ih = oh * p->block_h + sh - p->top;
      if (ih < 0 || ih >= p->in_h) {
        memset(out, p->pad_byte, out_line);
        out += out_line;
        continue;
      }
      {
        const uint8_t *line = batch + (size_t)ih * in_line;
        int32_t iw = sw - p->left;
        for (ow = 0; ow < p->out_w; ++ow, iw += p->block_w, out += row) {
          if (iw >= 0 && iw < p->in_w) {
            memcpy(out, line + (size_t)iw * row, row);
          } else {
            memset(out, p->pad_byte, row);
          }
        }
      }
    }
  }
}
