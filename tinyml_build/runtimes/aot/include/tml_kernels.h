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

/* ---- per-channel int8 output stage (tml_requant.h), part of FC / CONV_2D / DEPTHWISE params --- */

/* out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + offset, lo, hi), TFLM's
 * exact result. Shifts are stored as rshift = -2 - shift (tml_requant in tml_fixedpoint.h). */
typedef struct {
  const int32_t *multiplier_rshift; /* [channels][2]: multiplier, rshift; NULL: one pair for all (below) */
  int32_t multiplier, rshift;       /* every channel's, when multiplier_rshift is NULL (per-tensor) */
  int32_t offset;                   /* output zero point */
  int32_t lo, hi;                   /* fused activation bounds, within [-128, 127] */
  int32_t general;                  /* nonzero when some channel has rshift < 0 (TFLM shift > -2): slower form */
} tml_requant_s8_params;

/* ---- FULLY_CONNECTED --------------------------------------------------------------------- */

/* int8 x int8 -> int8. `bias` is folded at build time: bias[o] - input_zero_point * sum(w[o][:]),
 * so the inner loop is a plain int8 dot product. Per-tensor quantization is one (multiplier,
 * rshift) pair in `out` itself: no table in flash. */
typedef struct {
  const int8_t *weights;     /* [output_depth][accum_depth] */
  const int32_t *bias;       /* [output_depth], folded */
  tml_requant_s8_params out; /* [output_depth] channels */
  int32_t batches;
  int32_t accum_depth;
  int32_t output_depth;
} tml_fc_s8_params;

/* Layers too small for the SMLAD weight layout (fewer than 4 rows or depth < 4): row-major weights. */
void tml_fully_connected_s8_rows(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);
/* The others, over their buffer `work`: min(output_depth, 32) accumulators, then (4 bytes of input per
 * quad) the SMLAD forms of min(accum_depth / 4, 64) quads, 8 bytes each (ops/fully_connected.py
 * work_bytes); or the same buffer on the frame of a function of the buffer's size in int32 words. */
void tml_fully_connected_s8_work(const tml_fc_s8_params *p, const int8_t *input, int8_t *output, int32_t *work);
void tml_fully_connected_s8_stack16(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);
void tml_fully_connected_s8_stack48(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);
void tml_fully_connected_s8_stack64(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);
void tml_fully_connected_s8_stack96(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);
void tml_fully_connected_s8_stack160(const tml_fc_s8_params *p, const int8_t *input, int8_t *output);

/* A layer in the SMLAD layout: `work` is its arena scratch, or NULL where that would have grown the
 * arena (then the buffer is on the stack of the function for `stack_words`, which the lowering picks
 * by the layer's shape: ops/fully_connected.py stack_words). Inline, so that the generated code's
 * constant `work` and `stack_words` make it one direct call, no dispatch at run time. */
static inline void tml_fully_connected_s8(const tml_fc_s8_params *p, const int8_t *input, int8_t *output, int32_t *work,
                                          int32_t stack_words) {
  if (work != NULL) {
    tml_fully_connected_s8_work(p, input, output, work);
  } else if (stack_words <= 16) {
    tml_fully_connected_s8_stack16(p, input, output);
  } else if (stack_words <= 48) {
    tml_fully_connected_s8_stack48(p, input, output);
  } else if (stack_words <= 64) {
    tml_fully_connected_s8_stack64(p, input, output);
  } else if (stack_words <= 96) {
    tml_fully_connected_s8_stack96(p, input, output);
  } else {
    tml_fully_connected_s8_stack160(p, input, output);
  }
}

typedef struct {
  const float *weights; /* [output_depth][accum_depth] */
  const float *bias;    /* [output_depth] or NULL */
  int32_t batches;
  int32_t accum_depth;
  int32_t output_depth;
  float act_min;
  float act_max;
} tml_fc_f32_params;

/* fully_connected_f32.c: TFLM's summation order per output (from d = 0, bias added last). */
void tml_fully_connected_f32(const tml_fc_f32_params *p, const float *input, float *output);

/* ---- ADD, SUB, MUL (int8, int16; broadcasting) ------------------------------------------- */

#define TML_BCAST_MAX_LOOPS 6

/* Broadcast collapsed at build time into loops (outermost first; the last is the row a
 * kernel processes in one go). step1/step2 are element steps of each input per loop, 0
 * where that input is broadcast; in the last loop they are 0 or 1. */
typedef struct {
  int32_t loops;
  int32_t count[TML_BCAST_MAX_LOOPS];
  int32_t step1[TML_BCAST_MAX_LOOPS];
  int32_t step2[TML_BCAST_MAX_LOOPS];
} tml_broadcast;

/* TFLM's general quantized add/sub (one implementation for both: kernels/add.c): inputs shifted
 * left by left_shift (20 for int8, 15 for int16), scaled by multipliers < 1, added or
 * subtracted, rescaled to the output. Offsets are negated input zero points; shifts use TFLM's
 * sign convention (<= 0 here). */
typedef struct {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t left_shift;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t act_min;
  int32_t act_max;
} tml_add_params;

typedef tml_add_params tml_sub_params;

/* int8: `scratch` is NULL or 512 int32 of arena memory; with it the scaled value of every
 * int8 input is tabulated once (worth it for large tensors). */
void tml_add_s8(const tml_add_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out,
                int32_t *scratch);
void tml_add_s16(const tml_add_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out);
void tml_sub_s8(const tml_sub_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out,
                int32_t *scratch);
void tml_sub_s16(const tml_sub_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out);

/* (in1 - zp1) * (in2 - zp2) rescaled by one multiplier (s1 * s2 / s_out). */
typedef struct {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t act_min;
  int32_t act_max;
} tml_mul_params;

void tml_mul_s8(const tml_mul_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out);
void tml_mul_s16(const tml_mul_params *p, const tml_broadcast *shape, const int16_t *in1, const int16_t *in2,
                 int16_t *out);

/* ---- NEG, ABS, SQUARED_DIFFERENCE, PRELU (arithmetic elementwise ops) --------------------- */

/* neg.c: out = -in (TFLM's NEG has a float32 kernel only). */
void tml_neg_f32(const float *in, float *out, int32_t n);

/* abs.c: float |x| (the sign bit cleared, as std::abs); int16 TFLM's AbsEvalQuantized: |x - input_offset|,
 * rescaled when the input and output scales differ (rescale != 0), + output_offset, clamped; an int16
 * tensor without quantization takes std::abs wrapped to int16 (wrap != 0: -32768 stays -32768).
 * int8 ABS is a lut8 table. */
typedef struct {
  int32_t input_offset;
  int32_t output_offset;
  int32_t rescale;
  int32_t multiplier;
  int32_t shift;
  int32_t wrap;
} tml_abs_params;

void tml_abs_f32(const float *in, float *out, int32_t n);
void tml_abs_s16(const tml_abs_params *p, const int16_t *in, int16_t *out, int32_t n);

/* squared_difference.c: (in1 - in2)^2, broadcast like ADD. float32 and int32 (wrapping) on the raw
 * values; int8/int16 TFLM's quantized form: inputs shifted left by left_shift (7 for int8, 0 for
 * int16), scaled by multipliers < 1 (input*_shift: right shifts >= 0), subtracted, squared and
 * rescaled by output_multiplier/output_shift (TFLM's sign convention), + output_offset, clamped. */
typedef tml_add_params tml_squared_difference_params; /* the same fields as ADD's */

void tml_squared_difference_s8(const tml_squared_difference_params *p, const tml_broadcast *shape, const int8_t *in1,
                               const int8_t *in2, int8_t *out);
void tml_squared_difference_s16(const tml_squared_difference_params *p, const tml_broadcast *shape, const int16_t *in1,
                                const int16_t *in2, int16_t *out);
void tml_squared_difference_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, int32_t *out);
void tml_squared_difference_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out);

/* prelu.c: out = in >= 0 ? in : in * alpha, alpha broadcast against the input like ADD's input 2.
 * float32 on the raw values; int8 and int16 (alpha int8) TFLM's BroadcastPrelu4DSlow: in + input_offset,
 * rescaled by multiplier 1 when >= 0, else (in + input_offset) * (alpha + alpha_offset) by multiplier 2,
 * + output_offset, clamped to the output type. */
typedef struct {
  int32_t input_offset;
  int32_t alpha_offset;
  int32_t output_offset;
  int32_t output_multiplier_1;
  int32_t output_shift_1;
  int32_t output_multiplier_2;
  int32_t output_shift_2;
} tml_prelu_params;

void tml_prelu_s8(const tml_prelu_params *p, const tml_broadcast *shape, const int8_t *in, const int8_t *alpha,
                  int8_t *out);
void tml_prelu_s16(const tml_prelu_params *p, const tml_broadcast *shape, const int16_t *in, const int8_t *alpha,
                   int16_t *out);
void tml_prelu_f32(const tml_broadcast *shape, const float *in, const float *alpha, float *out);

/* ---- MAXIMUM, MINIMUM, ARG_MAX, ARG_MIN, GATHER (selection ops) ----------------------------
 * No arithmetic on the values: TFLM compares or copies raw elements (no requantization). */

/* maximum_minimum.c: out = in1 > in2 ? in1 : in2 (MAXIMUM), in1 < in2 ? in1 : in2 (MINIMUM),
 * TFLM's exact expressions (so float NaN behaves as in TFLM), broadcast like ADD. */
void tml_maximum_s8(const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out);
void tml_maximum_s16(const tml_broadcast *shape, const int16_t *in1, const int16_t *in2, int16_t *out);
void tml_maximum_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, int32_t *out);
void tml_maximum_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out);
void tml_minimum_s8(const tml_broadcast *shape, const int8_t *in1, const int8_t *in2, int8_t *out);
void tml_minimum_s16(const tml_broadcast *shape, const int16_t *in1, const int16_t *in2, int16_t *out);
void tml_minimum_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, int32_t *out);
void tml_minimum_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out);

/* arg_min_max.c: index (int32) of the first largest / smallest value along one axis, TFLM's
 * ArgMinMax with GreaterFn / LessFn (a candidate replaces the best only when strictly greater /
 * smaller, so ties and NaN keep the earlier index). The input is [outer][axis_size][inner]. */
typedef struct {
  int32_t outer, axis_size, inner;
} tml_arg_params;

void tml_arg_max_s8(const tml_arg_params *p, const int8_t *input, int32_t *output);
void tml_arg_max_f32(const tml_arg_params *p, const float *input, int32_t *output);
void tml_arg_min_s8(const tml_arg_params *p, const int8_t *input, int32_t *output);
void tml_arg_min_f32(const tml_arg_params *p, const float *input, int32_t *output);

/* gather.c: TFLM's Gather as byte copies, so one function serves every element type. params is
 * [batches][outer][axis_size][inner], indices [batches][coords], output
 * [batches][outer][coords][inner]; inner_bytes = inner * element size. Returns 0, or 1 (having
 * written part of the output) when an index is outside [0, axis_size): only indices read at run
 * time can be, constant ones are checked at build time. */
typedef struct {
  int32_t batches, outer, coords, axis_size, inner_bytes;
} tml_gather_params;

int32_t tml_gather(const tml_gather_params *p, const void *params, const int32_t *indices, void *output);

/* gather.c: GATHER_ND. indices is [slices][index_depth]; index tuple k starts at element
 * sum(index[j] * dim_elements[j]) of params and copies slice_elements elements. Returns 1 (output
 * partly written) when that start is negative or past params_elements - slice_elements, as TFLM. */
typedef struct {
  int32_t slices, index_depth, slice_elements, params_elements, elem_bytes;
  int32_t dim_elements[5]; /* MAX_INDICES_ND in TFLM's gather_nd.cc */
} tml_gather_nd_params;

int32_t tml_gather_nd(const tml_gather_nd_params *p, const void *params, const int32_t *indices, void *output);

/* ---- RELU (int16), RELU6, LEAKY_RELU (int16) --------------------------------------------- */

typedef struct {
  int32_t input_offset;  /* input zero point */
  int32_t output_offset; /* output zero point */
  int32_t multiplier;
  int32_t shift;
  int32_t act_min;
  int32_t act_max;
} tml_relu_params;

void tml_relu_s16(const tml_relu_params *p, const int16_t *in, int16_t *out, int32_t n);

/* Clamp to [lower, upper] = the input's quantized 0 and 6 (no requantization, as TFLM). */
void tml_relu6_s8(int8_t lower, int8_t upper, const int8_t *in, int8_t *out, int32_t n);
void tml_relu6_s16(int16_t lower, int16_t upper, const int16_t *in, int16_t *out, int32_t n);

typedef struct {
  int32_t input_offset;  /* input zero point */
  int32_t output_offset; /* output zero point */
  int32_t identity_multiplier;
  int32_t identity_shift;
  int32_t alpha_multiplier; /* |multiplier| of alpha; alpha_negative says to negate */
  int32_t alpha_shift;
  int32_t alpha_negative;
} tml_leaky_relu_params;

void tml_leaky_relu_s16(const tml_leaky_relu_params *p, const int16_t *in, int16_t *out, int32_t n);

/* ---- PAD / PADV2 (any element size) ------------------------------------------------------- */

/* Shape extended to 5-D with unpadded inner dimensions merged; before/after are fill
 * counts in elements at each level (padding rows times the output slice below it). */
typedef struct {
  int32_t elem_bytes; /* 1, 2 or 4 */
  int32_t value;      /* fill value's bit pattern (sign-extended for 1 and 2 bytes) */
  int32_t in_dims[5];
  int32_t before[5];
  int32_t after[5];
} tml_pad_params;

void tml_pad(const tml_pad_params *p, const void *input, void *output);

/* ---- CONCATENATION (any element size) ----------------------------------------------------- */

/* Copies `outer` blocks of block_bytes from input to output, output blocks
 * output_block_bytes apart; called once per input. */
void tml_concatenation(const void *input, void *output, int32_t outer, int32_t block_bytes, int32_t output_block_bytes);

/* ---- STRIDED_SLICE (any element size) ----------------------------------------------------- */

/* Five loops (outermost first) with counts and element steps into the input (negative for
 * reversed slices); start is the first element's index. step[4] == 1 means contiguous rows. */
typedef struct {
  int32_t elem_bytes; /* 1, 2, 4 or 8 */
  int32_t start;
  int32_t count[5];
  int32_t step[5];
} tml_strided_slice_params;

void tml_strided_slice(const tml_strided_slice_params *p, const void *input, void *output);

/* ---- BATCH_TO_SPACE_ND / SPACE_TO_BATCH_ND (space_batch.c, any element size) ------------ */

/* NHWC shapes (rank-3 NHC as NH1C), rows of row_bytes (depth * element size); top/left are
 * the crops (BATCH_TO_SPACE_ND) or paddings (SPACE_TO_BATCH_ND, filled with bytes of value
 * pad_byte: the output zero point for int8, 0 for float32). */
typedef struct {
  int32_t row_bytes;
  int32_t in_batch, in_h, in_w;
  int32_t out_batch, out_h, out_w;
  int32_t block_h, block_w;
  int32_t top, left;
  int32_t pad_byte;
} tml_space_batch_params;

void tml_batch_to_space_nd(const tml_space_batch_params *p, const void *input, void *output);
void tml_space_to_batch_nd(const tml_space_batch_params *p, const void *input, void *output);

/* ---- RESIZE_NEAREST_NEIGHBOR (resize_nearest_neighbor.c, any element size) --------------- */

/* Source row / column of every output row / column as byte offsets into one input batch
 * (TFLM's GetNearestNeighbor, computed at build time); row_bytes = depth * element size. */
typedef struct {
  int32_t batches, out_h, out_w;
  int32_t row_bytes, in_batch_bytes;
  const int32_t *y_offsets;
  const int32_t *x_offsets;
} tml_resize_nearest_params;

void tml_resize_nearest_neighbor(const tml_resize_nearest_params *p, const void *input, void *output);

/* ---- MEAN (int8, int16) ------------------------------------------------------------------- */

#define TML_MEAN_MAX_LOOPS 4

/* Input collapsed into kept loops (one output element per index, in output order) and
 * reduced loops (summed); steps in elements. The multiplier already includes 1/count. */
typedef struct {
  int32_t kept_loops;
  int32_t kept_count[TML_MEAN_MAX_LOOPS];
  int32_t kept_step[TML_MEAN_MAX_LOOPS];
  int32_t reduced_loops;
  int32_t reduced_count[TML_MEAN_MAX_LOOPS];
  int32_t reduced_step[TML_MEAN_MAX_LOOPS];
  int32_t input_zero_point_sum; /* input zero point * reduced element count */
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
} tml_mean_params;

void tml_mean_s8(const tml_mean_params *p, const int8_t *input, int8_t *output);
void tml_mean_s16(const tml_mean_params *p, const int16_t *input, int16_t *output);

/* ---- TRANSPOSE_CONV (int8; int16 activations x int8 weights) ----------------------------- */

typedef struct {
  int32_t batches, in_h, in_w, in_ch;
  int32_t out_h, out_w, out_ch;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_h, pad_w;
  int32_t output_offset; /* output zero point (int8 only) */
  int32_t act_min, act_max;
  const int32_t *multiplier; /* [out_ch], or [1] when channel_mask is 0 */
  const int32_t *shift;      /* [out_ch], or [1] when channel_mask is 0 */
  int32_t channel_mask;      /* -1: per-channel; 0: per-tensor (every channel reads entry 0, no table) */
  /* int8 only, NULL when the input zero point is 0: [out_ch][filter_h][filter_w] of
   * -input_zero_point * (sum of that tap's weights), added once per tap that reaches a pixel. */
  const int32_t *tap_offset;
} tml_transpose_conv_params;

/* filter: [out_ch][filter_h][filter_w][in_ch]; bias may be NULL. */
void tml_transpose_conv_s8(const tml_transpose_conv_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output);
void tml_transpose_conv_s16(const tml_transpose_conv_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output);

/* ---- CONV_2D, int16 activations x int8 weights -------------------------------------------- */

typedef struct {
  int32_t batches, in_h, in_w, in_ch;
  int32_t out_h, out_w, out_ch;
  int32_t filter_h, filter_w, filter_in_ch; /* filter_in_ch < in_ch: grouped convolution */
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_h, pad_w;
  int32_t act_min, act_max;
  const int32_t *multiplier; /* [out_ch], or [1] when channel_mask is 0 */
  const int32_t *shift;      /* [out_ch], or [1] when channel_mask is 0 */
  int32_t channel_mask;      /* -1: per-channel; 0: per-tensor (every channel reads entry 0, no table) */
} tml_conv16x8_params;

/* filter: [out_ch][filter_h][filter_w][filter_in_ch]; bias may be NULL. _acc64 accumulates in
 * int64 and rescales with tml_multiply_by_quantized_multiplier_i64 (int64 bias), _acc32 in int32
 * with tml_multiply_by_quantized_multiplier (int32 bias). */
void tml_conv2d_s16x8_acc64(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output);
void tml_conv2d_s16x8_acc32(const tml_conv16x8_params *p, const int16_t *input, const int8_t *filter,
                            const int32_t *bias, int16_t *output);

/* ---- conv16: CONV_2D 16x8 on a gathered patch (conv2d_16x8.c, ops/conv2d_16x8.py) ----------
 * Single-group convolutions: weights transposed to [out_ch][filter_w][filter_h][in_ch] (the
 * patch's column-major order), in FULLY_CONNECTED 16x8's layout (s16x8_rows) over rows of
 * filter_h * filter_w * in_ch = depth; patch: arena scratch of 2 * depth int16 (a mirrored ring of
 * columns), or NULL when that is at most TML_CONV16X8_STACK_PATCH (the kernel then gathers on its
 * stack). Same accumulators and rescaling as tml_conv2d_s16x8_acc64 / _acc32. */
#define TML_CONV16X8_STACK_PATCH 256
void tml_conv2d_s16x8_patch_acc64(const tml_conv16x8_params *p, const int16_t *input, const int8_t *weights,
                                  const int64_t *bias, int16_t *output, int16_t *patch);
void tml_conv2d_s16x8_patch_acc32(const tml_conv16x8_params *p, const int16_t *input, const int8_t *weights,
                                  const int32_t *bias, int16_t *output, int16_t *patch);

/* ---- byte lookup table (lut.c) ----------------------------------------------------------
 * Any elementwise op whose int8/uint8 input fully determines the output (QUANTIZE from 8 bits,
 * LOGISTIC/TANH/activations on int8, ...) is exact as a 256-entry table computed at build
 * time with TFLM's arithmetic. table[b] is the output for the input byte b (int8 -1 is b=255). */
typedef struct {
  const void *table; /* [256] of the output element type */
  uint32_t size;     /* elements */
} tml_lut8_params;

void tml_lut8_s8(const tml_lut8_params *p, const uint8_t *input, int8_t *output);
void tml_lut8_u8(const tml_lut8_params *p, const uint8_t *input, uint8_t *output);
void tml_lut8_s16(const tml_lut8_params *p, const uint8_t *input, int16_t *output);
void tml_lut8_s32(const tml_lut8_params *p, const uint8_t *input, int32_t *output);

/* ---- QUANTIZE (quantize.c) ----------------------------------------------------------------- */

/* float -> int: clamp(round(x / scale) + zero_point), division in float as TFLM. */
typedef struct {
  float scale;
  int32_t zero_point;
  uint32_t size;
} tml_quantize_f32_params;

void tml_quantize_f32_s8(const tml_quantize_f32_params *p, const float *input, int8_t *output);
void tml_quantize_f32_s16(const tml_quantize_f32_params *p, const float *input, int16_t *output);

/* int16/int32 -> int: clamp(multiply_by_quantized_multiplier(x - input_zero_point) + output_zero_point). 8-bit
 * inputs use lut8. */
typedef struct {
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
  uint32_t size;
} tml_requantize_params;

void tml_requantize_s16_s8(const tml_requantize_params *p, const int16_t *input, int8_t *output);
void tml_requantize_s16_s16(const tml_requantize_params *p, const int16_t *input, int16_t *output);
void tml_requantize_s16_s32(const tml_requantize_params *p, const int16_t *input, int32_t *output);
void tml_requantize_s32_s8(const tml_requantize_params *p, const int32_t *input, int8_t *output);
void tml_requantize_s32_s16(const tml_requantize_params *p, const int32_t *input, int16_t *output);

/* ---- DEQUANTIZE (dequantize.c) -------------------------------------------------------------- */

/* int -> float: (x - zero_point) * scale. One float multiply of exact operands is the correctly
 * rounded product, exactly what TFLM's double product rounded to float gives. */
typedef struct {
  float scale;
  int32_t zero_point;
  uint32_t size;
} tml_dequantize_params;

void tml_dequantize_s8_f32(const tml_dequantize_params *p, const int8_t *input, float *output);
void tml_dequantize_u8_f32(const tml_dequantize_params *p, const uint8_t *input, float *output);
void tml_dequantize_s16_f32(const tml_dequantize_params *p, const int16_t *input, float *output);

/* ---- SOFTMAX (softmax.c) ---------------------------------------------------------------------
 * int8 input, int8 or int16 output, TFLM's gemmlowp fixed-point algorithm. exp() of every
 * possible input difference (max - x in 0..255) is precomputed at build time in Q0.31. */
typedef struct {
  const int32_t *exp_table; /* [256] */
  int32_t outer;            /* rows */
  int32_t depth;            /* softmax axis length (last dimension) */
} tml_softmax_s8_params;

void tml_softmax_s8_s8(const tml_softmax_s8_params *p, const int8_t *input, int8_t *output);
void tml_softmax_s8_s16(const tml_softmax_s8_params *p, const int8_t *input, int16_t *output);

/* ---- CONV_2D (conv2d.c) ----------------------------------------------------------------------
 * int8 per-channel (TFLM reference_integer_ops::ConvPerChannel). bias is folded with the input
 * zero point; taps outside the input are filled with the input zero point (im2col), which
 * cancels exactly. Weight rows are k = k_h * k_w * filter_in_c bytes, one after the other, then
 * (-k) & 3 zero bytes (the kernel reads whole words of a row). `im2col` is scratch of 2 * k
 * bytes (two pixels' receptive fields); NULL for `direct` convolutions (they read the input rows
 * in place) and when 2 * k <= TML_CONV_STACK_COL (the kernel then gathers on its stack). */
typedef struct {
  const int8_t *weights;     /* [out_c][k], then (-k) & 3 zero bytes */
  const int32_t *bias;       /* [out_c], folded: bias - input_zero_point * sum(weights[o]) */
  tml_requant_s8_params out; /* [out_c] channels */
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t filter_in_c; /* in_c / groups */
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_h, pad_w; /* leading padding (TFLM padding values) */
  int32_t input_zero_point;
  int32_t direct; /* 1x1 unpadded single-group: the input rows are the receptive fields, no im2col */
} tml_conv_s8_params;

/* Bytes of im2col a convolution may keep on the stack when it has no arena scratch (2 * k <= this). */
#define TML_CONV_STACK_COL 256

void tml_conv2d_s8(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col, int32_t *work);
/* `work` above: 8-aligned scratch of TML_CONV_ROW_WORK_BYTES -- two pixels' accumulators for a block
 * of TML_REQUANT_BLOCK channels and 64 bytes of depth of both rows sign-extended to int16. Arena
 * scratch where it does not grow the arena, else NULL and the kernel keeps it on its stack
 * (ops/_window.py CONV_ROW_WORK). */
#define TML_CONV_ROW_WORK_BYTES 512
/* The same for single-group convolutions with out_c >= 4 and k >= 4 (the lowering: k >= 8) whose
 * weights are stored in the SMLAD layout (ops/_conv2d_smlad.py, FULLY_CONNECTED's smlad_weights,
 * same byte count, no tail bytes) with the layout's row constant folded into the bias: two pixels
 * share each weight word. The same im2col scratch as tml_conv2d_s8. */
void tml_conv2d_s8_smlad(const tml_conv_s8_params *p, const int8_t *input, int8_t *output, int8_t *im2col,
                         int32_t *work);
/* `work` above: 8-aligned scratch of TML_CONV_WORK_BYTES(k) -- the accumulators of two pixels' block of
 * TML_REQUANT_BLOCK channels, then their rows turned into SMLAD operands (16 bytes per quad of 4
 * bytes of depth, at most TML_CONV_FORM_QUADS quads at a time). Arena scratch where it does not grow
 * the arena (the memory report counts it), else NULL and the kernel keeps it on its stack
 * (ops/_conv2d_smlad.py work_bytes; not used on cores without SIMD32). */
#define TML_CONV_FORM_QUADS 32
#define TML_CONV_WORK_BYTES(k) \
  (8 * TML_REQUANT_BLOCK + 16 * ((k) / 4 < TML_CONV_FORM_QUADS ? (k) / 4 : TML_CONV_FORM_QUADS))

/* ---- DEPTHWISE_CONV_2D (depthwise_conv2d.c) ---------------------------------------------------
 * int8 per-channel with depth multiplier (TFLM reference_integer_ops::DepthwiseConvPerChannel).
 * Folded bias as CONV_2D; taps outside the input read `pad_row` (in_c bytes of the input zero
 * point, NULL when no tap is outside). `taps` is scratch for k_h * k_w pointers, or NULL when
 * k_h * k_w <= TML_DW_STACK_TAPS (the pointers then live on the stack: no arena bytes). */
#define TML_DW_STACK_TAPS 25
typedef struct {
  const int8_t *weights;     /* multiplier 1: [out_c / 4][k_h * k_w][4] then [out_c % 4][k_h * k_w];
                                otherwise [k_h][k_w][out_c] as in the model */
  const int32_t *bias;       /* [out_c], folded: bias - input_zero_point * sum over taps */
  tml_requant_s8_params out; /* [out_c] channels */
  const int8_t *pad_row;     /* [in_c], all input_zero_point; NULL when no tap is outside */
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t depth_multiplier;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_h, pad_w;
} tml_dwconv_s8_params;

void tml_depthwise_conv2d_s8(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output, const int8_t **taps);

/* ---- AVERAGE_POOL_2D / MAX_POOL_2D (average_pool2d.c, max_pool2d.c) ---------------------------
 * int8, TFLM reference_integer_ops::AveragePool / MaxPool: windows clipped to the input,
 * average rounded half away from zero over the clipped count. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_h, pad_w;
  int32_t act_min, act_max;
} tml_pool_params;

void tml_average_pool2d_s8(const tml_pool_params *p, const int8_t *input, int8_t *output);
void tml_max_pool2d_s8(const tml_pool_params *p, const int8_t *input, int8_t *output);

/* ---- EQUAL / NOT_EQUAL / LESS / LESS_EQUAL / GREATER / GREATER_EQUAL (comparisons.c) ----------
 * TFLM reference comparisons with broadcasting; bool output (one byte, 0 or 1). bool (EQUAL and
 * NOT_EQUAL only), int32, int64 and float32 compare the stored values; int8 rescales both inputs
 * first (TFLM's ComparisonWithScaling): (x + offset) << left_shift, then
 * MultiplyByQuantizedMultiplierSmallerThanOneExp with right shift = -shift >= 0. */
typedef struct {
  tml_broadcast shape;
  int32_t left_shift;
  int32_t input1_offset, input1_multiplier, input1_rshift;
  int32_t input2_offset, input2_multiplier, input2_rshift;
} tml_compare_s8_params;

#define TML_COMPARE_DECL(op)                                                                              \
  void tml_##op##_s8(const tml_compare_s8_params *p, const int8_t *in1, const int8_t *in2, uint8_t *out); \
  void tml_##op##_s32(const tml_broadcast *shape, const int32_t *in1, const int32_t *in2, uint8_t *out);  \
  void tml_##op##_s64(const tml_broadcast *shape, const int64_t *in1, const int64_t *in2, uint8_t *out);  \
  void tml_##op##_f32(const tml_broadcast *shape, const float *in1, const float *in2, uint8_t *out);
TML_COMPARE_DECL(equal)
TML_COMPARE_DECL(not_equal)
TML_COMPARE_DECL(less)
TML_COMPARE_DECL(less_equal)
TML_COMPARE_DECL(greater)
TML_COMPARE_DECL(greater_equal)
void tml_equal_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out);
void tml_not_equal_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out);
/* LOGICAL_AND / LOGICAL_OR on bool (comparisons.c: the same broadcast walk). */
void tml_logical_and_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out);
void tml_logical_or_b(const tml_broadcast *shape, const uint8_t *in1, const uint8_t *in2, uint8_t *out);

/* ---- SELECT_V2 (select.c) ----------------------------------------------------------------------
 * out = condition ? x : y with broadcasting of all three (TFLM BroadcastSelect5DSlow / Select);
 * values are copied as stored (no requantization). Loops outermost first, element steps of each
 * operand per loop (0 where it is broadcast). */
typedef struct {
  int32_t loops;
  int32_t count[TML_BCAST_MAX_LOOPS];
  int32_t step_c[TML_BCAST_MAX_LOOPS];
  int32_t step_x[TML_BCAST_MAX_LOOPS];
  int32_t step_y[TML_BCAST_MAX_LOOPS];
} tml_select_params;

void tml_select_v2_s8(const tml_select_params *p, const uint8_t *cond, const int8_t *x, const int8_t *y, int8_t *out);
void tml_select_v2_s16(const tml_select_params *p, const uint8_t *cond, const int16_t *x, const int16_t *y,
                       int16_t *out);
void tml_select_v2_f32(const tml_select_params *p, const uint8_t *cond, const float *x, const float *y, float *out);

/* ---- CAST (cast.c) --------------------------------------------------------------------------------
 * TFLM's static_cast per element, n elements. From int8, int16, int32, float32, bool (b: one byte,
 * 0 or 1) to int8, int16, int32, float32. Narrowing integer casts wrap (two's complement);
 * float -> integer truncates toward zero and saturates to the target's range, NaN -> 0 (what
 * TFLM's undefined out-of-range static_cast gives on the host oracle; see cast.c). */
#define TML_CAST_DECL(from, from_t)                                      \
  void tml_cast_##from##_s8(int32_t n, const from_t *in, int8_t *out);   \
  void tml_cast_##from##_s16(int32_t n, const from_t *in, int16_t *out); \
  void tml_cast_##from##_s32(int32_t n, const from_t *in, int32_t *out); \
  void tml_cast_##from##_f32(int32_t n, const from_t *in, float *out);
TML_CAST_DECL(s8, int8_t)
TML_CAST_DECL(s16, int16_t)
TML_CAST_DECL(s32, int32_t)
TML_CAST_DECL(f32, float)
TML_CAST_DECL(b, uint8_t)

/* ---- REDUCE_MAX / REDUCE_MIN (int8, float32), SUM (float32) (reduce.c) ------------------------
 * MEAN's loop description (tml_mean_params; its quantization fields are not used). int8/int16 SUM
 * is tml_mean_s8/_s16 with the unfolded multiplier. */
void tml_reduce_max_s8(const tml_mean_params *p, const int8_t *input, int8_t *output);
void tml_reduce_min_s8(const tml_mean_params *p, const int8_t *input, int8_t *output);
void tml_reduce_max_f32(const tml_mean_params *p, const float *input, float *output);
void tml_reduce_min_f32(const tml_mean_params *p, const float *input, float *output);
void tml_reduce_sum_f32(const tml_mean_params *p, const float *input, float *output);

/* ---- BATCH_MATMUL (int8, int16, float32) (batch_matmul.c) ---------------------------------------
 * Output matrices [rows x cols] in order; a_offsets / b_offsets: the first element of A and B for
 * each of the `batches` output matrices (broadcasting resolved at build time). A[m][k] is at
 * m * a_row_step + k * a_k_step, B[k][n] at k * b_k_step + n * b_col_step (adj_x / adj_y).
 * int8: a_offset / b_offset = -zero points; int16 has zero points 0. */
typedef struct {
  int32_t batches;
  const int32_t *a_offsets;
  const int32_t *b_offsets;
  int32_t rows, cols, depth;
  int32_t a_row_step, a_k_step, b_k_step, b_col_step;
  int32_t a_offset, b_offset, output_offset;
  int32_t multiplier, shift;
} tml_batch_matmul_params;

void tml_batch_matmul_s8(const tml_batch_matmul_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void tml_batch_matmul_s16(const tml_batch_matmul_params *p, const int16_t *a, const int16_t *b, int16_t *out);
void tml_batch_matmul_f32(const tml_batch_matmul_params *p, const float *a, const float *b, float *out);

/* ---- SVDF (int8 input with int16 or int8 state; float32) -------------------------------------
 * The state [batches][filters][memory] is a variable tensor in the arena: it persists between
 * invocations and init() fills it as TFLM's ResetVariableTensors does. */
typedef struct {
  const int8_t *weights_feature; /* [filters][input_size] in ops/svdf.py interleaved_rows order */
  const void *weights_time;      /* [filters][memory], int16_t or int8_t like the state */
  const int32_t *bias;           /* [units] */
  int32_t batches, input_size, filters, memory, rank;
  int32_t multiplier1, shift1; /* feature dot -> state units */
  int32_t multiplier2, shift2; /* reduced sum -> output units */
  /* input and state zero points are subtracted inside the dot products: no per-filter tables */
  int32_t input_zero_point, state_zero_point, output_zero_point;
} tml_svdf_s8_params;

void tml_svdf_s8_s16(const tml_svdf_s8_params *p, const int8_t *input, int16_t *state, int8_t *output);
void tml_svdf_s8_s8(const tml_svdf_s8_params *p, const int8_t *input, int8_t *state, int8_t *output);

typedef struct {
  const float *weights_feature; /* [filters][input_size] */
  const float *weights_time;    /* [filters][memory] */
  const float *bias;            /* [units] */
  int32_t batches, input_size, filters, memory, rank;
  int32_t activation; /* TML_SVDF_ACT_*: the fused activation as TFLM's ActivationValFloat */
} tml_svdf_f32_params;

/* The schema's ActivationFunctionType numbers (SIGMOID cannot be named there). */
enum {
  TML_SVDF_ACT_NONE = 0,
  TML_SVDF_ACT_RELU = 1,
  TML_SVDF_ACT_RELU_N1_TO_1 = 2,
  TML_SVDF_ACT_RELU6 = 3,
  TML_SVDF_ACT_TANH = 4,
  TML_SVDF_ACT_SIGN_BIT = 5
};

void tml_svdf_f32(const tml_svdf_f32_params *p, const float *input, float *state, float *output);

/* ---- UNIDIRECTIONAL_SEQUENCE_LSTM (int8 x int8 -> int16 cell, int16 x int8; float32: see lstmf) -
 * Integer paths of TFLM's lstm_eval: per step four gates (input FC + recurrent FC, each requantized to Q3.12,
 * saturating add, sigmoid or tanh to Q0.15), the cell update, the hidden update. The hidden and
 * cell states are variable tensors (persistent, reset by init()). */
typedef struct {
  const int8_t *input_weights;     /* int16: [cells][input_size] (int8: tml_lstm_params' gate_ fields) */
  const int8_t *recurrent_weights; /* int16: [cells][cells] */
  const int64_t *input_bias64;     /* int16: gate bias (int64) */
  int32_t input_multiplier, recurrent_multiplier;
  int32_t input_shift, recurrent_shift;   /* int16: TFLM's shifts */
  int32_t input_rshift, recurrent_rshift; /* int8: -2 - shift, as tml_requant takes it */
} tml_lstm_gate_params;

/* lstmspeed: one requantization of the int8 path with no test of its shift, for r = -shift in 1..31:
 * (x * multiplier + round - [x < 0] * 2^31) >> 32 >> shift with round = 2^30 + 2^(30 + r), shift = r - 1:
 * MultiplyByQuantizedMultiplier's two roundings as one (unidirectional_sequence_lstm.c). */
typedef struct {
  int64_t round;
  int32_t multiplier, shift;
} tml_lstm_scale;

typedef struct {
  tml_lstm_gate_params gates[4]; /* forget, input, cell, output */
  const uint16_t *sigmoid_table; /* TFLM's 256-entry table (runtimes/aot/upstream_tables.py) */
  int32_t batches, time_steps, input_size, cells, time_major;
  /* the element-wise products, shifts as tml_requant takes them (rshift = -2 - shift) */
  int32_t forget_multiplier, forget_rshift; /* forget gate x cell -> cell */
  int32_t update_multiplier, update_rshift; /* input gate x cell gate -> cell */
  int32_t hidden_multiplier, hidden_rshift; /* tanh(cell) x output gate -> hidden */
  int32_t hidden_zero_point;
  int32_t cell_clip;                   /* quantized bound; 0: no clipping */
  int32_t tanh_multiplier, tanh_shift; /* cell -> tanh input: (x * m + tanh_round) >> shift */
  int32_t tanh_round;                  /* 1 << (shift - 1), 0 when shift is 0 */
  int32_t usual_shifts;      /* int8, 1: every requantization has r = -shift in 1..31, and scales[] holds them */
  tml_lstm_scale scales[11]; /* gate g's input FC (2 g) and recurrent FC (2 g + 1), forget, update, hidden */
  /* lstmspeed, int8 only (NULL for int16): every gate's weights as one matrix of 4 x cells rows, cell
   * by cell (its forget, input, cell, output rows), in FULLY_CONNECTED's SMLAD layout (tml_dot.h) */
  const int8_t *gate_input_weights;     /* [4 x cells][input_size], the layout */
  const int8_t *gate_recurrent_weights; /* [4 x cells][cells], the layout */
  const int32_t *gate_input_bias;       /* [cells][4]: bias - input_zp x row sum - the layout's row constant */
  const int32_t *gate_recurrent_bias;   /* [cells][4]: -hidden_zp x row sum - the layout's row constant */
} tml_lstm_params;

/* forms: 2 * (input_size / 4 + cells / 4) int32 (the inputs' SMLAD forms; word-aligned) */
void tml_lstm_s8(const tml_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output,
                 int32_t *forms);
/* scratch: 4 * cells int16 */
void tml_lstm_s16(const tml_lstm_params *p, const int16_t *input, int16_t *hidden, int16_t *cell, int16_t *output,
                  int16_t *scratch);

/* ---- Float elementwise math (SIN, COS, EXP, LOG, SQRT, RSQRT, SQUARE, CEIL, FLOOR, ROUND, ELU) ---- */

/* float_math.c: out[i] = f(in[i]) over n float32 values, f as TFLM's float kernels compute it:
 * libm's sinf/cosf/expf/logf (bit-exact with TFLM where the two libms agree: see the aot README),
 * IEEE-exact sqrtf, 1.0f / sqrtf(x), x * x, ceilf, floorf and TFLM's RoundToNearest (ties to even). */
void tml_sin_f32(const float *in, float *out, int32_t n);
void tml_cos_f32(const float *in, float *out, int32_t n);
void tml_exp_f32(const float *in, float *out, int32_t n);
void tml_log_f32(const float *in, float *out, int32_t n);
void tml_sqrt_f32(const float *in, float *out, int32_t n);
void tml_rsqrt_f32(const float *in, float *out, int32_t n);
void tml_square_f32(const float *in, float *out, int32_t n);
void tml_ceil_f32(const float *in, float *out, int32_t n);
void tml_floor_f32(const float *in, float *out, int32_t n);
/* ROUND: TFLM's RoundToNearest (ties to even); tml_round_f32 (tml_fixedpoint.h) is TfLiteRound */
void tml_round_to_nearest_f32(const float *in, float *out, int32_t n);
/* ELU: expm1f(x) below zero, x otherwise (reference_ops::Elu) */
void tml_elu_f32(const float *in, float *out, int32_t n);

/* rsqrt.c: int8 RSQRT as a 256-entry table indexed by the input byte; returns nonzero (no output
 * guaranteed) on an input below input_min (the input zero point), where TFLM's Invoke fails. */
typedef struct {
  const int8_t *table;
  int32_t input_min;
  uint32_t size;
} tml_rsqrt_s8_params;

int32_t tml_rsqrt_s8(const tml_rsqrt_s8_params *p, const int8_t *in, int8_t *out);

/* sigmoid16.c: int16 LOGISTIC / TANH as TFLM's reference_integer_ops: input * multiplier, + round,
 * >> left_shift (a power-of-two scale comes as multiplier 3 << shift, left_shift 0), then linear
 * interpolation in TFLM's 256-entry sigmoid table (`table`, read from the pinned TFLM tree). */
typedef struct {
  const uint16_t *table;
  int32_t multiplier;
  int32_t round;
  int32_t left_shift;
} tml_sigmoid16_params;

void tml_logistic_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n);
void tml_tanh_s16(const tml_sigmoid16_params *p, const int16_t *in, int16_t *out, int32_t n);

/* div.c: DIV broadcast like ADD, in1 / in2 clamped to the fused activation's range as TFLM's
 * ActivationFunctionWithMinMax. int32: a zero divisor gives 0, INT32_MIN / -1 gives INT32_MIN
 * (undefined in TFLM). */
typedef struct {
  float act_min;
  float act_max;
} tml_div_f32_params;

typedef struct {
  int32_t act_min;
  int32_t act_max;
} tml_div_s32_params;

void tml_div_f32(const tml_div_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out);
void tml_div_s32(const tml_div_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out);

/* div.c int8: TFLM's DivElementwise (input offsets = -zero points; output_multiplier/shift from
 * QuantizeMultiplier(s1 / (s2 * s_out)), TFLM's sign convention). A zero divisor gives act_max for a
 * positive dividend, act_min for a negative one, the output offset for 0 (undefined in TFLM). */
typedef struct {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t act_min;
  int32_t act_max;
} tml_div_s8_params;

void tml_div_s8(const tml_div_s8_params *p, const tml_broadcast *shape, const int8_t *in1, const int8_t *in2,
                int8_t *out);

/* l2_pool2d.c: L2_POOL_2D float32 (reference_ops::L2Pool): sqrt(sum of squares / count) over each
 * window clipped to the input, clamped to [act_min, act_max]. Geometry as tml_pool_params. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_h, pad_w;
  float act_min, act_max;
} tml_l2_pool_f32_params;

void tml_l2_pool2d_f32(const tml_l2_pool_f32_params *p, const float *input, float *output);

/* l2_normalization.c: L2_NORMALIZATION over the last dimension (`depth` values per row): float32
 * x / max(sqrt(sum x^2), 1e-6f); int8 TFLM's integer form (output scale 1/128, zero point 0). */
typedef struct {
  int32_t rows;
  int32_t depth;
  int32_t input_zero_point;
} tml_l2_normalization_params;

void tml_l2_normalization_f32(const tml_l2_normalization_params *p, const float *in, float *out);
void tml_l2_normalization_s8(const tml_l2_normalization_params *p, const int8_t *in, int8_t *out);

/* log_softmax.c: LOG_SOFTMAX float32 over the last dimension (reference_ops::LogSoftmax). */
typedef struct {
  int32_t rows;
  int32_t depth;
} tml_log_softmax_params;

void tml_log_softmax_f32(const tml_log_softmax_params *p, const float *in, float *out);

/* log_softmax.c int8: TFLM's LogSoftmaxQuantized (output scale 16/256, zero point 127). exp_table[d]:
 * Rescale<12>(exp(diff = -d in Q5)) for d = 0..255, 0 where diff < diff_min. */
typedef struct {
  const int32_t *exp_table;
  int32_t rows, depth;
  int32_t input_multiplier, input_left_shift;
  int32_t reverse_multiplier, reverse_shift;
  int32_t diff_min;
} tml_log_softmax_s8_params;

void tml_log_softmax_s8(const tml_log_softmax_s8_params *p, const int8_t *in, int8_t *out);

/* resize_bilinear.c: RESIZE_BILINEAR NHWC; float32 with TFLM's float32 scales (in / out, or
 * (in - 1) / (out - 1) with align_corners), int8 with its 10-bit fixed-point scales. */
typedef struct {
  int32_t batches, in_h, in_w, depth, out_h, out_w;
  int32_t half_pixel_centers;
  float height_scale_f32, width_scale_f32;
  int32_t height_scale_q10, width_scale_q10;
} tml_resize_bilinear_params;

void tml_resize_bilinear_f32(const tml_resize_bilinear_params *p, const float *input, float *output);
void tml_resize_bilinear_s8(const tml_resize_bilinear_params *p, const int8_t *input, int8_t *output);

/* Per-op profiling builds (profile_ops=on, TML_PROFILE_OPS) call tml_profile_op(i) before op i: the
 * marker the QEMU instruction-mix profile splits its counts at. Defined by the test application.
 * Otherwise the statement is nothing at all (not even `;`): default images keep their debug line table. */
#ifdef TML_PROFILE_OPS
void tml_profile_op(uint32_t op_index);
#define TML_PROFILE_OP(op) tml_profile_op(op);
#else
#define TML_PROFILE_OP(op)
#endif

/* ---- opsShape: MIRROR_PAD (mirror_pad.c) ------------------------------------------------------
 * Five output loops (outermost first, leading ones of count 1); offset[d][i] is the input element
 * offset of output index i along d (reflected/symmetric coordinate times the input stride), so
 * out[...] = in[offset[0][i0] + ... + offset[4][i4]]. elem_bytes is 1 (int8) or 4 (float32). */
typedef struct {
  int32_t elem_bytes;
  int32_t count[5];
  const int32_t *offset[5];
} tml_mirror_pad_params;

void tml_mirror_pad(const tml_mirror_pad_params *p, const void *input, void *output);

/* ---- opsShape: ADD_N (add_n.c), CUMSUM (cumsum.c) ---------------------------------------------
 * int8 uses ADD's parameters (input 1's fields for every input: ADD_N's inputs share one
 * quantization, CUMSUM has one input). ADD_N's inputs: `count` pointers, each `size` elements. */
void tml_add_n_s8(const tml_add_params *p, const int8_t *const *inputs, int32_t count, int8_t *out, int32_t size);
void tml_add_n_f32(const float *const *inputs, int32_t count, float *out, int32_t size);

/* CUMSUM over [before][depth][after] along depth; reverse / exclusive are 0 or 1. */
typedef struct {
  tml_add_params quant; /* int8 only */
  int32_t before, depth, after, reverse, exclusive;
} tml_cumsum_params;

void tml_cumsum_s8(const tml_cumsum_params *p, const int8_t *input, int8_t *output);
void tml_cumsum_f32(const tml_cumsum_params *p, const float *input, float *output);

/* ---- opsShape: DYNAMIC_UPDATE_SLICE (dynamic_update_slice.c) ----------------------------------
 * rank 1..6 dimensions of operand (= output) and update; `indices` holds rank int32 (index_bytes
 * 4) or int64 (8) start indices, read and clamped at run time. */
#define TML_DUS_MAX_RANK 6
typedef struct {
  int32_t elem_bytes, index_bytes, rank;
  int32_t operand_dims[TML_DUS_MAX_RANK], update_dims[TML_DUS_MAX_RANK];
  int32_t operand_elements, update_elements;
} tml_dynamic_update_slice_params;

void tml_dynamic_update_slice(const tml_dynamic_update_slice_params *p, const void *operand, const void *update,
                              const void *indices, void *output);

/* ---- opsShape: FLOOR_DIV, FLOOR_MOD (floor_div.c, float32, broadcast like ADD) ---------------
 * tml_floor_div_f32 returns 1 (nothing written) when one of in2's `denominators` elements is 0. */
int32_t tml_floor_div_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out,
                          int32_t denominators);
void tml_floor_mod_f32(const tml_broadcast *shape, const float *in1, const float *in2, float *out);

/* ==== float32 windowed ops (issue 12 section 2): CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D,
 * MAX_POOL_2D, TRANSPOSE_CONV ==============================================================
 * TFLM's reference float kernels (reference_ops::Conv, DepthwiseConv, AveragePool, MaxPool,
 * TransposeConv) in their operation order: each sum starts at 0.0f, adds the in-bounds taps one
 * product at a time in TFLM's loop order (out-of-bounds taps are skipped, never added as zero),
 * then the bias, then max(act_min) and min(act_max) (the activation NONE still clamps to
 * +-FLT_MAX, so an infinite sum becomes FLT_MAX as in TFLM). Weights and bias are the model's
 * own float arrays. */

/* TFLM's ActivationFunctionWithMinMax: std::min(std::max(v, lo), hi) (NaN passes through). */
static inline float tml_activation_f32(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

/* conv2d_f32.c: weights [out_c][k_h][k_w][filter_in_c]; in_c / filter_in_c groups. */
typedef struct {
  const float *weights;
  const float *bias; /* [out_c] or NULL */
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, filter_in_c;
  int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  float act_min, act_max;
} tml_conv_f32_params;

void tml_conv2d_f32(const tml_conv_f32_params *p, const float *input, float *output);

/* depthwise_conv2d_f32.c: weights [1][k_h][k_w][out_c], out_c = in_c * depth_multiplier. */
typedef struct {
  const float *weights;
  const float *bias; /* [out_c] or NULL */
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, depth_multiplier;
  int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  float act_min, act_max;
} tml_dwconv_f32_params;

void tml_depthwise_conv2d_f32(const tml_dwconv_f32_params *p, const float *input, float *output);

/* pool2d_f32.c: windows clipped to the input. Average: the float sum over the in-bounds taps
 * divided by their count as a float (TFLM's float filter_count); max: starts at -FLT_MAX and
 * takes v where max < v (so NaN inputs are skipped and an all -inf window gives -FLT_MAX). */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w;
  float act_min, act_max;
} tml_pool_f32_params;

void tml_average_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output);
void tml_max_pool2d_f32(const tml_pool_f32_params *p, const float *input, float *output);

/* transpose_conv_f32.c: TFLM's scatter (output zeroed, each input pixel's products added to the
 * outputs it reaches, in input order), then bias and clamp. weights [k_h][k_w][in_c][out_c] (the
 * model's [out_c][k_h][k_w][in_c] transposed at build time). */
typedef struct {
  const float *weights;
  const float *bias; /* [out_c] or NULL */
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  float act_min, act_max;
} tml_transpose_conv_f32_params;

void tml_transpose_conv_f32(const tml_transpose_conv_f32_params *p, const float *input, float *output);

/* ---- lstmf: float32 UNIDIRECTIONAL_SEQUENCE_LSTM (unidirectional_sequence_lstm_f32.c) --------
 * TFLM's EvalLstm<float>: per step four gates (input FC with bias + recurrent FC, sigmoid or tanh),
 * the cell update (clipped when cell_clip > 0), hidden = tanh(cell) x output gate. The hidden and
 * cell states are variable tensors (persistent, reset by init()). */
typedef struct {
  const float *input_weights;     /* [cells][input_size] */
  const float *recurrent_weights; /* [cells][cells] */
  const float *bias;              /* [cells] */
} tml_lstm_f32_gate_params;

typedef struct {
  tml_lstm_f32_gate_params gates[4]; /* forget, input, cell, output */
  int32_t batches, time_steps, input_size, cells, time_major;
  float cell_clip; /* > 0: the cell state is clipped to [-cell_clip, cell_clip] */
} tml_lstm_f32_params;

/* scratch: 4 * cells float */
void tml_lstm_f32(const tml_lstm_f32_params *p, const float *input, float *hidden, float *cell, float *output,
                  float *scratch);

/* ==== float32 elementwise ops (issue 12 section 2: ADD, SUB, MUL, RELU, RELU6, LEAKY_RELU,
 * HARD_SWISH, LOGISTIC, TANH, SOFTMAX, MEAN), each as TFLM's float reference kernel ============ */

/* add_f32.c (ADD, SUB), mul_f32.c (MUL): broadcast like the int8 ops, then TFLM's
 * ActivationFunctionWithMinMax over [act_min, act_max] (CalculateActivationRange<float>). */
typedef struct {
  float act_min;
  float act_max;
} tml_arith_f32_params;

void tml_add_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out);
void tml_sub_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out);
void tml_mul_f32(const tml_arith_f32_params *p, const tml_broadcast *shape, const float *in1, const float *in2,
                 float *out);

/* activations_f32.c: no libm; n elements, in place allowed. */
void tml_relu_f32(const float *in, float *out, int32_t n);
void tml_relu6_f32(const float *in, float *out, int32_t n);
void tml_leaky_relu_f32(float alpha, const float *in, float *out, int32_t n);
void tml_hard_swish_f32(const float *in, float *out, int32_t n);

/* float_math.c: LOGISTIC (TFLM's cutoffs, expf) and TANH (tanhf). */
void tml_logistic_f32(const float *in, float *out, int32_t n);
void tml_tanh_f32(const float *in, float *out, int32_t n);

/* softmax_f32.c: `outer` rows of `depth` values; beta as float32 (TFLM casts its double back). */
typedef struct {
  int32_t outer;
  int32_t depth;
  float beta;
} tml_softmax_f32_params;

void tml_softmax_f32(const tml_softmax_f32_params *p, const float *in, float *out);

/* mean_f32.c: MEAN's loops (tml_mean_params, quantization fields unused), the float sum in input
 * order divided by (float)count, the number of reduced elements. */
void tml_mean_f32(const tml_mean_params *p, const float *input, float *output, int32_t count);

/* ==== int16 FULLY_CONNECTED, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D, SOFTMAX (issue 12 §2) ==== */

/* FULLY_CONNECTED, int16 activations x int8 weights (fully_connected_16x8.c). weights: in the
 * layout of tml_dot.h's tml_dot4_rows_s16x8 (ops/fully_connected_16x8.py s16x8_rows: each row's
 * quads as (w0, w2, w1, w3), rows in groups of four with their quads interleaved; same byte
 * count). bias may be NULL (it carries the input zero point folded in). */
typedef struct {
  int32_t batches, accum_depth, output_depth;
  int32_t output_offset, act_min, act_max;
  const int32_t *multiplier; /* [output_depth], or [1] when channel_mask is 0 */
  const int32_t *shift;      /* [output_depth], or [1] when channel_mask is 0 */
  int32_t channel_mask;      /* -1: per-channel; 0: per-tensor */
} tml_fc16x8_params;

/* _acc64: int64 accumulator, 64-bit rescale (int64 bias); _acc32: TFLM's wrapping int32
 * accumulator and 32-bit rescale (int32 bias). */
void tml_fully_connected_s16x8_acc64(const tml_fc16x8_params *p, const int16_t *input, const int8_t *weights,
                                     const int64_t *bias, int16_t *output);
void tml_fully_connected_s16x8_acc32(const tml_fc16x8_params *p, const int16_t *input, const int8_t *weights,
                                     const int32_t *bias, int16_t *output);

/* DEPTHWISE_CONV_2D 16x8 (depthwise_conv2d_16x8.c): TFLM DepthwiseConvPerChannel(int16) with its
 * int64 accumulator and bias, zero points 0. weights [filter_h][filter_w][out_ch]; bias may be NULL. */
typedef struct {
  int32_t batches, in_h, in_w, in_ch;
  int32_t out_h, out_w, out_ch, depth_multiplier;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_h, pad_w;
  int32_t act_min, act_max;
  const int32_t *multiplier; /* [out_ch], or [1] when channel_mask is 0 */
  const int32_t *shift;      /* [out_ch], or [1] when channel_mask is 0 */
  int32_t channel_mask;      /* -1: per-channel; 0: per-tensor */
} tml_dwconv16x8_params;

void tml_depthwise_conv2d_s16x8(const tml_dwconv16x8_params *p, const int16_t *input, const int8_t *filter,
                                const int64_t *bias, int16_t *output);

/* AVERAGE_POOL_2D / MAX_POOL_2D int16 (pool2d_s16.c), geometry as tml_pool_params. */
void tml_average_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output);
void tml_max_pool2d_s16(const tml_pool_params *p, const int16_t *input, int16_t *output);

/* SOFTMAX int16 -> int16 (softmax_s16.c): TFLM SoftmaxInt16. Both 513-entry tables are TFLM's
 * LUTPopulate<int16_t> of exp on [-10, 0] and 1 / (1 + x) on [0, 1], computed at generation time. */
typedef struct {
  const int16_t *exp_lut;                 /* [513] */
  const int16_t *one_over_one_plus_x_lut; /* [513] */
  int32_t input_multiplier, input_shift;  /* QuantizeMultiplier(in_scale * beta / (10 / 65535)) */
  int32_t outer, depth;
} tml_softmax_s16_params;

void tml_softmax_s16_s16(const tml_softmax_s16_params *p, const int16_t *input, int16_t *output);

/* ---- DEPTHWISE_CONV_2D of one input channel (depthwise_conv2d.c; issue 12 section 3) ---------
 * tml_dwconv_s8_params with in_c 1 and out_c a multiple of 4 (the depth multiplier): weights per
 * group of four channels as (k_h * k_w) / 4 steps of [4 channels][4 weights] (taps in [k_h][k_w]
 * order), then (k_h * k_w) % 4 steps of [4 channels]; pad_row is the one byte of the input zero
 * point (always set). `window` is scratch of k_h * k_w bytes, or NULL when k_h * k_w <=
 * TML_DW_STACK_WINDOW (then on the stack). */
#define TML_DW_STACK_WINDOW 256
void tml_depthwise_conv2d_s8_single(const tml_dwconv_s8_params *p, const int8_t *input, int8_t *output, int8_t *window);

/* ==== Signal library stateful ops (sigB; issue 12 section 2) ====================================
 * TFLM's micro_speech preprocessor ops that keep state between invokes (signal_framer.c,
 * signal_delay.c, signal_stacker.c, signal_overlap_add.c, signal_filter_bank_spectral_subtraction.c).
 * TFLM keeps that state in persistent arena buffers set up by Init/Prepare; aot keeps it in static
 * arrays the generated model declares (Program.states, outside the arena), which the params below
 * point at. The model's init() calls each op's *_reset, which leaves the state as TFLM's
 * Init/Prepare (and Reset) do; invoke() then carries it from one call to the next. */

/* SignalFramer (int16): per channel (`outer` of them), `frames` frames per invoke; each appends
 * frame_step input samples to the channel's FIFO and, once it holds frame_size samples, outputs them
 * and drops frame_step. *valid is 0 when some frame had too few samples (its output left as is, as
 * TFLM leaves it). Prefill: the reset puts frame_size - frame_step zeros in each FIFO. */
typedef struct {
  int32_t outer, frames, frame_size, frame_step;
  int32_t capacity; /* FIFO samples per channel: frame_size rounded up to a multiple of frame_step */
  int32_t prefill;  /* zeros the reset puts in each FIFO */
  int32_t *cursors; /* state [outer][2]: read position, samples held */
  int16_t *samples; /* state [outer][2 * capacity] (tml_ring16.h) */
} tml_signal_framer_params;

void tml_signal_framer_reset(const tml_signal_framer_params *p);
void tml_signal_framer(const tml_signal_framer_params *p, const int16_t *input, int16_t *output, uint8_t *valid);

/* SignalDelay (int16): each of `outer` channels of `frame` samples comes out `delay` samples later;
 * the last `delay` samples of each channel wait in `line` (zeros after reset). */
typedef struct {
  int32_t outer, frame, delay;
  int16_t *line; /* state [outer][delay]; NULL when delay is 0 */
} tml_signal_delay_params;

void tml_signal_delay_reset(const tml_signal_delay_params *p);
void tml_signal_delay(const tml_signal_delay_params *p, const int16_t *input, int16_t *output);

/* SignalStacker (int16): each invoke appends one frame of `channels` samples (the first frame after
 * reset left_context + 1 times) to a FIFO of `size` = channels * (left + right + 1) samples; when it
 * is full, outputs all of it and drops `step` = channels * stacker_step samples; *valid says whether
 * it output (the output is left as is otherwise, as TFLM leaves it). */
typedef struct {
  int32_t channels, size, step, left_context;
  int32_t *cursor;  /* state [3]: read position, samples held, first frame seen */
  int16_t *samples; /* state [2 * size] (tml_ring16.h) */
} tml_signal_stacker_params;

void tml_signal_stacker_reset(const tml_signal_stacker_params *p);
void tml_signal_stacker(const tml_signal_stacker_params *p, const int16_t *input, int16_t *output, uint8_t *valid);

/* SignalOverlapAdd (int16 saturating, float32): per channel, each of `frames` input frames of
 * frame_size samples is added to the channel's buffer; its first frame_step samples are output and
 * shifted out (zeros come in). */
typedef struct {
  int32_t outer, frames, frame_size, frame_step;
  int16_t *buffers; /* state [outer][frame_size] */
} tml_signal_overlap_add_s16_params;

typedef struct {
  int32_t outer, frames, frame_size, frame_step;
  float *buffers; /* state [outer][frame_size] */
} tml_signal_overlap_add_f32_params;

void tml_signal_overlap_add_s16_reset(const tml_signal_overlap_add_s16_params *p);
void tml_signal_overlap_add_s16(const tml_signal_overlap_add_s16_params *p, const int16_t *input, int16_t *output);
void tml_signal_overlap_add_f32_reset(const tml_signal_overlap_add_f32_params *p);
void tml_signal_overlap_add_f32(const tml_signal_overlap_add_f32_params *p, const float *input, float *output);

/* SignalFilterBankSpectralSubtraction (uint32): per channel a low-pass noise estimate (state, zeros
 * after reset; even channels use smoothing, odd ones the alternate pair) is subtracted from the
 * signal, never below min_signal_remaining of it; the estimate is also an output. */
typedef struct {
  int32_t channels;
  uint32_t smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing;
  uint32_t min_signal_remaining;
  int32_t smoothing_bits;            /* 0..31 */
  int32_t spectral_subtraction_bits; /* 0..63 */
  int32_t clamping;                  /* the estimate follows a signal that drops below it */
  uint32_t *noise;                   /* state [channels] */
} tml_signal_spectral_subtraction_params;

void tml_signal_spectral_subtraction_reset(const tml_signal_spectral_subtraction_params *p);
void tml_signal_spectral_subtraction(const tml_signal_spectral_subtraction_params *p, const uint32_t *input,
                                     uint32_t *output, uint32_t *noise_estimate);
/* ==== end of Signal library stateful ops (sigB) ================================================= */

/* ==== TFLM Signal library ops (issue 12 section 2; kernels/signal_*.c) ========================
 * The custom ops of TFLM's audio front end (signal/micro/kernels), bit-exact with its reference
 * code; parameters come from the op's FlexBuffer options and constant inputs, checked at build time. */

/* SignalWindow: out[i] = saturate_int16((in[i] * window[i % size]) >> shift), frames of `size`. */
void tml_signal_window_s16(const int16_t *input, const int16_t *window, int16_t *output, int32_t frames, int32_t size,
                           int32_t shift);

/* SignalEnergy: out[i] = re^2 + im^2 of complex bin i (interleaved int16 pairs) for start <= i < end,
 * in uint32 (2 * 32768^2 wraps to 2^31 exactly as TFLM's int32 sum read as uint32); the other outputs,
 * which TFLM leaves unwritten, are 0. */
void tml_signal_energy(const int16_t *input, uint32_t *output, int32_t size, int32_t start, int32_t end);

/* SignalFilterBank: channel c (0..num_channels, c = 0 only feeds channel 1) sums weights[ws + j] and
 * unweights[ws + j] times input[fs + j] for j < width, in uint64 with int16 weights sign-extended
 * (wrapping as TFLM's uint64 arithmetic); output[c - 1] = weighted(c) + unweighted(c - 1). Tables hold
 * num_channels + 1 entries; out_count <= num_channels. Bounds are checked at build time. */
typedef struct {
  const int16_t *weights, *unweights;
  const int16_t *freq_starts, *weight_starts, *widths;
  int32_t num_channels, out_count;
} tml_signal_filter_bank_params;

void tml_signal_filter_bank(const tml_signal_filter_bank_params *p, const uint32_t *input, uint64_t *output);
/* The same when no weight or unweight is negative (read as uint16). */
void tml_signal_filter_bank_unsigned(const tml_signal_filter_bank_params *p, const uint32_t *input, uint64_t *output);

/* SignalFilterBankSquareRoot: out[i] = rounded sqrt(in[i]) >> scale_bits (TFLM's Sqrt64: digit-by-digit
 * floor, +1 when the remainder exceeds the root, except at 0xFFFF below 2^32 and 0xFFFFFFFF above). */
void tml_signal_filter_bank_sqrt(const uint64_t *input, uint32_t *output, int32_t n, int32_t scale_bits);
/* The same with scale_bits read from its int32 tensor at run time; returns 1 (nothing written) when it is
 * outside 0..31 (audio: TFLM's preprocessor computes it with SignalFftAutoScale). */
int32_t tml_signal_filter_bank_sqrt_run_time_bits(const uint64_t *input, uint32_t *output, int32_t n,
                                                  const int32_t *scale_bits);

/* SignalFilterBankLog: out[i] = min(Log32(in[i] << correction_bits, output_scale), 32767), 0 for
 * values <= 1; `lut` is the 130-entry log2 correction table (ops/signal_filter_bank_log.py). */
void tml_signal_filter_bank_log(const uint32_t *input, int16_t *output, int32_t n, uint32_t output_scale,
                                int32_t correction_bits, const uint16_t *lut);

/* SignalFftAutoScale: shift every sample left by the headroom of TFLM's running max |x| (int16; see
 * signal_fft_auto_scale.c for its -32768 quirk); *shift receives the shift. */
void tml_signal_fft_auto_scale(const int16_t *input, int16_t *output, int32_t *shift, int32_t n);

/* SignalPCAN: out[i] = shrink((in[i] * gain(noise[i])) >> snr_shift), gain from the constant
 * 125-entry (or longer) lut by TFLM's WideDynamicFunction. */
void tml_signal_pcan(const uint32_t *input, const uint32_t *noise, const int16_t *gain_lut, uint32_t *output, int32_t n,
                     int32_t snr_shift);

/* ---- int32 ADD, SUB and MUL (add_s32.c; issue 12 section 2: TF while-loop counters) --------
 * Wrapping int32 sum / difference / product clamped to [act_min, act_max] (ADD: the whole int32
 * range). */
typedef struct {
  int32_t act_min, act_max;
} tml_arith_s32_params;

void tml_add_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out);
void tml_sub_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out);
void tml_mul_s32(const tml_arith_s32_params *p, const tml_broadcast *shape, const int32_t *in1, const int32_t *in2,
                 int32_t *out);

/* ==== SignalRfft / SignalIrfft (aotfft; issue 12 section 2; kernels/signal_rfft.c) =================
 * kissfft v130's real FFT as TFLM computes it (include/tml_kissfft_template.h). All tables come from
 * the build (ops/_kissfft_plan.py): n = fft_length / 2 complex points; `stage` holds (radix, m,
 * fstride) per stage, outermost first; `order` the first pass's input index per position; twiddles
 * n and super_twiddles n / 2 complex values (interleaved re, im) of the sample type (int16_t, int32_t
 * or float; inverse ones for the irfft). scratch: n complex samples. Rfft: `frames` frames of in_len
 * samples (zero-padded to 2 n) -> n + 1 complex bins each; Irfft: n + 1 bins -> 2 n samples. */
typedef struct {
  int32_t n, stages;
  const int32_t *stage;
  const uint16_t *order;
  const void *twiddles;
  const void *super_twiddles;
  int32_t inverse, frames, in_len;
} tml_signal_fft_params;
void tml_signal_rfft_s16(const tml_signal_fft_params *p, const int16_t *input, int16_t *output, uint8_t *scratch);
void tml_signal_irfft_s16(const tml_signal_fft_params *p, const int16_t *input, int16_t *output, uint8_t *scratch);
void tml_signal_rfft_s32(const tml_signal_fft_params *p, const int32_t *input, int32_t *output, uint8_t *scratch);
void tml_signal_irfft_s32(const tml_signal_fft_params *p, const int32_t *input, int32_t *output, uint8_t *scratch);
void tml_signal_rfft_f32(const tml_signal_fft_params *p, const float *input, float *output, uint8_t *scratch);
void tml_signal_irfft_f32(const tml_signal_fft_params *p, const float *input, float *output, uint8_t *scratch);
/* ==== end of SignalRfft / SignalIrfft (aotfft) ====================================================== */

/* ==== CAST to and from uint32 (audio; cast_u32.c) ===========================================
 * TFLM's static_cast per element, n elements: uint32 -> int8, int16, float32 and int8, int16,
 * float32, bool -> uint32 (int32 <-> uint32 and uint32 -> uint32 are aliases, ops/cast.py). Integer
 * casts modulo 2^n; float -> uint32 truncates and
 * saturates to 0..UINT32_MAX, NaN -> 0 (undefined in TFLM's C++; see cast_u32.c). */
void tml_cast_u32_s8(int32_t n, const uint32_t *in, int8_t *out);
void tml_cast_u32_s16(int32_t n, const uint32_t *in, int16_t *out);
void tml_cast_u32_f32(int32_t n, const uint32_t *in, float *out);
void tml_cast_s8_u32(int32_t n, const int8_t *in, uint32_t *out);
void tml_cast_s16_u32(int32_t n, const int16_t *in, uint32_t *out);
void tml_cast_b_u32(int32_t n, const uint8_t *in, uint32_t *out);
void tml_cast_f32_u32(int32_t n, const float *in, uint32_t *out);
/* ==== end of CAST uint32 (audio) ==================================================================== */

/* ==== TFLite_Detection_PostProcess (detpp; issue 12) ===============================================
 * SSD box decoding + non-max suppression, TFLM's kernels/detection_postprocess.cc, float32 only (as
 * TFLM's kernel): boxes [1][num_boxes][box_stride], scores [1][num_boxes][classes_with_background],
 * constant anchors [num_boxes][4] (y, x, h, w). The decode computes in double with exp(), as TFLM
 * does. Scratch: `scratch_bytes` arena bytes laid out at the offsets below (ops/detection_postprocess.py
 * sizes them from the shapes). Returns 1, having written no output, when a decoded box is empty or
 * inverted (TFLM's ValidateBoxes fails the invoke), else 0. Fast NMS zeroes its `slots` output
 * entries first: TFLM writes only the detections it finds and leaves whatever bytes its arena held in
 * the rest (unspecified; aot makes them 0, as regular NMS writes them). */
typedef struct {
  int32_t num_boxes, box_stride, num_classes, classes_with_background;
  int32_t max_detections;
  int32_t use_regular_nms;
  int32_t detections_per_class;  /* regular NMS: most boxes one class keeps */
  int32_t categories_per_anchor; /* fast NMS: min(max_classes_per_detection, num_classes) */
  int32_t slots;                 /* fast NMS: entries it may write, zeroed first */
  float score_threshold, iou_threshold;
  float y_scale, x_scale, h_scale, w_scale;
  const float *anchors;
  /* scratch byte offsets: decoded boxes, per-box scores, kept scores / box indices, sort order,
   * candidate flags, selected boxes; regular NMS: candidate indices / scores, their top order;
   * fast NMS: each box's top class indices */
  uint32_t decoded, box_scores, keep_scores, keep_indices, sorted, active, selected;
  uint32_t candidate_indices, candidate_scores, top, top_indices, top_scores, class_top;
} tml_detection_postprocess_params;

int32_t tml_detection_postprocess(const tml_detection_postprocess_params *p, const float *boxes, const float *scores,
                                  void *scratch, float *detection_boxes, float *detection_classes,
                                  float *detection_scores, float *num_detections);
/* (double)x / (double)s exactly as IEEE division rounds it, in a few 32-bit integer divisions (the
 * decode's divisions on cores without a double FPU); exported for its test. */
double tml_detection_divide(float x, float s);
/* ==== end of TFLite_Detection_PostProcess (detpp) ================================================= */

/* ==== CIRCULAR_BUFFER (circ; issue 12; kernels/circular_buffer.c) ================================
 * TFLM's streaming window: each invoke appends one frame of `depth` int8 values to the last `slots`
 * frames (ring: state [slots][depth], zeros after reset) and counts down from cycles_max (cursor:
 * state [2], the oldest slot and the invokes left). Returns 0 when the op runs (output: the window,
 * oldest frame first), 1 when it does not yet (the model's invoke() then returns TML_NOT_READY, as
 * TFLM's returns kTfLiteAbort). */
typedef struct {
  int32_t slots, depth, cycles_max;
  int8_t *ring;
  int32_t *cursor;
} tml_circular_buffer_s8_params;
void tml_circular_buffer_s8_reset(const tml_circular_buffer_s8_params *p);
int32_t tml_circular_buffer_s8(const tml_circular_buffer_s8_params *p, const int8_t *input, int8_t *output);
/* ==== end of CIRCULAR_BUFFER (circ) ================================================================= */

#ifdef __cplusplus
}
#endif

#endif /* TML_KERNELS_H */
