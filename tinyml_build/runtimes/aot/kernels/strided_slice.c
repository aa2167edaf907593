/* strided_slice.c -- STRIDED_SLICE for any element size, as a strided copy.
 *
 * The lowering resolves begin/end/stride masks on the host (TFLM's rules), extends to 5-D
 * and merges fully copied inner dimensions, leaving: a start offset, per-dimension counts
 * and steps (in elements, possibly negative), and an innermost run that is either
 * contiguous (one memcpy) or strided.
 */
#include <string.h>

#include "tml_kernels.h"

#define TML_STRIDED_ROW(name, type)                                       \
  static type *name(const type *in, int32_t step, int32_t n, type *out) { \
    type *const end = out + n;                                            \
    for (; out < end; ++out, in += step) *out = *in;                      \
    return out;                                                           \
  }

TML_STRIDED_ROW(row8, int8_t)
TML_STRIDED_ROW(row16, int16_t)
TML_STRIDED_ROW(row32, int32_t)
TML_STRIDED_ROW(row64, int64_t)

static uint8_t *copy_row(const tml_strided_slice_params *p, const uint8_t *in, uint8_t *out) {
  const int32_t n = p->count[4];
  const int32_t step = p->step[4];
  if (step == 1) {
    const size_t bytes = (size_t)n * (size_t)p->elem_bytes;
    memcpy(out, in, bytes);
    return out + bytes;
  }
  switch (p->elem_bytes) {
    case 1: return (uint8_t *)row8((const int8_t *)in, step, n, (int8_t *)out);
    case 2: return (uint8_t *)(void *)row16((const int16_t *)(const void *)in, step, n, (int16_t *)(void *)out);
    case 4: return (uint8_t *)(void *)row32((const int32_t *)(const void *)in, step, n, (int32_t *)(void *)out);
    default: return (uint8_t *)(void *)row64((const int64_t *)(const void *)in, step, n, (int64_t *)(void *)out);
  }
}

void tml_strided_slice(const tml_strided_slice_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const ptrdiff_t e = (ptrdiff_t)p->elem_bytes;
  int32_t i0, i1, i2, i3;
  ptrdiff_t o0 = (ptrdiff_t)p->start * e;
  for (i0 = 0; i0 < p->count[0]; ++i0, o0 += p->step[0] * e) {
    ptrdiff_t o1 = o0;
    for (i1 = 0; i1 < p->count[1]; ++i1, o1 += p->step[1] * e) {
      ptrdiff_t o2 = o1;
      for (i2 = 0; i2 < p->count[2]; ++i2, o2 += p->step[2] * e) {
        ptrdiff_t o3 = o2;
        for (i3 = 0; i3 < p->count[3]; ++i3, o3 += p->step[3] * e) {
          out = copy_row(p, in + o3, out);
        }
      }
    }
  }
}
