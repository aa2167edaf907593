"""Random instances of the windowed and matmul ops for the generated-case aot tests
(test_aot_ops_generated_window.py): CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV,
AVERAGE_POOL_2D, MAX_POOL_2D and BATCH_MATMUL.

Each adder(builder, rng, dtype, n) appends one op with its own graph input(s) and returns
(inputs, outputs), as aot_op_cases.random_model expects. What is drawn, and why:
- shapes: 1-element tensors, channel counts that are not multiples of 4 (the SIMD tails) and
  some of 16..40 (their whole blocks), batches,
  grouped convolutions, filters larger than the input (SAME), strides and dilations up to 3;
- scales over wide ranges, placed so that the effective output multiplier is usually where the
  outputs spread over the type's range, sometimes tiny (shift below -31: TFLM's multiplier is 0),
  sometimes above 1 (a left shift), sometimes exactly a power of two;
- zero points at the extremes (-128, 127) as often as in between; symmetric (0) where TFLM
  requires it (int16 activations, weights);
- per-tensor and per-channel weights, with or without bias, every fused activation TFLM
  quantizes, weights occasionally all at one extreme (the largest accumulators).
"""

import numpy as np

from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.quantization import compute_padding

BUILTIN = fb.BuiltinOperator
PADDINGS = (fb.Padding.SAME, fb.Padding.VALID)
PADDING_NAMES = {fb.Padding.SAME: "SAME", fb.Padding.VALID: "VALID"}
ACT = fb.ActivationFunctionType
ACTIVATIONS = (ACT.NONE, ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1)
INT_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}
# an accumulator's typical spread per sqrt(depth), for uniform random inputs and weights
ACC_SPREAD = {"int8": 74.0 * 73.0, "int16": 18900.0 * 73.0}
HALF_RANGE = {"int8": 60.0, "int16": 15000.0}


def log_uniform(rng, lo: float, hi: float) -> float:
    return float(10 ** rng.uniform(np.log10(lo), np.log10(hi)))


def zero_point(rng, dtype: str) -> int:
    """int8: an extreme as often as not; int16: 0 (TFLM's int16 kernels require it)."""
    if dtype != "int8":
        return 0
    r = rng.random()
    return -128 if r < 0.2 else 127 if r < 0.3 else int(rng.integers(-128, 128))


def effective_multiplier(rng, dtype: str, depth: int) -> float:
    """input_scale * weight_scale / output_scale: mostly where outputs spread over the range,
    8 % tiny (TFLM's QuantizeMultiplier gives 0), 12 % above 1 (up to a left shift of 3, or 1 for int16
    whose int32 accumulators are larger)."""
    r = rng.random()
    if r < 0.08:
        return log_uniform(rng, 1e-13, 1e-9)
    if r < 0.2:
        return float(rng.uniform(1.0, 7.9 if dtype == "int8" else 1.9))
    typical = HALF_RANGE[dtype] / (ACC_SPREAD[dtype] * np.sqrt(max(depth, 1)))
    return typical * log_uniform(rng, 0.05, 8.0)


def weights(rng, shape) -> np.ndarray:
    """int8 weights over the full range; 5 % of the time all at one extreme."""
    r = rng.random()
    if r < 0.05:
        return np.full(shape, -128 if r < 0.025 else 127, np.int8)
    return rng.integers(-128, 128, size=shape).astype(np.int8)


def weight_scales(rng, channels: int, per_channel: bool, reference: float) -> list[float]:
    if not per_channel:
        return [reference]
    return [reference * log_uniform(rng, 0.2, 5.0) for _ in range(channels)]


def activation(rng, out_scale: float | None = None) -> int:
    """A fused activation; RELU where RELU6's or RELU_N1_TO_1's bound over `out_scale` would not fit
    int32 (TFLM refuses such a model: test_fused_activation_bound_beyond_int32_is_refused_as_tflm_does)."""
    drawn = int(ACTIVATIONS[int(rng.integers(0, len(ACTIVATIONS)))])
    if out_scale is not None and drawn in (ACT.RELU6, ACT.RELU_N1_TO_1) and 6.0 / out_scale >= 2.0 ** 31:
        return int(ACT.RELU)
    return drawn


def conv_quantization(rng, dtype: str, depth: int, channels: int, per_channel: bool):
    """(input (scale, zp), weight scales, output (scale, zp)) of a conv-like op."""
    in_scale = log_uniform(rng, 1e-4, 1.0) if dtype == "int8" else log_uniform(rng, 1e-5, 1e-2)
    w_ref = log_uniform(rng, 1e-4, 0.1)
    out_scale = in_scale * w_ref / effective_multiplier(rng, dtype, depth)
    w_scales = weight_scales(rng, channels, per_channel, w_ref)
    if rng.random() < 0.08:  # powers of two: multipliers of exactly 2^k (QuantizeMultiplier's q = 2^30)
        in_scale, out_scale, *w_scales = (float(2.0 ** np.round(np.log2(v))) for v in [in_scale, out_scale, *w_scales])
    return (in_scale, zero_point(rng, dtype)), w_scales, (out_scale, zero_point(rng, dtype))


def bias_tensor(b, rng, name, dtype, in_scale, w_scales, channels, depth: int, activations: str = "int8"):
    """A bias of `dtype` with TFLM's expected scales (input * weight scale per channel): values of the
    accumulators' size (so outputs still spread), 10 % of the time large ones (2^24, or 2^40 in int64)."""
    scales = [in_scale * s for s in (w_scales if len(w_scales) > 1 else w_scales * channels)]
    limit = 2 * ACC_SPREAD[activations] * np.sqrt(depth)
    if rng.random() < 0.1:
        limit = {"int32": 1 << 24, "int64": 1 << 40, "int16": 1 << 15}[dtype]
    limit = min(limit, {"int32": 1 << 30, "int64": 1 << 62, "int16": 1 << 15}[dtype])
    data = rng.integers(-int(limit), int(limit), size=channels).astype(dtype)
    return b.tensor(name, dtype, [channels], data=data, scale=scales, zero_point=[0] * channels)


def dim(rng, hi: int) -> int:
    """A size in 1..hi, 1 more often than uniform (1-element tensors and rows)."""
    return 1 if rng.random() < 0.15 else int(rng.integers(1, hi + 1))


def channels(rng, hi: int) -> int:
    """A channel count: dim(rng, hi), or 16..40 one time in seven (the SIMD kernels' whole blocks)."""
    return int(rng.integers(16, 41)) if rng.random() < 0.15 else dim(rng, hi)


def window_geometry(rng, h, w, k_h, k_w, dilation: bool = True):
    """(strides, dilations, padding, out_h, out_w); VALID only where the dilated filter fits."""
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) if dilation and rng.random() < 0.3 else (1, 1)
    padding = PADDINGS[int(rng.integers(0, 2))]
    if (k_h - 1) * dil[0] + 1 > h or (k_w - 1) * dil[1] + 1 > w:
        padding = fb.Padding.SAME
    name = PADDING_NAMES[padding]
    out_h = compute_padding(name, h, k_h, stride[0], dil[0]).out_size
    out_w = compute_padding(name, w, k_w, stride[1], dil[1]).out_size
    return stride, dil, padding, out_h, out_w


def bias_16x8(rng, depth: int, options) -> str | None:
    """The bias type of a 16x8 op (int64, int32 or none): the int32 accumulator (an int32 bias, or none with
    quantized_bias_type INT32) only on small windows, where TFLM's int32 sums cannot overflow."""
    if depth > 24:
        return ["int64", None][int(rng.integers(0, 2))]
    kind = ["int64", "int64", "int32", None][int(rng.integers(0, 4))]
    if kind is None and rng.random() < 0.5:
        options.quantizedBiasType = 2  # TensorType INT32
    return kind


# --- CONV_2D -----------------------------------------------------------------------------------


def add_conv2d(b, rng, dtype, n):
    """int8 (per-channel or per-tensor, any groups) or 16x8 (int64/int32/no bias); float32: float_conv2d."""
    if dtype == "float32":
        return float_conv2d(b, rng, n)
    batches = 1 if rng.random() < 0.7 else 2
    h, w = dim(rng, 9), dim(rng, 9)
    groups = int(rng.integers(2, 4)) if rng.random() < 0.2 else 1
    filter_in_c = dim(rng, 7) if groups > 1 else channels(rng, 7)
    in_c = filter_in_c * groups
    out_c = groups * dim(rng, 6) if groups > 1 else channels(rng, 13)
    k_h, k_w = (1, 1) if rng.random() < 0.25 else (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride, dil, padding, out_h, out_w = window_geometry(rng, h, w, k_h, k_w)
    per_channel = rng.random() < 0.6
    depth = k_h * k_w * filter_in_c
    (in_s, in_zp), w_scales, (out_s, out_zp) = conv_quantization(rng, dtype, depth, out_c, per_channel)
    x = b.tensor(f"x{n}", dtype, [batches, h, w, in_c], scale=in_s, zero_point=in_zp)
    wt = b.tensor(f"w{n}", "int8", [out_c, k_h, k_w, filter_in_c], data=weights(rng, (out_c, k_h, k_w, filter_in_c)),
                  scale=w_scales, zero_point=[0] * len(w_scales))
    inputs = [x, wt]
    options = fb.Conv2DOptionsT()
    bias_kind = ["int32", None][int(rng.random() < 0.2)]
    if dtype == "int16":
        # the int32 accumulator (int32 bias, or none with quantized_bias_type INT32) only on small windows,
        # where TFLM's int32 sums cannot overflow
        bias_kind = ["int64", "int64", "int32", None][int(rng.integers(0, 4))] if depth <= 24 else \
            ["int64", None][int(rng.integers(0, 2))]
        if bias_kind is None and depth <= 24 and rng.random() < 0.5:
            options.quantizedBiasType = 2  # TensorType INT32
    if bias_kind is not None:
        inputs.append(bias_tensor(b, rng, f"b{n}", bias_kind, in_s, w_scales, out_c, depth, dtype))
    y = b.tensor(f"y{n}", dtype, [batches, out_h, out_w, out_c], scale=out_s, zero_point=out_zp)
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.fusedActivationFunction = activation(rng, out_s)
    b.op(b.opcode(BUILTIN.CONV_2D, version=4 if dtype == "int16" else 3), inputs, [y],
         fb.BuiltinOptions.Conv2DOptions, options)
    return [x], [y]


# --- DEPTHWISE_CONV_2D -------------------------------------------------------------------------


def add_depthwise_conv2d(b, rng, dtype, n):
    """int8 or 16x8, depth multipliers 1-3, one input channel (int8: lowered to the CONV_2D kernel) 20 % of the
    time; float32: float_depthwise_conv2d."""
    if dtype == "float32":
        return float_depthwise_conv2d(b, rng, n)
    batches = 1 if rng.random() < 0.75 else 2
    h, w = dim(rng, 9), dim(rng, 9)
    in_c = 1 if rng.random() < 0.2 else channels(rng, 11)
    multiplier = 1 if rng.random() < 0.6 else int(rng.integers(2, 4))
    out_c = in_c * multiplier
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride, dil, padding, out_h, out_w = window_geometry(rng, h, w, k_h, k_w)
    per_channel = rng.random() < 0.6
    (in_s, in_zp), w_scales, (out_s, out_zp) = conv_quantization(rng, dtype, k_h * k_w, out_c, per_channel)
    x = b.tensor(f"x{n}", dtype, [batches, h, w, in_c], scale=in_s, zero_point=in_zp)
    wt = b.tensor(f"w{n}", "int8", [1, k_h, k_w, out_c], data=weights(rng, (1, k_h, k_w, out_c)),
                  scale=w_scales, zero_point=[0] * len(w_scales), axis=3)
    # always a bias: TFLM's reference kernel DCHECKs one (converters always write one); 16x8 reads it as int64
    inputs = [x, wt, bias_tensor(b, rng, f"b{n}", "int64" if dtype == "int16" else "int32", in_s, w_scales, out_c,
                                 k_h * k_w, dtype)]
    y = b.tensor(f"y{n}", dtype, [batches, out_h, out_w, out_c], scale=out_s, zero_point=out_zp)
    options = fb.DepthwiseConv2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.depthMultiplier = multiplier
    options.fusedActivationFunction = activation(rng, out_s)
    b.op(b.opcode(BUILTIN.DEPTHWISE_CONV_2D, version=5 if dtype == "int16" else 3), inputs, [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    return [x], [y]


# --- FULLY_CONNECTED ---------------------------------------------------------------------------


def fully_connected(b, rng, dtype, n, depth, units, lead, keep_num_dims, per_channel, with_bias):
    """One FULLY_CONNECTED of input lead + [depth] to `units` (lead kept, or flattened to batches)."""
    in_shape = list(lead) + [depth]
    batches = int(np.prod(lead)) if lead else 1
    out_shape = list(lead) + [units] if keep_num_dims else [batches, units]
    options = fb.FullyConnectedOptionsT()
    options.keepNumDims = keep_num_dims
    options.fusedActivationFunction = activation(rng)
    if dtype == "float32":
        x = b.tensor(f"x{n}", dtype, in_shape)
        wt = b.tensor(f"w{n}", dtype, [units, depth], data=rng.uniform(-1, 1, (units, depth)).astype(np.float32))
        inputs = [x, wt]
        if with_bias:
            inputs.append(b.tensor(f"b{n}", dtype, [units], data=rng.uniform(-4, 4, units).astype(np.float32)))
        y = b.tensor(f"y{n}", dtype, out_shape)
    else:
        (in_s, in_zp), w_scales, (out_s, out_zp) = conv_quantization(rng, dtype, depth, units, per_channel)
        if dtype == "int16" and rng.random() < 0.15:  # TFLM's int16 FC applies zero points (converters write 0)
            in_zp, out_zp = int(rng.integers(-300, 301)), int(rng.integers(-300, 301))
        if options.fusedActivationFunction in (ACT.RELU6, ACT.RELU_N1_TO_1) and 6.0 / out_s >= 2.0 ** 31:
            options.fusedActivationFunction = ACT.RELU  # as activation(rng, out_s): TFLM would refuse the model
        x = b.tensor(f"x{n}", dtype, in_shape, scale=in_s, zero_point=in_zp)
        wt = b.tensor(f"w{n}", "int8", [units, depth], data=weights(rng, (units, depth)), scale=w_scales,
                      zero_point=[0] * len(w_scales))
        inputs = [x, wt]
        bias_kind = "int32" if with_bias else None
        if dtype == "int16":
            bias_kind = bias_16x8(rng, depth, options) if with_bias else None
        if bias_kind is not None:
            inputs.append(bias_tensor(b, rng, f"b{n}", bias_kind, in_s, w_scales, units, depth, dtype))
        y = b.tensor(f"y{n}", dtype, out_shape, scale=out_s, zero_point=out_zp)
    b.op(b.opcode(BUILTIN.FULLY_CONNECTED, version=9 if keep_num_dims else 4), inputs, [y],
         fb.BuiltinOptions.FullyConnectedOptions, options)
    return [x], [y]


def add_fully_connected(b, rng, dtype, n):
    """int8 or 16x8 (per-tensor or per-channel) or float32; depth up to 70, batched and higher-rank inputs."""
    depth, units = dim(rng, 70), channels(rng, 20)
    rank = int(rng.integers(1, 4))
    lead = [dim(rng, 3) for _ in range(rank - 1)] if rank > 1 else [1]
    return fully_connected(b, rng, dtype, n, depth, units, lead, bool(rng.random() < 0.4),
                           per_channel=bool(rng.random() < 0.5), with_bias=bool(rng.random() < 0.75))


# --- TRANSPOSE_CONV ----------------------------------------------------------------------------


def add_transpose_conv(b, rng, dtype, n):
    """int8 (int32 bias or none) or 16x8 (int64, int16 or no bias); output sizes TFLM's converter makes
    and, 20 % of the time, up to stride - 1 rows/columns fewer (SAME) or more (VALID); float32: float_transpose_conv."""
    if dtype == "float32":
        return float_transpose_conv(b, rng, n)
    batches = 1 if rng.random() < 0.75 else 2
    in_h, in_w = dim(rng, 6), dim(rng, 6)
    in_c, out_c = channels(rng, 9), channels(rng, 9)
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = PADDINGS[int(rng.integers(0, 2))]
    out_hw = []
    for size, k, s in zip((in_h, in_w), (k_h, k_w), stride):
        extra = int(rng.integers(0, s)) if rng.random() < 0.2 else 0
        out_hw.append(max(1, size * s - extra) if padding == fb.Padding.SAME else (size - 1) * s + k + extra)
    per_channel = rng.random() < 0.6
    taps = -(-k_h // stride[0]) * -(-k_w // stride[1]) * in_c
    (in_s, in_zp), w_scales, (out_s, out_zp) = conv_quantization(rng, dtype, taps, out_c, per_channel)
    out_shape = [batches, out_hw[0], out_hw[1], out_c]
    shape = b.tensor(f"shape{n}", "int32", [4], data=np.array(out_shape, np.int32))
    wt = b.tensor(f"w{n}", "int8", [out_c, k_h, k_w, in_c], data=weights(rng, (out_c, k_h, k_w, in_c)),
                  scale=w_scales, zero_point=[0] * len(w_scales))
    x = b.tensor(f"x{n}", dtype, [batches, in_h, in_w, in_c], scale=in_s, zero_point=in_zp)
    inputs = [shape, wt, x]
    kinds = ("int32", None) if dtype == "int8" else ("int64", "int16", None)
    bias_kind = kinds[int(rng.integers(0, len(kinds)))]
    if bias_kind is not None:
        inputs.append(bias_tensor(b, rng, f"b{n}", bias_kind, in_s, w_scales, out_c, taps, dtype))
    y = b.tensor(f"y{n}", dtype, out_shape, scale=out_s, zero_point=out_zp)
    options = fb.TransposeConvOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.fusedActivationFunction = activation(rng, out_s)
    b.op(b.opcode(BUILTIN.TRANSPOSE_CONV, version=3), inputs, [y], fb.BuiltinOptions.TransposeConvOptions, options)
    return [x], [y]


# --- AVERAGE_POOL_2D, MAX_POOL_2D --------------------------------------------------------------


def _pool(builtin, b, rng, dtype, n):
    """int8, int16 or float32 (no quantization); filters up to 6 (larger than the input under SAME: the
    edges average fewer taps), strides up to 3, channel counts up to 40 (the int16 kernels' channel blocks)."""
    batches = 1 if rng.random() < 0.75 else 2
    h, w, c = dim(rng, 9), dim(rng, 9), (channels(rng, 11) if dtype == "int16" else dim(rng, 11))
    f_h, f_w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    stride, _, padding, out_h, out_w = window_geometry(rng, h, w, f_h, f_w, dilation=False)
    scale, zp = (None, None) if dtype == "float32" else (log_uniform(rng, 1e-4, 1.0), zero_point(rng, dtype))
    if dtype == "int16" and rng.random() < 0.2:  # TFLM's int16 pooling accepts any (shared) zero point
        zp = int(rng.integers(-300, 301))
    x = b.tensor(f"x{n}", dtype, [batches, h, w, c], scale=scale, zero_point=zp)
    y = b.tensor(f"y{n}", dtype, [batches, out_h, out_w, c], scale=scale, zero_point=zp)
    options = fb.Pool2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.filterHeight, options.filterWidth = f_h, f_w
    options.fusedActivationFunction = activation(rng)
    b.op(b.opcode(builtin, version=2), [x], [y], fb.BuiltinOptions.Pool2DOptions, options)
    return [x], [y]


def add_average_pool2d(b, rng, dtype, n):
    return _pool(BUILTIN.AVERAGE_POOL_2D, b, rng, dtype, n)


def add_max_pool2d(b, rng, dtype, n):
    return _pool(BUILTIN.MAX_POOL_2D, b, rng, dtype, n)


# --- BATCH_MATMUL ------------------------------------------------------------------------------


def _matmul_constant(rng, dtype, shape):
    if dtype == "float32":
        return rng.uniform(-2, 2, size=shape).astype(np.float32)
    lo, hi = INT_RANGE[dtype]
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)


def add_batch_matmul(b, rng, dtype, n):
    """Ranks 2-5 with broadcast batch dimensions, adj_x/adj_y, a constant right-hand side 40 % of the
    time; int8 zero points anywhere in the range, multipliers tiny to above 1."""
    rank = int(rng.integers(2, 6))
    batch = [int(rng.integers(1, 4)) for _ in range(rank - 2)]
    a_batch = [d if rng.random() < 0.7 else 1 for d in batch][int(rng.integers(0, rank - 1)):]
    b_batch = [d if rng.random() < 0.7 else 1 for d in batch]
    if rng.random() < 0.3:
        b_batch = b_batch[int(rng.integers(0, rank - 1)):]
    out_batch = list(np.broadcast_shapes(tuple(a_batch), tuple(b_batch)))
    rows, cols, depth = dim(rng, 7), dim(rng, 7), dim(rng, 9)
    adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    a_shape = a_batch + ([depth, rows] if adj_x else [rows, depth])
    b_shape = b_batch + ([cols, depth] if adj_y else [depth, cols])
    quant = {}
    if dtype != "float32":
        sa = log_uniform(rng, 1e-4, 1.0) if dtype == "int8" else log_uniform(rng, 1e-5, 1e-2)
        sb = log_uniform(rng, 1e-4, 1.0) if dtype == "int8" else log_uniform(rng, 1e-5, 1e-2)
        # BATCH_MATMUL's right-hand side is an activation: its spread is the input type's, not int8 weights'
        spread = 1.0 if dtype == "int8" else 18900.0 / 73.0
        so = sa * sb / (effective_multiplier(rng, dtype, depth) / spread)
        quant = {name: (scale, zero_point(rng, dtype)) for name, scale in (("a", sa), ("b", sb), ("y", so))}
    sa, za = quant.get("a", (None, None))
    sb, zb = quant.get("b", (None, None))
    so, zo = quant.get("y", (None, None))
    x = b.tensor(f"a{n}", dtype, a_shape, scale=sa, zero_point=za)
    constant = rng.random() < 0.4
    w = b.tensor(f"b{n}", dtype, b_shape, scale=sb, zero_point=zb,
                 **({"data": _matmul_constant(rng, dtype, b_shape)} if constant else {}))
    y = b.tensor(f"y{n}", dtype, out_batch + [rows, cols], scale=so, zero_point=zo)
    options = fb.BatchMatMulOptionsT()
    options.adjX, options.adjY = adj_x, adj_y
    b.op(b.opcode(BUILTIN.BATCH_MATMUL), [x, w], [y], fb.BuiltinOptions.BatchMatMulOptions, options)
    return [x] if constant else [x, w], [y]


ADDERS = {
    "CONV_2D": add_conv2d,
    "DEPTHWISE_CONV_2D": add_depthwise_conv2d,
    "FULLY_CONNECTED": add_fully_connected,
    "TRANSPOSE_CONV": add_transpose_conv,
    "AVERAGE_POOL_2D": add_average_pool2d,
    "MAX_POOL_2D": add_max_pool2d,
    "BATCH_MATMUL": add_batch_matmul,
}


# --- boundary probes: accumulators around rounding boundaries ------------------------------------
#
# Random inputs meet a requantization multiplier that is off in its last bits about once in 10^5
# elements (issue 12: 1 % of an MLPerf FC model's vectors). These cases aim each output channel at
# one rounding boundary far out (accumulators of 2^28 to 2^30, where one unit of the multiplier moves
# the boundary by a quarter to a whole accumulator step): weights 1, a bias at the boundary, and an input
# (dense_inputs) whose 256 pixels per channel take every int8 value, so each channel's accumulators
# are the 256 consecutive integers around its boundary. A multiplier one unit off shows.

DENSE_UNITS = 64
DENSE_PIXELS = 256  # 16 x 16 (or 256 rows): one pixel per input value
PROBE_ACC = 1 << 28  # accumulator magnitude at the output range's ends (at most 2^30 per channel)


def _dense_quantization(rng, dtype, per_channel):
    in_scale = log_uniform(rng, 1e-3, 1.0) if dtype == "int8" else log_uniform(rng, 1e-5, 1e-2)
    w_ref = log_uniform(rng, 1e-4, 0.1)
    out_scale = in_scale * w_ref * PROBE_ACC / (INT_RANGE[dtype][1] * float(rng.uniform(0.5, 1.0)))
    in_zp = int(rng.integers(-128, 128)) if dtype == "int8" else 0
    out_zp = int(rng.integers(-20, 21)) if dtype == "int8" else 0
    w_scales = [w_ref * log_uniform(rng, 0.5, 1.0) for _ in range(DENSE_UNITS)] if per_channel else [w_ref]
    if not per_channel and rng.random() < 0.5:  # powers of two: a multiplier of exactly 2^k meets exact ties
        in_scale, w_ref = (float(2.0 ** np.round(np.log2(v))) for v in (in_scale, w_ref))
        w_scales = [w_ref]
        out_scale = float(2.0 ** np.ceil(np.log2(in_scale * w_ref * PROBE_ACC / INT_RANGE[dtype][1])))
    return (in_scale, in_zp), w_scales, (out_scale, out_zp)


def _dense_bias(b, name, bias_type, activations, in_q, w_scales, out_q):
    """Channel c's bias centres its accumulators (bias + x - input zero point, x over every int8 value)
    on the real boundary between two output levels; the levels spread over the output range."""
    (in_scale, in_zp), (out_scale, _) = in_q, out_q
    scales = w_scales if len(w_scales) > 1 else w_scales * DENSE_UNITS
    top = 0.78 * INT_RANGE[activations][1]  # room for the output zero point and the 0.5-1.0 range factor
    levels = np.round(np.linspace(-top, top, DENSE_UNITS))
    data = [round((level + 0.5) * out_scale / (in_scale * s)) + in_zp for level, s in zip(levels, scales)]
    return b.tensor(name, bias_type, [DENSE_UNITS], data=np.array(data, bias_type),
                    scale=[in_scale * s for s in scales], zero_point=[0] * DENSE_UNITS)


def add_dense(b, rng, op, dtype, n):
    """One `op` whose output channels each probe one rounding boundary (see above)."""
    per_channel = bool(rng.random() < 0.5)
    in_q, w_scales, out_q = _dense_quantization(rng, dtype, per_channel)
    (in_s, in_zp), (out_s, out_zp) = in_q, out_q
    wq = {"scale": w_scales, "zero_point": [0] * len(w_scales)}
    u = DENSE_UNITS
    int32_bias = dtype == "int8" or (op in ("CONV_2D", "FULLY_CONNECTED") and rng.random() < 0.5)  # 16x8: both
    bias = _dense_bias(b, f"b{n}", "int32" if int32_bias else "int64", dtype, in_q, w_scales, out_q)
    if op == "FULLY_CONNECTED":
        x = b.tensor(f"x{n}", dtype, [DENSE_PIXELS, 1], scale=in_s, zero_point=in_zp)
        w = b.tensor(f"w{n}", "int8", [u, 1], data=np.ones((u, 1), np.int8), **wq)
        y = b.tensor(f"y{n}", dtype, [DENSE_PIXELS, u], scale=out_s, zero_point=out_zp)
        b.op(b.opcode(BUILTIN.FULLY_CONNECTED, version=4), [x, w, bias], [y], fb.BuiltinOptions.FullyConnectedOptions,
             fb.FullyConnectedOptionsT())
        return [x], [y]
    if op == "DEPTHWISE_CONV_2D":
        x = b.tensor(f"x{n}", dtype, [1, 16, 16, u], scale=in_s, zero_point=in_zp)
        w = b.tensor(f"w{n}", "int8", [1, 1, 1, u], data=np.ones((1, 1, 1, u), np.int8), axis=3, **wq)
        y = b.tensor(f"y{n}", dtype, [1, 16, 16, u], scale=out_s, zero_point=out_zp)
        options = fb.DepthwiseConv2DOptionsT()
        options.padding, options.depthMultiplier = fb.Padding.VALID, 1
        options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
        b.op(b.opcode(BUILTIN.DEPTHWISE_CONV_2D, version=3), [x, w, bias], [y],
             fb.BuiltinOptions.DepthwiseConv2DOptions, options)
        return [x], [y]
    # CONV_2D and TRANSPOSE_CONV: a 1x1 filter, or a 3x3 one whose centre tap alone is 1 (the im2col path)
    k = 1 if op == "TRANSPOSE_CONV" or rng.random() < 0.5 else 3
    w_data = np.zeros((u, k, k, 1), np.int8)
    w_data[:, k // 2, k // 2, 0] = 1
    x = b.tensor(f"x{n}", dtype, [1, 16, 16, 1], scale=in_s, zero_point=in_zp)
    w = b.tensor(f"w{n}", "int8", [u, k, k, 1], data=w_data, **wq)
    y = b.tensor(f"y{n}", dtype, [1, 16, 16, u], scale=out_s, zero_point=out_zp)
    if op == "TRANSPOSE_CONV":
        shape = b.tensor(f"shape{n}", "int32", [4], data=np.array([1, 16, 16, u], np.int32))
        options = fb.TransposeConvOptionsT()
        options.padding, options.strideH, options.strideW = fb.Padding.VALID, 1, 1
        b.op(b.opcode(BUILTIN.TRANSPOSE_CONV, version=3), [shape, w, x, bias], [y],
             fb.BuiltinOptions.TransposeConvOptions, options)
        return [x], [y]
    options = fb.Conv2DOptionsT()
    options.padding = fb.Padding.SAME
    options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
    b.op(b.opcode(BUILTIN.CONV_2D, version=4 if dtype == "int16" else 3),
         [x, w, bias], [y], fb.BuiltinOptions.Conv2DOptions, options)
    return [x], [y]


def dense_inputs(model) -> list[np.ndarray]:
    """One run's inputs for add_dense models: the 256 pixels of each channel take every int8 value
    (channel c shifted by 37 c, so channels differ)."""
    arrays = []
    for index in model.main.inputs:
        t = model.main.tensors[index]
        pixels, channels = int(np.prod(t.shape[:-1])), t.shape[-1]
        values = (np.arange(pixels)[:, None] + 37 * np.arange(channels)[None, :]) % 256 - 128
        arrays.append(values.reshape(t.shape).astype(t.dtype))
    return arrays


# --- float32: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV (pooling: _pool) ---------------------------
#
# TFLM's float kernels are judged bit for bit, so the data aims at rounding and IEEE corners rather
# than at ranges: weights of mixed magnitudes (a sum's order changes its rounding), -0.0 and
# subnormal weights, and weights so large that sums overflow to +-inf (clamped to +-FLT_MAX by
# every activation, NONE included). No single product may overflow: with finite products a sum that
# reached inf stays inf, whereas +inf + -inf would be a NaN, whose sign bit x86 (negative) and Arm
# (positive default NaN) set differently. Products stay finite for inputs up to 128 in magnitude
# (host_check's runs are within 8, dense_inputs' within 128; FLOAT_EDGES within 8 for convolutions).

BIG_WEIGHT = 2.6e36  # 128 * BIG_WEIGHT < FLT_MAX: every product is finite; 17 taps at 8 overflow
FLOAT_EDGES = np.array([-0.0, 0.0, 1e-45, -1e-45, 1.1754944e-38, -1.1754944e-38, 8.0, -8.0, 1 / 3, -1 / 3,
                        7.9999995, 2.0 ** -24], np.float32)
POOL_EDGES = np.concatenate([FLOAT_EDGES, np.array([3.0e38, -3.0e38, 1e30], np.float32)])  # sums overflow


def float_values(rng, shape) -> np.ndarray:
    """Weights: mostly uniform in [-1, 1]; else of mixed magnitudes (1e-6..1e6), with -0.0 and
    subnormals, or all at +-BIG_WEIGHT (their sums overflow)."""
    r = rng.random()
    if r < 0.1:
        return np.full(shape, BIG_WEIGHT if r < 0.05 else -BIG_WEIGHT, np.float32)
    values = rng.uniform(-1, 1, size=shape)
    if r < 0.3:
        values = values * 10.0 ** rng.uniform(-6, 6, size=shape)
        special = rng.random(size=shape)
        values = np.where(special < 0.1, -0.0, np.where(special < 0.15, 1e-45 * np.sign(values), values))
    return values.astype(np.float32)


def float_bias(b, rng, name, channels):
    """Within +-4, 10 % of the time +-FLT_MAX (plus a sum of large products, it overflows)."""
    data = rng.uniform(-4, 4, size=channels)
    if rng.random() < 0.1:
        data = np.where(rng.random(size=channels) < 0.5, 1.0, -1.0) * np.finfo(np.float32).max
    return b.tensor(name, "float32", [channels], data=data.astype(np.float32))


def float_conv2d(b, rng, n):
    """Groups, 1x1 and up to 4x4 filters, strides and dilations up to 3, SAME/VALID, bias or none."""
    batches = 1 if rng.random() < 0.7 else 2
    h, w = dim(rng, 9), dim(rng, 9)
    groups = int(rng.integers(2, 4)) if rng.random() < 0.2 else 1
    filter_in_c = dim(rng, 7) if groups > 1 else channels(rng, 7)
    in_c = filter_in_c * groups
    out_c = groups * dim(rng, 6) if groups > 1 else channels(rng, 13)
    k_h, k_w = (1, 1) if rng.random() < 0.25 else (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride, dil, padding, out_h, out_w = window_geometry(rng, h, w, k_h, k_w)
    x = b.tensor(f"x{n}", "float32", [batches, h, w, in_c])
    inputs = [x, b.tensor(f"w{n}", "float32", [out_c, k_h, k_w, filter_in_c],
                          data=float_values(rng, (out_c, k_h, k_w, filter_in_c)))]
    if rng.random() < 0.8:
        inputs.append(float_bias(b, rng, f"b{n}", out_c))
    y = b.tensor(f"y{n}", "float32", [batches, out_h, out_w, out_c])
    options = fb.Conv2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.fusedActivationFunction = activation(rng)
    b.op(b.opcode(BUILTIN.CONV_2D, version=1), inputs, [y], fb.BuiltinOptions.Conv2DOptions, options)
    return [x], [y]


def float_depthwise_conv2d(b, rng, n):
    """Depth multipliers 1-3, dilations; always a bias (TFLM's reference kernel DCHECKs one)."""
    batches = 1 if rng.random() < 0.75 else 2
    h, w = dim(rng, 9), dim(rng, 9)
    in_c = 1 if rng.random() < 0.2 else channels(rng, 11)
    multiplier = 1 if rng.random() < 0.6 else int(rng.integers(2, 4))
    out_c = in_c * multiplier
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride, dil, padding, out_h, out_w = window_geometry(rng, h, w, k_h, k_w)
    x = b.tensor(f"x{n}", "float32", [batches, h, w, in_c])
    wt = b.tensor(f"w{n}", "float32", [1, k_h, k_w, out_c], data=float_values(rng, (1, k_h, k_w, out_c)))
    y = b.tensor(f"y{n}", "float32", [batches, out_h, out_w, out_c])
    options = fb.DepthwiseConv2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.depthMultiplier = multiplier
    options.fusedActivationFunction = activation(rng)
    b.op(b.opcode(BUILTIN.DEPTHWISE_CONV_2D, version=2), [x, wt, float_bias(b, rng, f"b{n}", out_c)], [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    return [x], [y]


def float_transpose_conv(b, rng, n):
    """Output sizes as add_transpose_conv draws them; bias or none."""
    batches = 1 if rng.random() < 0.75 else 2
    in_h, in_w = dim(rng, 6), dim(rng, 6)
    in_c, out_c = channels(rng, 9), channels(rng, 9)
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = PADDINGS[int(rng.integers(0, 2))]
    out_hw = []
    for size, k, s in zip((in_h, in_w), (k_h, k_w), stride):
        extra = int(rng.integers(0, s)) if rng.random() < 0.2 else 0
        out_hw.append(max(1, size * s - extra) if padding == fb.Padding.SAME else (size - 1) * s + k + extra)
    out_shape = [batches, out_hw[0], out_hw[1], out_c]
    shape = b.tensor(f"shape{n}", "int32", [4], data=np.array(out_shape, np.int32))
    wt = b.tensor(f"w{n}", "float32", [out_c, k_h, k_w, in_c], data=float_values(rng, (out_c, k_h, k_w, in_c)))
    x = b.tensor(f"x{n}", "float32", [batches, in_h, in_w, in_c])
    inputs = [shape, wt, x]
    if rng.random() < 0.7:
        inputs.append(float_bias(b, rng, f"b{n}", out_c))
    y = b.tensor(f"y{n}", "float32", out_shape)
    options = fb.TransposeConvOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.fusedActivationFunction = activation(rng)
    b.op(b.opcode(BUILTIN.TRANSPOSE_CONV, version=1), inputs, [y], fb.BuiltinOptions.TransposeConvOptions, options)
    return [x], [y]


def float_edge_inputs(model, seed: int) -> list[np.ndarray]:
    """One run whose float inputs take FLOAT_EDGES values (POOL_EDGES where a pooling op reads the
    input: its sums may overflow, it has no products), other inputs 0."""
    pooled = {op.inputs[0] for op in model.main.operators if op.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D")}
    rng = np.random.default_rng(seed)
    arrays = []
    for index in model.main.inputs:
        t = model.main.tensors[index]
        if t.dtype == "float32":
            arrays.append(rng.choice(POOL_EDGES if index in pooled else FLOAT_EDGES, size=t.shape).astype(np.float32))
        else:
            arrays.append(np.zeros(t.shape, t.dtype))
    return arrays


def float_profile_model() -> bytes:
    """One instance of each float32 windowed op at a typical small-CNN size, for the Cortex-M4 figures of
    the aot README: `python tests/aot_window_cases.py f32.tflite && python bench/aot_profile.py f32.tflite`.
    CONV_2D 3x3 SAME [1,8,8,8] -> 8 channels (36,864 MACs), DEPTHWISE_CONV_2D 3x3 SAME [1,8,8,16] (9,216)
    and [1,8,8,8] with depth multiplier 2 (9,216),
    AVERAGE/MAX_POOL_2D 2x2 stride 2 [1,8,8,16] (256 outputs), TRANSPOSE_CONV 3x3 stride 2 SAME
    [1,4,4,8] -> [1,8,8,8] (9,216 products before clipping), all with a bias and RELU."""
    from tflite_builder import ModelBuilder

    rng = np.random.default_rng(0)
    b = ModelBuilder()

    def tensor(name, shape, data=False):
        return b.tensor(name, "float32", shape, data=rng.uniform(-1, 1, shape).astype(np.float32) if data else None)

    def windowed(options, stride=1, k=3, padding=fb.Padding.SAME):
        options.padding, options.strideH, options.strideW = padding, stride, stride
        if hasattr(options, "dilationHFactor"):
            options.dilationHFactor = options.dilationWFactor = 1
        if hasattr(options, "filterHeight"):
            options.filterHeight = options.filterWidth = k
        options.fusedActivationFunction = ACT.RELU
        return options

    x, y = tensor("conv_in", [1, 8, 8, 8]), tensor("conv_out", [1, 8, 8, 8])
    b.op(b.opcode(BUILTIN.CONV_2D), [x, tensor("conv_w", [8, 3, 3, 8], True), tensor("conv_b", [8], True)], [y],
         fb.BuiltinOptions.Conv2DOptions, windowed(fb.Conv2DOptionsT()))
    b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    x, y = tensor("dw_in", [1, 8, 8, 16]), tensor("dw_out", [1, 8, 8, 16])
    options = windowed(fb.DepthwiseConv2DOptionsT())
    options.depthMultiplier = 1
    b.op(b.opcode(BUILTIN.DEPTHWISE_CONV_2D), [x, tensor("dw_w", [1, 3, 3, 16], True), tensor("dw_b", [16], True)],
         [y], fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    x, y = tensor("dw2_in", [1, 8, 8, 8]), tensor("dw2_out", [1, 8, 8, 16])
    options = windowed(fb.DepthwiseConv2DOptionsT())
    options.depthMultiplier = 2
    b.op(b.opcode(BUILTIN.DEPTHWISE_CONV_2D), [x, tensor("dw2_w", [1, 3, 3, 16], True), tensor("dw2_b", [16], True)],
         [y], fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    for builtin, name in ((BUILTIN.AVERAGE_POOL_2D, "avg"), (BUILTIN.MAX_POOL_2D, "max")):
        x, y = tensor(f"{name}_in", [1, 8, 8, 16]), tensor(f"{name}_out", [1, 4, 4, 16])
        b.op(b.opcode(builtin), [x], [y], fb.BuiltinOptions.Pool2DOptions,
             windowed(fb.Pool2DOptionsT(), stride=2, k=2, padding=fb.Padding.VALID))
        b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    x, y = tensor("tc_in", [1, 4, 4, 8]), tensor("tc_out", [1, 8, 8, 8])
    shape = b.tensor("tc_shape", "int32", [4], data=np.array([1, 8, 8, 8], np.int32))
    b.op(b.opcode(BUILTIN.TRANSPOSE_CONV), [shape, tensor("tc_w", [8, 3, 3, 8], True), x, tensor("tc_b", [8], True)],
         [y], fb.BuiltinOptions.TransposeConvOptions, windowed(fb.TransposeConvOptionsT(), stride=2))
    b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    return b.build()


if __name__ == "__main__":
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_bytes(float_profile_model())
