/* concatenation.c -- CONCATENATION for any element size, one input at a time.
 *
 * TFLM copies without requantizing (int8 inputs must share the output's quantization). For
 * each index over the dimensions before the axis, an input contributes one contiguous block;
 * the lowering calls this once per input with the output pointer advanced to the input's
 * first block, and the output's block size as the stride.
 */
#include <string.h>

#include "tml_kernels.h"

void tml_concatenation(const void *input, void *output, int32_t outer, int32_t block_bytes,
                       int32_t output_block_bytes) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t o;
  for (o = 0; o < outer; ++o, in += block_bytes, out += output_block_bytes) {
    memcpy(out, in, (size_t)block_bytes);
  }
}
