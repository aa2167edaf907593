"""runtime=aot TRANSPOSE_CONV (int8, 16x8) and CONV_2D 16x8 bit-exact with tflite-micro."""

import shutil

import numpy as np
import pytest
from aot_op_cases import assert_exact
from aot_tf_models import op_model
from conftest import shared_model
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.quantization import compute_padding
from tinyml_build.verification.host_check import check_model, random_inputs

PADDINGS = {"SAME": fb.Padding.SAME, "VALID": fb.Padding.VALID}
RELU = fb.ActivationFunctionType.RELU
NONE = fb.ActivationFunctionType.NONE


def _check(tmp_path, data: bytes, runs: int = 8, sanitize: bool = False):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    report = check_model(path, runs=runs, sanitize=sanitize)
    assert_exact(report)


def _weights(b, rng, shape, per_channel: bool):
    out_c = shape[0]
    scales = list(rng.uniform(0.002, 0.02, out_c)) if per_channel else [0.01]
    data = rng.integers(-127, 128, shape).astype(np.int8)
    return b.tensor("w", "int8", shape, data=data, scale=scales, zero_point=[0] * len(scales)), scales


def _bias(b, rng, dtype, out_c, in_scale, w_scales):
    scales = [in_scale * s for s in (w_scales if len(w_scales) > 1 else w_scales * out_c)]
    limit = {"int32": 4000, "int64": 1 << 20, "int16": 3000}[dtype]
    data = rng.integers(-limit, limit, out_c).astype(dtype)
    return b.tensor("b", dtype, [out_c], data=data, scale=scales, zero_point=[0] * out_c)


# --- TRANSPOSE_CONV ----------------------------------------------------------------------------


def _transpose_conv_model(dtype="int8", in_shape=(1, 4, 5, 3), out_hw=(9, 11), out_c=4, kernel=(3, 3), stride=(2, 2),
                          padding="SAME", bias="int32", per_channel=True, activation=NONE, in_zp=-3, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    n, _, _, in_c = in_shape
    in_q, out_q = ((0.05, in_zp), (0.08, 6)) if dtype == "int8" else ((0.002, 0), (0.004, 0))
    out_shape = [n, out_hw[0], out_hw[1], out_c]
    shape = b.tensor("output_shape", "int32", [4], data=np.array(out_shape, np.int32))
    w, w_scales = _weights(b, rng, (out_c, kernel[0], kernel[1], in_c), per_channel)
    x = b.tensor("x", dtype, in_shape, scale=in_q[0], zero_point=in_q[1])
    inputs = [shape, w, x]
    if bias:
        inputs.append(_bias(b, rng, bias, out_c, in_q[0], w_scales))
    y = b.tensor("y", dtype, out_shape, scale=out_q[0], zero_point=out_q[1])
    options = fb.TransposeConvOptionsT()
    options.padding = PADDINGS[padding]
    options.strideH, options.strideW = stride
    options.fusedActivationFunction = activation
    b.op(b.opcode(fb.BuiltinOperator.TRANSPOSE_CONV, version=3), inputs, [y], fb.BuiltinOptions.TransposeConvOptions,
         options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("kwargs", [
    {},
    {"per_channel": False, "bias": None},
    {"in_zp": 0, "out_c": 5},
    {"stride": (1, 1), "out_hw": (4, 5), "kernel": (1, 1)},
    {"stride": (2, 3), "out_hw": (8, 15), "kernel": (2, 4), "padding": "VALID"},
    {"stride": (3, 1), "out_hw": (14, 7), "kernel": (5, 3), "padding": "VALID", "activation": RELU},
    {"in_shape": (2, 3, 3, 8), "out_hw": (6, 7), "out_c": 3, "kernel": (4, 2)},
])
def test_transpose_conv_int8(tmp_path, kwargs):
    _check(tmp_path, _transpose_conv_model("int8", **kwargs))


@pytest.mark.parametrize("kwargs", [
    {"bias": "int64"},
    {"bias": "int16"},
    {"bias": None, "per_channel": False},
    {"bias": "int64", "stride": (1, 2), "out_hw": (6, 10), "kernel": (3, 4), "padding": "VALID"},
])
def test_transpose_conv_16x8(tmp_path, kwargs):
    _check(tmp_path, _transpose_conv_model("int16", **kwargs))


@pytest.mark.parametrize("name", ["transpose_conv", "transpose_conv_valid_bias"])
@pytest.mark.parametrize("int16", [False, True], ids=["int8", "16x8"])
def test_converted_transpose_conv(name, int16):
    report = check_model(op_model(name, int16), runs=20)
    assert_exact(report)


def test_transpose_conv_under_sanitizers(tmp_path):
    _check(tmp_path, _transpose_conv_model("int8", stride=(2, 3), out_hw=(8, 15), kernel=(2, 4)), runs=3, sanitize=True)


@pytest.mark.shared_models
def test_reference_transpose_conv4_bit_exact():
    report = check_model(shared_model("transpose_conv4.tflite"), runs=20)
    assert_exact(report)
    report = check_model(shared_model("transpose_conv4.tflite"), runs=3, sanitize=True)
    assert_exact(report)


# --- CONV_2D, int16 activations x int8 weights -------------------------------------------------


def _conv16_model(in_shape=(1, 7, 8, 4), out_c=5, kernel=(3, 3), stride=(1, 1), dilation=(1, 1), padding="SAME",
                  bias="int64", per_channel=True, activation=NONE, filter_in_c=None, bias_type=0, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    n, h, w, in_c = in_shape
    filter_in_c = filter_in_c or in_c
    oh = compute_padding(padding, h, kernel[0], stride[0], dilation[0]).out_size
    ow = compute_padding(padding, w, kernel[1], stride[1], dilation[1]).out_size
    x = b.tensor("x", "int16", in_shape, scale=0.002, zero_point=0)
    weights, w_scales = _weights(b, rng, (out_c, kernel[0], kernel[1], filter_in_c), per_channel)
    inputs = [x, weights]
    if bias:
        inputs.append(_bias(b, rng, bias, out_c, 0.002, w_scales))
    y = b.tensor("y", "int16", [n, oh, ow, out_c], scale=0.003, zero_point=0)
    options = fb.Conv2DOptionsT()
    options.padding = PADDINGS[padding]
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dilation
    options.fusedActivationFunction = activation
    options.quantizedBiasType = bias_type
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=4), inputs, [y], fb.BuiltinOptions.Conv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("kwargs", [
    {},
    {"bias": "int32"},
    {"bias": None},
    {"bias": None, "bias_type": 2},  # quantized_bias_type INT32 selects TFLM's int32 accumulator
    {"per_channel": False, "stride": (2, 2), "padding": "VALID"},
    {"dilation": (2, 3), "kernel": (2, 2)},
    {"filter_in_c": 2, "out_c": 6, "activation": RELU},  # two groups
    {"in_shape": (2, 5, 9, 3), "kernel": (1, 5), "stride": (1, 3)},
    {"in_shape": (1, 5, 5, 40), "out_c": 9, "kernel": (3, 3)},  # 360 products per window: int64 widening path
    {"in_shape": (1, 4, 4, 300), "out_c": 4, "kernel": (1, 1), "bias": "int32"},  # a run longer than 256
])
def test_conv2d_16x8(tmp_path, kwargs):
    _check(tmp_path, _conv16_model(**kwargs))


# The patch path (tml_conv2d_s16x8_patch_*, single-group): its edges in one model, one compile.
# (input shape, out channels, kernel, stride, dilation, padding, bias kind, all weights -128)
PATCH_EDGES = [
    ((1, 6, 7, 3), 5, (5, 5), (2, 2), (1, 1), "SAME", "int64", False),  # padding on every side; 75 deep, 5 rows
    ((1, 5, 11, 2), 4, (2, 2), (1, 3), (1, 1), "VALID", None, False),  # stride_w > filter_w: the ring skips columns
    ((2, 7, 9, 3), 6, (3, 2), (2, 1), (2, 3), "SAME", "int64", False),  # dilation_w > 1 (no ring), two batches
    ((1, 8, 9, 4), 4, (3, 3), (1, 1), (2, 1), "SAME", "int32", False),  # dilated rows on the ring; int32 accumulator
    ((1, 3, 12, 5), 7, (1, 4), (1, 1), (1, 1), "SAME", "int64", False),  # 1xN: read in place inside, gathered at edges
    ((1, 4, 5, 6), 3, (1, 1), (2, 2), (1, 1), "VALID", None, False),  # 1x1 in place; fewer than 4 channels
    ((1, 6, 6, 20), 5, (3, 3), (1, 1), (1, 1), "SAME", "int64", False),  # 180 deep: the ring needs arena scratch
    ((1, 3, 3, 64), 4, (3, 3), (1, 1), (1, 1), "VALID", "int64", True),  # 576 x 2^22 on the all-minimum run > 2^31
]


def _patch_edges_16x8(seed: int = 0) -> bytes:
    """Every PATCH_EDGES convolution as its own graph input and output; output scales keep typical
    sums inside int16 (the all -128 one: its all-minimum sum of 2.4e9 too)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    for n, (in_shape, out_c, kernel, stride, dilation, padding, bias, extreme) in enumerate(PATCH_EDGES):
        batches, h, w, in_c = in_shape
        depth = kernel[0] * kernel[1] * in_c
        oh = compute_padding(padding, h, kernel[0], stride[0], dilation[0]).out_size
        ow = compute_padding(padding, w, kernel[1], stride[1], dilation[1]).out_size
        shape = (out_c, kernel[0], kernel[1], in_c)
        data = np.full(shape, -128, np.int8) if extreme else rng.integers(-128, 128, shape).astype(np.int8)
        w_scales = list(rng.uniform(0.005, 0.02, out_c))
        x = b.tensor(f"x{n}", "int16", in_shape, scale=1e-4, zero_point=0)
        inputs = [x, b.tensor(f"w{n}", "int8", shape, data=data, scale=w_scales, zero_point=[0] * out_c)]
        if bias:
            limit = 4000 if bias == "int32" else 1 << 40
            inputs.append(b.tensor(f"b{n}", bias, [out_c], data=rng.integers(-limit, limit, out_c).astype(bias),
                                   scale=[1e-4 * s for s in w_scales], zero_point=[0] * out_c))
        out_scale = 0.2 if extreme else 1e-6 * 1.4e6 * np.sqrt(depth) / 8000
        y = b.tensor(f"y{n}", "int16", [batches, oh, ow, out_c], scale=float(out_scale), zero_point=0)
        options = fb.Conv2DOptionsT()
        options.padding = PADDINGS[padding]
        options.strideH, options.strideW = stride
        options.dilationHFactor, options.dilationWFactor = dilation
        options.quantizedBiasType = 2 if n == 5 else 0  # no bias but TFLM's int32 accumulator
        b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=4), inputs, [y], fb.BuiltinOptions.Conv2DOptions, options)
        b.inputs, b.outputs = b.inputs + [x], b.outputs + [y]
    return b.build()


def test_conv2d_16x8_patch_path_edges(tmp_path):
    """The patch path's geometry (padding, strides beyond the filter, dilations, in-place rows, tail
    rows, arena scratch) and int32 partial sums widened before they overflow, on the host under
    ASan/UBSan (all-minimum, all-maximum and random inputs)."""
    path = tmp_path / "m.tflite"
    path.write_bytes(_patch_edges_16x8())
    program = lower_model(read_model(path.read_bytes(), where="m.tflite", name="m"))
    calls = "\n".join(s for step in program.steps for s in step.statements)
    assert calls.count("tml_conv2d_s16x8_patch_acc64") == 6 and calls.count("tml_conv2d_s16x8_patch_acc32") == 2
    report = check_model(path, runs=4, sanitize=True)
    assert report.ok, str(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_conv2d_16x8_patch_path_edges_on_cortex_m4():
    """The same on qemu-m4, where the dot products are SMLADs on the (w0, w2, w1, w3) weight quads."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(_patch_edges_16x8(), where="conv16_patch.tflite", name="conv16_patch")
    report = check_on_cortex_m(model, inputs=random_inputs(model, 3, 0))
    assert report.ok, str(report)


def test_conv2d_16x8_under_sanitizers(tmp_path):
    _check(tmp_path, _conv16_model(dilation=(2, 1), stride=(2, 1)), runs=3, sanitize=True)


@pytest.mark.shared_models
def test_reference_conv0_bit_exact():
    report = check_model(shared_model("conv0.tflite"), runs=20)
    assert_exact(report)
    report = check_model(shared_model("conv0.tflite"), runs=3, sanitize=True)
    assert_exact(report)


@pytest.mark.parametrize("zero_point,stride,expected", [(3, 1, "zero point"), (0, 0, "strides")])
def test_conv2d_16x8_invalid_models_are_clear_errors(zero_point, stride, expected):
    b = ModelBuilder()
    x = b.tensor("x", "int16", (1, 4, 4, 2), scale=0.002, zero_point=zero_point)
    w = b.tensor("w", "int8", (2, 1, 1, 2), data=np.ones((2, 1, 1, 2), np.int8), scale=[0.01], zero_point=[0])
    y = b.tensor("y", "int16", (1, 4, 4, 2), scale=0.003, zero_point=0)
    options = fb.Conv2DOptionsT()
    options.strideH = options.strideW = stride
    options.dilationHFactor = options.dilationWFactor = 1
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=4), [x, w], [y], fb.BuiltinOptions.Conv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(b.build(), where="m.tflite", name="m"))
    assert "op #0 CONV_2D" in str(info.value) and expected in str(info.value)


def test_transpose_conv_zero_stride_is_a_clear_error():
    data = _transpose_conv_model("int8", stride=(0, 1))
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    assert "op #0 TRANSPOSE_CONV" in str(info.value) and "strides" in str(info.value)
