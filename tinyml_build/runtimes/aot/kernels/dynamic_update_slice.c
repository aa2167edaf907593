/* dynamic_update_slice.c -- DYNAMIC_UPDATE_SLICE (any element size), the result of TFLM's
 * dynamic_update_slice.cc: output = operand with `update` written at start indices read at
 * run time, each clamped to [0, operand_dim - update_dim]. An update as large as the operand is
 * the whole output. Rows of the update's last dimension are copied with memcpy; the other
 * dimensions are walked with a counter per dimension instead of TFLM's recursion. */
#include <string.h>

#include "tml_kernels.h"

void tml_dynamic_update_slice(const tml_dynamic_update_slice_params *p, const void *operand, const void *update,
                              const void *indices, void *output) {
  const int32_t rank = p->rank, last = p->rank - 1;
  const size_t elem = (size_t)p->elem_bytes;
  const uint8_t *src = (const uint8_t *)update;
  uint8_t *dst = (uint8_t *)output;
  ptrdiff_t out_stride[TML_DUS_MAX_RANK];
  int32_t counter[TML_DUS_MAX_RANK];
  size_t row_bytes;
  int32_t d;
  if (p->operand_elements == p->update_elements) {
    memcpy(output, update, (size_t)p->update_elements * elem);
    return;
  }
  if (output != operand) {
    memmove(output, operand, (size_t)p->operand_elements * elem);
  }
  if (p->update_elements == 0) {
    return;
  }
  out_stride[last] = (ptrdiff_t)elem;
  for (d = last - 1; d >= 0; --d) out_stride[d] = out_stride[d + 1] * p->operand_dims[d + 1];
  for (d = 0; d < rank; ++d) {
    const int64_t raw = p->index_bytes == 8 ? ((const int64_t *)indices)[d] : ((const int32_t *)indices)[d];
    const int64_t limit = (int64_t)p->operand_dims[d] - p->update_dims[d];
    const int64_t start = raw < 0 ? 0 : (raw > limit ? limit : raw);
    dst += (ptrdiff_t)start * out_stride[d];
    counter[d] = 0;
  }
  row_bytes = (size_t)p->update_dims[last] * elem;
  for (;;) {
    memcpy(dst, src, row_bytes);
    src += row_bytes;
    for (d = last - 1; d >= 0; --d) {
      if (++counter[d] < p->update_dims[d]) {
        dst += out_stride[d];
        break;
      }
      counter[d] = 0;
      dst -= out_stride[d] * (ptrdiff_t)(p->update_dims[d] - 1);
    }
    if (d < 0) {
      return;
    }
  }
}
