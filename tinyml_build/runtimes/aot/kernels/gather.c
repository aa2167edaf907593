/* gather.c -- GATHER (any element type; int32 indices), the result of TFLM's reference Gather.
 *
 * Each index selects one [inner] slice along the axis; slices are copied whole. TFLM checks
 * the indices only with debug assertions (a release build reads outside the input); here an
 * index outside [0, axis_size) stops the op and the caller's invoke() returns TML_ERROR.
 */
#include <string.h>

#include "tml_kernels.h"

int32_t tml_gather(const tml_gather_params *p, const void *params, const int32_t *indices, void *output) {
  const int32_t batches = p->batches, outer = p->outer, coords = p->coords;
  const uint32_t axis_size = (uint32_t)p->axis_size;
  const size_t inner_bytes = (size_t)p->inner_bytes;
  const size_t slab_bytes = inner_bytes * axis_size; /* one [axis_size][inner] block of params */
  const uint8_t *src = (const uint8_t *)params;
  uint8_t *dst = (uint8_t *)output;
  int32_t b, o, c;
  for (b = 0; b < batches; ++b, indices += coords) {
    for (o = 0; o < outer; ++o, src += slab_bytes) {
      for (c = 0; c < coords; ++c, dst += inner_bytes) {
        const uint32_t k = (uint32_t)indices[c]; /* negative indices wrap to >= axis_size */
        if (k >= axis_size) {
          return 1;
        }
        memcpy(dst, src + k * inner_bytes, inner_bytes);
      }
    }
  }
  return 0;
}

/* GATHER_ND (TFLM's gather_nd.cc): each index tuple addresses one slice of slice_bytes. TFLM
 * checks only the flat position, not each coordinate: from_pos < 0 or past the last slice start
 * fails the op (invoke() returns TML_ERROR here too). Positions are summed in 64 bits, so huge
 * run-time indices cannot overflow. */
int32_t tml_gather_nd(const tml_gather_nd_params *p, const void *params, const int32_t *indices, void *output) {
  const int32_t nd = p->index_depth;
  const size_t elem_bytes = (size_t)p->elem_bytes;
  const size_t slice_bytes = (size_t)p->slice_elements * elem_bytes;
  const int64_t last_start = (int64_t)p->params_elements - (int64_t)p->slice_elements;
  const uint8_t *src = (const uint8_t *)params;
  uint8_t *dst = (uint8_t *)output;
  int32_t i, j;
  for (i = 0; i < p->slices; ++i, indices += nd, dst += slice_bytes) {
    int64_t from = 0;
    for (j = 0; j < nd; ++j) {
      from += (int64_t)indices[j] * p->dim_elements[j];
    }
    if (from < 0 || from > last_start) {
      return 1;
    }
    memcpy(dst, src + (size_t)from * elem_bytes, slice_bytes);
  }
  return 0;
}
