/* resize_nearest_neighbor.c -- RESIZE_NEAREST_NEIGHBOR for any element size.
 *
 * The lowering computes TFLM's GetNearestNeighbor source row and column for every output row
 * and column on the host (float arithmetic as TFLM does it) and passes them as byte offsets;
 * the kernel copies one depth row per output pixel. An output row whose source row is the
 * previous one's (upscaling) is a copy of the row just written.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_resize_nearest_neighbor(const tml_resize_nearest_params *p, const void *input, void *output) {
  const uint8_t *batch = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const size_t row = (size_t)p->row_bytes;
  const size_t out_line = (size_t)p->out_w * row;
  const int32_t *const x_offsets = p->x_offsets;
  int32_t b, y, x;
  for (b = 0; b < p->batches; ++b, batch += p->in_batch_bytes) {
    for (y = 0; y < p->out_h; ++y) {
      if (y > 0 && p->y_offsets[y] == p->y_offsets[y - 1]) {
        memcpy(out, out - out_line, out_line);
        out += out_line;
        continue;
      }
      {
        const uint8_t *line = batch + p->y_offsets[y];
        for (x = 0; x < p->out_w; ++x, out += row) memcpy(out, line + x_offsets[x], row);
      }
    }
  }
}
