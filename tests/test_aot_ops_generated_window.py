"""runtime=aot CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, AVERAGE_POOL_2D, MAX_POOL_2D
and BATCH_MATMUL bit-exact with the pinned TFLM, over hundreds of generated cases per op.

Property-style (issue 12 §1): tests/aot_window_cases.py draws shapes, scales, zero points,
strides, dilations, paddings, groups, depth multipliers, biases and activations from seeded
generators, so a failing case reproduces from its (op, type, seed). Compiling dominates, so
each model holds CASES independent ops of one kind and one host check (every op output, the
all-minimum and all-maximum runs and random ones) covers them all. When only the tflite-micro
wheel can judge, a difference is accepted only at an op the wheel's table of known differences
names (oracle.blind_spots), never by a tolerance.
"""

import shutil

import aot_op_cases
import aot_window_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model, random_inputs

CASES = 50  # ops per generated model
RUNS = 6  # all-minimum, all-maximum and 4 random input vectors
TYPES = {
    "CONV_2D": ("int8", "int16", "float32"),
    "DEPTHWISE_CONV_2D": ("int8", "int16", "float32"),
    "FULLY_CONNECTED": ("int8", "int16", "float32"),
    "TRANSPOSE_CONV": ("int8", "int16", "float32"),
    "AVERAGE_POOL_2D": ("int8", "int16", "float32"),
    "MAX_POOL_2D": ("int8", "int16", "float32"),
    "BATCH_MATMUL": ("int8", "int16", "float32"),
}
SEEDS = {  # models per (op, type): every op gets aot_op_cases.MIN_CASES (CASES x seeds summed over its types)
    ("CONV_2D", "int8"): 3, ("CONV_2D", "int16"): 2,
    ("DEPTHWISE_CONV_2D", "int8"): 4, ("DEPTHWISE_CONV_2D", "int16"): 2,
    ("FULLY_CONNECTED", "int8"): 3, ("FULLY_CONNECTED", "int16"): 2, ("FULLY_CONNECTED", "float32"): 1,
    ("TRANSPOSE_CONV", "int8"): 2, ("TRANSPOSE_CONV", "int16"): 2,
    ("AVERAGE_POOL_2D", "int8"): 4, ("AVERAGE_POOL_2D", "int16"): 2,
    ("MAX_POOL_2D", "int8"): 4, ("MAX_POOL_2D", "int16"): 2,
    ("BATCH_MATMUL", "int8"): 2, ("BATCH_MATMUL", "int16"): 1, ("BATCH_MATMUL", "float32"): 1,
    # float32 windowed ops (TFLM's reference float kernels)
    ("CONV_2D", "float32"): 2, ("DEPTHWISE_CONV_2D", "float32"): 2, ("TRANSPOSE_CONV", "float32"): 2,
    ("AVERAGE_POOL_2D", "float32"): 2, ("MAX_POOL_2D", "float32"): 2,
}
FLOAT_EDGE_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D")
GENERATED = [(op, dtype, seed) for op, types in TYPES.items() for dtype in types for seed in range(SEEDS[op, dtype])]
GENERATED_CASES = aot_op_cases.case_counts(GENERATED, CASES)  # test_aot_op_coverage.py checks every op's count


def check(tmp_path, data, runs: int = RUNS, inputs=None) -> None:
    """Bit-exact with the oracle; a wheel oracle may differ only at an op its known-differences table names.
    `data`: .tflite bytes or a read model; `inputs` replaces the seeded runs."""
    if isinstance(data, bytes):
        path = tmp_path / "m.tflite"
        path.write_bytes(data)
        data = path
    aot_op_cases.assert_exact(check_model(data, runs=runs, inputs=inputs))


def generated(op: str, dtype: str, seed: int, cases: int = CASES) -> bytes:
    return aot_op_cases.random_model(aot_window_cases.ADDERS, TYPES, op, dtype, seed, cases)


@pytest.mark.parametrize("op,dtype,seed", GENERATED, ids=[f"{o}-{d}-{s}" for o, d, s in GENERATED])
def test_generated_cases_bit_exact(tmp_path, op, dtype, seed):
    if dtype == "float32" and op in FLOAT_EDGE_OPS:  # and one run of IEEE corners: -0.0, subnormals, overflow
        model = read_model(generated(op, dtype, seed), where=f"{op}_{dtype}_{seed}.tflite", name="generated")
        check(tmp_path, model, inputs=random_inputs(model, RUNS, 0) + [aot_window_cases.float_edge_inputs(model, seed)])
        return
    check(tmp_path, generated(op, dtype, seed))


def test_generated_models_are_reproducible():
    assert generated("CONV_2D", "int8", 0, 8) == generated("CONV_2D", "int8", 0, 8)
    assert generated("CONV_2D", "int8", 0, 8) != generated("CONV_2D", "int8", 1, 8)


# --- dense accumulators: every rounding boundary ---------------------------------------------------

DENSE = [("CONV_2D", "int8"), ("CONV_2D", "int16"), ("DEPTHWISE_CONV_2D", "int8"), ("FULLY_CONNECTED", "int8"),
         ("TRANSPOSE_CONV", "int8"), ("TRANSPOSE_CONV", "int16"), ("FULLY_CONNECTED", "int16"),
         ("DEPTHWISE_CONV_2D", "int16")]
DENSE_CASES = 12  # random (input, weight, output) scale triples per (op, type)


def dense_model(op: str, dtype: str, seed: int = 0) -> bytes:
    rng = np.random.default_rng([seed, DENSE.index((op, dtype))])
    b = ModelBuilder()
    for n in range(DENSE_CASES):
        xs, ys = aot_window_cases.add_dense(b, rng, op, dtype, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


@pytest.mark.parametrize("op,dtype", DENSE, ids=[f"{o}-{d}" for o, d in DENSE])
def test_dense_accumulators_meet_every_rounding_boundary(tmp_path, op, dtype):
    """A requantization multiplier one unit off changes some of these outputs (random inputs see it
    about once in 10^5 elements)."""
    model = read_model(dense_model(op, dtype), where=f"dense_{op}.tflite", name="dense")
    check(tmp_path, model, inputs=[aot_window_cases.dense_inputs(model)])


# --- named shapes --------------------------------------------------------------------------------


def _add_fc_stack(b, rng, per_channel: bool, first: int = 0, dtype: str = "int8",
                  widths=(640, 128, 128, 8, 128, 640)) -> int:
    """The MLPerf Tiny anomaly-detection shape: 640 -> 128 -> 128 -> 8 -> 128 -> 640 (one FC per model input,
    so each layer meets the extreme inputs too); returns the next free case number."""
    for n, (depth, units) in enumerate(zip(widths, widths[1:]), start=first):
        xs, ys = aot_window_cases.fully_connected(b, rng, dtype, n, depth, units, [1], False, per_channel, True)
        b.inputs += xs
        b.outputs += ys
    return first + len(widths) - 1


def _fc_stack(per_channel: bool, seed: int = 3) -> bytes:
    b = ModelBuilder()
    _add_fc_stack(b, np.random.default_rng(seed), per_channel)
    return b.build()


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_anomaly_detection_shape(tmp_path, per_channel):
    check(tmp_path, _fc_stack(per_channel), runs=12)


def _classifier_16x8(seed: int = 0) -> bytes:
    """A 16x8-quantized classifier chaining the int16 ops: DEPTHWISE_CONV_2D (multiplier 2) -> MAX_POOL_2D ->
    AVERAGE_POOL_2D -> FULLY_CONNECTED (rank-4 input flattened) -> SOFTMAX, scales as a converter sets them."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x = b.tensor("x", "int16", [1, 8, 8, 4], scale=1 / 8192, zero_point=0)
    w = b.tensor("dw_w", "int8", [1, 3, 3, 8], data=rng.integers(-127, 128, (1, 3, 3, 8)).astype(np.int8),
                 scale=[0.004 * (1 + k / 8) for k in range(8)], zero_point=[0] * 8, axis=3)
    bias = b.tensor("dw_b", "int64", [8], data=rng.integers(-5000, 5000, 8).astype(np.int64),
                    scale=[0.004 * (1 + k / 8) / 8192 for k in range(8)], zero_point=[0] * 8)
    h = b.tensor("dw_y", "int16", [1, 8, 8, 8], scale=1 / 4096, zero_point=0)
    options = fb.DepthwiseConv2DOptionsT()
    options.padding, options.depthMultiplier = fb.Padding.SAME, 2
    options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
    options.fusedActivationFunction = fb.ActivationFunctionType.RELU
    b.op(b.opcode(fb.BuiltinOperator.DEPTHWISE_CONV_2D, version=5), [x, w, bias], [h],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    pools = (("max", fb.BuiltinOperator.MAX_POOL_2D, 4), ("avg", fb.BuiltinOperator.AVERAGE_POOL_2D, 2))
    for name, builtin, size in pools:
        pooled = b.tensor(f"{name}_y", "int16", [1, size, size, 8], scale=1 / 4096, zero_point=0)
        options = fb.Pool2DOptionsT()
        options.padding, options.strideH, options.strideW = fb.Padding.VALID, 2, 2
        options.filterHeight = options.filterWidth = 2
        b.op(b.opcode(builtin, version=3), [h], [pooled], fb.BuiltinOptions.Pool2DOptions, options)
        h = pooled
    w = b.tensor("fc_w", "int8", [10, 32], data=rng.integers(-127, 128, (10, 32)).astype(np.int8), scale=[0.01],
                 zero_point=[0])
    bias = b.tensor("fc_b", "int64", [10], data=rng.integers(-3000, 3000, 10).astype(np.int64), scale=[0.01 / 4096],
                    zero_point=[0])
    logits = b.tensor("logits", "int16", [1, 10], scale=1 / 256, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=7), [h, w, bias], [logits],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    y = b.tensor("y", "int16", [1, 10], scale=1 / 32768, zero_point=0)
    options = fb.SoftmaxOptionsT()
    options.beta = 1.0
    b.op(b.opcode(fb.BuiltinOperator.SOFTMAX, version=3), [logits], [y], fb.BuiltinOptions.SoftmaxOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def test_16x8_classifier_chaining_the_int16_ops(tmp_path):
    """Every intermediate tensor of the chain against the oracle (check_model compares each op output)."""
    check(tmp_path, _classifier_16x8(), runs=12)


def _wide_accumulators_16x8() -> bytes:
    """A 16x8 DEPTHWISE_CONV_2D with a 23x23 window (529 taps: the per-channel path) and a FULLY_CONNECTED
    600 deep, weights all -128: the all-minimum run sums 2^22 per product, beyond int32 after 512, so the
    int32 partial sums must be widened every 256 products (the int64 result is then exact); the output
    scales keep those sums inside int16."""
    b = ModelBuilder()
    x = b.tensor("dw_x", "int16", [1, 23, 23, 3], scale=1e-4, zero_point=0)
    w = b.tensor("dw_w", "int8", [1, 23, 23, 3], data=np.full((1, 23, 23, 3), -128, np.int8), scale=[0.01] * 3,
                 zero_point=[0] * 3, axis=3)
    bias = b.tensor("dw_b", "int64", [3], data=np.array([0, 3 << 30, -(3 << 30)], np.int64), scale=[1e-6] * 3,
                    zero_point=[0] * 3)
    y = b.tensor("dw_y", "int16", [1, 1, 1, 3], scale=0.2, zero_point=0)
    options = fb.DepthwiseConv2DOptionsT()
    options.padding, options.depthMultiplier = fb.Padding.VALID, 1
    options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
    b.op(b.opcode(fb.BuiltinOperator.DEPTHWISE_CONV_2D, version=5), [x, w, bias], [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    fc_x = b.tensor("fc_x", "int16", [2, 600], scale=1e-4, zero_point=0)
    fc_w = b.tensor("fc_w", "int8", [6, 600], data=np.full((6, 600), -128, np.int8), scale=[0.01], zero_point=[0])
    fc_y = b.tensor("fc_y", "int16", [2, 6], scale=0.2, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=7), [fc_x, fc_w], [fc_y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x, fc_x], [y, fc_y]
    return b.build()


def test_16x8_accumulators_beyond_int32_are_exact(tmp_path):
    check(tmp_path, _wide_accumulators_16x8(), runs=4)


# --- Cortex-M4: the SIMD dot products and the SMLAL requantization host builds do not run ----------


def _cortex_m_model(per_type: int = 3, seed: int = 11) -> bytes:
    """per_type generated cases of every (op, type), one boundary probe of every DENSE pair and the
    anomaly-detection FC stack (and a short 16x8 one), in one model."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    n = 0
    for op, types in TYPES.items():
        for dtype in types:
            for _ in range(per_type):
                xs, ys = aot_window_cases.ADDERS[op](b, rng, dtype, n)
                b.inputs, b.outputs, n = b.inputs + xs, b.outputs + ys, n + 1
    for op, dtype in DENSE:
        xs, ys = aot_window_cases.add_dense(b, rng, op, dtype, n)
        b.inputs, b.outputs, n = b.inputs + xs, b.outputs + ys, n + 1
    n = _add_fc_stack(b, rng, per_channel=False, first=n)  # the FC kernel's long SIMD runs
    # 16x8: SMLAD rows over RUN_MAX products (640 -> 8), rows in groups of 4 and a tail (8 -> 130)
    _add_fc_stack(b, rng, per_channel=True, first=n, dtype="int16", widths=(640, 8, 130))
    return b.build()


def test_generated_cases_under_sanitizers(tmp_path):
    """The Cortex-M model on the host with ASan/UBSan: no case may read out of bounds or compute
    something C leaves undefined (the probes' accumulators reach 2^30)."""
    model = read_model(_cortex_m_model(seed=5), where="generated_window.tflite", name="generated_window")
    report = check_model(model, inputs=random_inputs(model, 3, 0) + [aot_window_cases.dense_inputs(model),
                                                                     aot_window_cases.float_edge_inputs(model, 5)],
                         sanitize=True)
    aot_op_cases.assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_generated_cases_on_cortex_m4():
    """One cross-compile, one QEMU run: the all-minimum, all-maximum and a random run, then the
    every-value-per-channel run the boundary probes need (a valid input for the other cases too),
    then the float IEEE corners (-0.0, subnormals, overflowing sums; integer inputs 0)."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(_cortex_m_model(), where="generated_window.tflite", name="generated_window")
    inputs = random_inputs(model, 3, 0) + [aot_window_cases.dense_inputs(model),
                                           aot_window_cases.float_edge_inputs(model, 0)]
    report = check_on_cortex_m(model, inputs=inputs)
    aot_op_cases.assert_exact(report)


# --- regressions found by the generated cases ----------------------------------------------------


def _conv_with_output_scale(dtype: str, out_scale: float, activation: int) -> bytes:
    """1x1 CONV_2D whose fused activation bound (6 / out_scale, 1 / out_scale) may not fit int32."""
    b = ModelBuilder()
    x = b.tensor("x", dtype, [1, 2, 2, 3], scale=1e-3, zero_point=0)
    w = b.tensor("w", "int8", [2, 1, 1, 3], data=np.ones((2, 1, 1, 3), np.int8), scale=[0.01], zero_point=[0])
    y = b.tensor("y", dtype, [1, 2, 2, 2], scale=out_scale, zero_point=0)
    options = fb.Conv2DOptionsT()
    options.padding, options.fusedActivationFunction = fb.Padding.VALID, activation
    options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=4 if dtype == "int16" else 3), [x, w], [y],
         fb.BuiltinOptions.Conv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("activation,scale", [(fb.ActivationFunctionType.RELU6, 2e-9),
                                              (fb.ActivationFunctionType.RELU_N1_TO_1, 4e-10)])
def test_fused_activation_bound_beyond_int32_is_refused_as_tflm_does(dtype, activation, scale):
    """Seed 114 of CONV_2D int16 drew an output scale so small that 6 / scale overflows int32: TFLM's
    CalculateActivationRangeQuantized refuses the model at Prepare; aot clamped the bound and built it."""
    message = aot_op_cases.lower_error(_conv_with_output_scale(dtype, scale, activation))
    assert "op #0 CONV_2D" in message and "int32" in message


def test_fused_activation_bound_just_inside_int32_is_built(tmp_path):
    """6 / 3e-9 = 2e9 still fits: TFLM builds the model and so does aot, bit-exact."""
    check(tmp_path, _conv_with_output_scale("int8", 3e-9, fb.ActivationFunctionType.RELU6), runs=3)


def _conv16_with_multiplier(multiplier: float, transpose: bool = False) -> bytes:
    """A 16x8 CONV_2D (or TRANSPOSE_CONV) with int64 accumulators and the given effective output multiplier."""
    b = ModelBuilder()
    x = b.tensor("x", "int16", [1, 2, 2, 3], scale=1e-3, zero_point=0)
    w = b.tensor("w", "int8", [2, 1, 1, 3], data=np.ones((2, 1, 1, 3), np.int8), scale=[0.01], zero_point=[0])
    y = b.tensor("y", "int16", [1, 2, 2, 2], scale=1e-5 / multiplier, zero_point=0)
    bias = b.tensor("b", "int64", [2], data=np.zeros(2, np.int64), scale=[1e-5] * 2, zero_point=[0] * 2)
    if transpose:
        shape = b.tensor("shape", "int32", [4], data=np.array([1, 2, 2, 2], np.int32))
        options = fb.TransposeConvOptionsT()
        options.padding, options.strideH, options.strideW = fb.Padding.VALID, 1, 1
        b.op(b.opcode(fb.BuiltinOperator.TRANSPOSE_CONV, version=3), [shape, w, x, bias], [y],
             fb.BuiltinOptions.TransposeConvOptions, options)
    else:
        options = fb.Conv2DOptionsT()
        options.padding = fb.Padding.VALID
        options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
        b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=4), [x, w, bias], [y], fb.BuiltinOptions.Conv2DOptions,
             options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("transpose", [False, True], ids=["conv2d", "transpose_conv"])
def test_16x8_multiplier_beyond_the_64_bit_requantization_is_refused(transpose):
    """A multiplier of 2^15 or more makes MultiplyByQuantizedMultiplier(int64)'s rounding term 1 << (14 - shift)
    a negative shift: aot built it (UBSan: 'shift exponent -2 is negative' at 40000); TFLM asserts shift < 8."""
    message = aot_op_cases.lower_error(_conv16_with_multiplier(40000.0, transpose))
    assert "64-bit requantization" in message and "32768" in message
    lower_model(read_model(_conv16_with_multiplier(20000.0, transpose), where="m.tflite", name="m"))  # shift 15


def test_16x8_batch_matmul_multiplier_beyond_the_64_bit_requantization_is_refused():
    b = ModelBuilder()
    x = b.tensor("a", "int16", [2, 3], scale=1e-3, zero_point=0)
    w = b.tensor("b", "int16", [3, 4], scale=1e-3, zero_point=0)
    y = b.tensor("y", "int16", [2, 4], scale=1e-6 / 40000.0, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.BATCH_MATMUL), [x, w], [y], fb.BuiltinOptions.BatchMatMulOptions,
         fb.BatchMatMulOptionsT())
    b.inputs, b.outputs = [x, w], [y]
    assert "64-bit requantization" in aot_op_cases.lower_error(b.build())


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan, -np.nan], ids=["inf", "-inf", "nan", "-nan"])
def test_float_constants_holding_inf_or_nan_compute_what_tflm_computes(value):
    """Float constants may hold infinities and the default NaN (TFLM reads them as bytes): the
    generated C writes them as TML_INFINITY / TML_NAN and CONV_2D and FULLY_CONNECTED over them are bit-exact
    (they raised a bare ValueError while rendering the C)."""
    b = ModelBuilder()
    x, y = b.tensor("x", "float32", [1, 2, 2, 2]), b.tensor("y", "float32", [1, 2, 2, 2])
    w = b.tensor("w", "float32", [2, 1, 1, 2], data=np.array([value, 1.5, -0.25, 2.0], np.float32).reshape(2, 1, 1, 2))
    options = fb.Conv2DOptionsT()
    options.padding = fb.Padding.VALID
    options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D), [x, w], [y], fb.BuiltinOptions.Conv2DOptions, options)
    v, z = b.tensor("v", "float32", [4, 2]), b.tensor("z", "float32", [4, 3])
    fw = b.tensor("fw", "float32", [3, 2], data=np.array([[1, value], [0.5, -1], [value, value]], np.float32))
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED), [v, fw], [z], fb.BuiltinOptions.FullyConnectedOptions,
         fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x, v], [y, z]
    model = read_model(b.build(), where="m.tflite", name="m")
    report = check_model(model, runs=3)
    aot_op_cases.assert_exact(report)


def test_float_constant_nan_with_a_payload_is_refused():
    """A NaN other than the default quiet one has no C99 literal: refused with the op and tensor named."""
    b = ModelBuilder()
    x, y = b.tensor("x", "float32", [1, 2]), b.tensor("y", "float32", [1, 3])
    w = b.tensor("w", "float32", [3, 2], data=np.array([0x7FC00001, 0, 0, 0, 0, 0], np.uint32).view(np.float32)
                 .reshape(3, 2))
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED), [x, w], [y], fb.BuiltinOptions.FullyConnectedOptions,
         fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    assert "tensor #2 'w': a NaN with payload 0x7fc00001 has no C99 literal" in aot_op_cases.lower_error(b.build())


# --- 16x8 FULLY_CONNECTED and DEPTHWISE_CONV_2D: what TFLM's kernels cannot judge is refused --------


def _int16_op(op: str, multiplier: float = 0.01, bias: str = "int64", zero_point: int = 0) -> bytes:
    """One 16x8 FULLY_CONNECTED or DEPTHWISE_CONV_2D with the given effective output multiplier and bias type."""
    b = ModelBuilder()
    if op == "FULLY_CONNECTED":
        x = b.tensor("x", "int16", [1, 3], scale=1e-3, zero_point=zero_point)
        w = b.tensor("w", "int8", [2, 3], data=np.ones((2, 3), np.int8), scale=[0.01], zero_point=[0])
        y = b.tensor("y", "int16", [1, 2], scale=1e-5 / multiplier, zero_point=0)
    else:
        x = b.tensor("x", "int16", [1, 2, 2, 2], scale=1e-3, zero_point=zero_point)
        w = b.tensor("w", "int8", [1, 1, 1, 2], data=np.ones((1, 1, 1, 2), np.int8), scale=[0.01], zero_point=[0],
                     axis=3)
        y = b.tensor("y", "int16", [1, 2, 2, 2], scale=1e-5 / multiplier, zero_point=0)
    bias_tensor = b.tensor("b", bias, [2], data=np.zeros(2, bias), scale=[1e-5] * 2, zero_point=[0] * 2)
    if op == "FULLY_CONNECTED":
        b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=7), [x, w, bias_tensor], [y],
             fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    else:
        options = fb.DepthwiseConv2DOptionsT()
        options.padding, options.depthMultiplier = fb.Padding.VALID, 1
        options.strideH = options.strideW = options.dilationHFactor = options.dilationWFactor = 1
        b.op(b.opcode(fb.BuiltinOperator.DEPTHWISE_CONV_2D, version=5), [x, w, bias_tensor], [y],
             fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("op", ["FULLY_CONNECTED", "DEPTHWISE_CONV_2D"])
def test_16x8_fc_and_depthwise_refuse_the_multipliers_tflm_cannot_requantize(op):
    """As CONV_2D: a multiplier of 2^15 or more has no defined 64-bit requantization; shift 15 is built."""
    assert "64-bit requantization" in aot_op_cases.lower_error(_int16_op(op, multiplier=40000.0))
    lower_model(read_model(_int16_op(op, multiplier=20000.0), where="m.tflite", name="m"))


def test_16x8_depthwise_refuses_what_its_tflm_kernel_misreads():
    """TFLM's int16 depthwise reads the bias as int64 and ignores zero points: an int32 bias or a nonzero zero
    point would be judged against a wrong result, so aot refuses them (FULLY_CONNECTED accepts both)."""
    assert "int64" in aot_op_cases.lower_error(_int16_op("DEPTHWISE_CONV_2D", bias="int32"))
    assert "zero points of 0" in aot_op_cases.lower_error(_int16_op("DEPTHWISE_CONV_2D", zero_point=5))
    for variant in (_int16_op("FULLY_CONNECTED", bias="int32"), _int16_op("FULLY_CONNECTED", zero_point=5)):
        lower_model(read_model(variant, where="m.tflite", name="m"))
