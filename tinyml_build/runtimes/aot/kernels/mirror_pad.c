/* mirror_pad.c -- MIRROR_PAD (int8, float32), the result of TFLM's mirror_pad.cc.
 *
 * TFLM maps every output index to an input index with divisions per element. All of that is
 * static: the lowering gives, per output dimension, a table of input element offsets (the
 * reflected or symmetric coordinate times the input stride), so an output element is
 * in[t0[i0] + t1[i1] + ... + t4[i4]] and the output is written in order. */
#include "tml_kernels.h"

#define TML_MIRROR_PAD(name, type)                                              \
  static void name(const tml_mirror_pad_params *p, const type *in, type *out) { \
    const int32_t *const t0 = p->offset[0], *const t1 = p->offset[1];           \
    const int32_t *const t2 = p->offset[2], *const t3 = p->offset[3];           \
    const int32_t *const t4 = p->offset[4];                                     \
    const int32_t n4 = p->count[4];                                             \
    int32_t i0, i1, i2, i3, i4;                                                 \
    for (i0 = 0; i0 < p->count[0]; ++i0) {                                      \
      for (i1 = 0; i1 < p->count[1]; ++i1) {                                    \
        for (i2 = 0; i2 < p->count[2]; ++i2) {                                  \
          for (i3 = 0; i3 < p->count[3]; ++i3) {                                \
            const type *const row = in + t0[i0] + t1[i1] + t2[i2] + t3[i3];     \
            for (i4 = 0; i4 < n4; ++i4) *out++ = row[t4[i4]];                   \
          }                                                                     \
        }                                                                       \
      }                                                                         \
    }                                                                           \
  }

TML_MIRROR_PAD(mirror_pad_8, int8_t)
TML_MIRROR_PAD(mirror_pad_32, int32_t)

void tml_mirror_pad(const tml_mirror_pad_params *p, const void *input, void *output) {
  if (p->elem_bytes == 1) {
    mirror_pad_8(p, (const int8_t *)input, (int8_t *)output);
  } else {
    mirror_pad_32(p, (const int32_t *)input, (int32_t *)output);
  }
}
