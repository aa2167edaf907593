/* tml_kernels.h -- the aot runtime's kernels: one operator per C file under kernels/.
 *
 * Why this shape: generated model code calls these functions in a fixed order with
 * parameter blocks computed at build time (static const, in flash), so a kernel does no
 * shape inference, no quantization math and no allocation at run time. Each kernel gets:
 *   - a `const tml_<op>_params *` (everything known at build time: shapes, multipliers,
 *     folded biases, activation bounds, constant tensors),
 *   - the activation tensors as plain pointers into the arena (inputs const).
 * Quantized kernels reproduce TFLM's reference kernels bit for bit (see tml_fixedpoint.h).
 * Plain C99, no libm in integer paths, no heap.
 */
#ifndef TML_KERNELS_H
#define TML_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__) || defined(__CC_ARM) || defined(__ARMCC_VERSION)
#define TML_ALIGNED(n) __attribute__((aligned(n)))
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define TML_ALIGNED(n) _Alignas(n)
#else
#define TML_ALIGNED(n)
#endif

/* ---- copy (RESHAPE and friends when the bytes cannot be shared) ------------------------ */

void tml_copy(void *output, const void *input, uint32_t bytes);

/* ---- FULLY_CONNECTED --------------------------------------------------------------------- */

/* int8 x int8 -> int8. `bias` is folded at build time: bias[o] - input_zero_point * sum(w[o][:]),
 * so the inner loop is a plain int8 dot product. Per-tensor quantization is passed as
 * per-channel arrays holding one repeated value. */
typedef struct {
  const int8_t *weights;      /* [output_depth][accum_depth] */
  const int32_t *bias;        /* [output_depth], folded */
  const int32_t *multiplier;  /* [output_depth] */
  const int32_t *shift;       /* [output_depth], TFLM sign convention (> 0: left) */
  int32_t batches;
  int32_t accum_depth;
  int32_t output_depth;
  int32_t output_offset;      /* output zero point */
  int32_t act_min;
  int32_t act_max;
} tml_fc_s8_params;

void tml_fully_connected_s8(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);

typedef struct {
  const float *weights;  /* [output_depth][accum_depth] */
  const float *bias;     /* [output_depth] or NULL */
  int32_t batches;
  int32_t accum_depth;
  int32_t output_depth;
  float act_min;
  float act_max;
} tml_fc_f32_params;

void tml_fully_connected_f32(const tml_fc_f32_params *p, const float *input, float *output);

#ifdef __cplusplus
}
#endif

#endif /* TML_KERNELS_H */
