/* pad.c -- PAD / PADV2 for any element size: the output is written once, front to back.
 *
 * The lowering extends the shapes to 5-D and merges unpadded inner dimensions into their
 * padded neighbour, so the innermost copy is one memcpy of a contiguous row. Fill amounts
 * are precomputed in elements for every level.
 */
#include <string.h>

#include "tml_kernels.h"

static uint8_t *fill(uint8_t *out, const tml_pad_params *p, int32_t count) {
  int32_t i;
  switch (p->elem_bytes) {
    case 1: memset(out, (int)(uint8_t)p->value, (size_t)count); break;
    case 2: {
      int16_t *o = (int16_t *)(void *)out;
      for (i = 0; i < count; ++i) o[i] = (int16_t)p->value;
      break;
    }
    default: {
      int32_t *o = (int32_t *)(void *)out;
      for (i = 0; i < count; ++i) o[i] = p->value;
      break;
    }
  }
  return out + (size_t)count * (size_t)p->elem_bytes;
}

void tml_pad(const tml_pad_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const size_t row_bytes = (size_t)p->in_dims[4] * (size_t)p->elem_bytes;
  int32_t i0, i1, i2, i3;
  out = fill(out, p, p->before[0]);
  for (i0 = 0; i0 < p->in_dims[0]; ++i0) {
    out = fill(out, p, p->before[1]);
    for (i1 = 0; i1 < p->in_dims[1]; ++i1) {
      out = fill(out, p, p->before[2]);
      for (i2 = 0; i2 < p->in_dims[2]; ++i2) {
        out = fill(out, p, p->before[3]);
        for (i3 = 0; i3 < p->in_dims[3]; ++i3) {
          out = fill(out, p, p->before[4]);
          memcpy(out, in, row_bytes);
          out += row_bytes;
          in += row_bytes;
          out = fill(out, p, p->after[4]);
        }
        out = fill(out, p, p->after[3]);
      }
      out = fill(out, p, p->after[2]);
    }
    out = fill(out, p, p->after[1]);
  }
  fill(out, p, p->after[0]);
}
