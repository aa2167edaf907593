/* lut.c -- 256-entry table lookup on 8-bit inputs (int8 or uint8 bytes).
 *
 * Why: an elementwise op on an 8-bit input has only 256 possible results, so computing them at
 * build time with TFLM's exact arithmetic and looking them up is both bit-exact and the fastest
 * possible kernel. Used by QUANTIZE from int8/uint8; other int8 elementwise ops may reuse it. */
#include "tml_kernels.h"

#define TML_DEFINE_LUT8(name, out_t)                                         \
  void name(const tml_lut8_params *p, const uint8_t *input, out_t *output) { \
    const out_t *table = (const out_t *)p->table;                            \
    uint32_t n = p->size;                                                    \
    for (; n >= 4u; n -= 4u, input += 4, output += 4) {                      \
      output[0] = table[input[0]];                                           \
      output[1] = table[input[1]];                                           \
      output[2] = table[input[2]];                                           \
      output[3] = table[input[3]];                                           \
    }                                                                        \
    for (; n > 0u; --n) {                                                    \
      *output++ = table[*input++];                                           \
    }                                                                        \
  }

TML_DEFINE_LUT8(tml_lut8_s8, int8_t)
TML_DEFINE_LUT8(tml_lut8_u8, uint8_t)
TML_DEFINE_LUT8(tml_lut8_s16, int16_t)
TML_DEFINE_LUT8(tml_lut8_s32, int32_t)
