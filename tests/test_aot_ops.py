"""runtime=aot kernels, one op at a time, bit-exact against the tflite-micro interpreter.

Each case builds a one-op model (tests/aot_op_models.py) for a point of the op's option space
and runs host_check: generated C compiled with -Werror, 20 seeded inputs (plus all-min and
all-max), every output byte compared with TFLM.
"""

import aot_op_models as m
import numpy as np
import pytest
from aot_op_cases import assert_exact

from tinyml_build.model.reader import read_model
from tinyml_build.verification.host_check import check_model, random_inputs


def _check(data: bytes, name: str, runs: int = 20, inputs=None, sanitize: bool = False):
    model = read_model(data, where=f"{name}.tflite", name=name)
    report = check_model(model, runs=runs, inputs=inputs, sanitize=sanitize)
    assert_exact(report)
    return report


SOFTMAX_CASES = {
    "int8_default": dict(),
    "int8_rows_beta2": dict(shape=(3, 7), in_scale=0.5, in_zp=-10, beta=2.0),
    "int8_long_rows_small_scale": dict(shape=(2, 100), in_scale=0.01, in_zp=0),
    "int8_4d": dict(shape=(1, 2, 3, 5), in_scale=0.2, in_zp=7),
    "int8_single_class": dict(shape=(1, 1)),
    "int16_out": dict(out_dtype="int16"),
    "int16_out_beta": dict(shape=(4, 33), in_scale=0.3, beta=0.7, out_dtype="int16"),
}


@pytest.mark.parametrize("case", sorted(SOFTMAX_CASES))
def test_softmax(case):
    _check(m.softmax_model(**SOFTMAX_CASES[case]), f"softmax_{case}")


QUANTIZE_CASES = {
    "f32_s8": dict(),
    "f32_s16": dict(out_dtype="int16", out_scale=0.001, out_zp=0),
    "s8_s8": dict(in_dtype="int8", in_scale=0.05, in_zp=3),
    "s8_s16": dict(in_dtype="int8", out_dtype="int16", in_scale=0.05, in_zp=3, out_scale=0.0003, out_zp=0),
    "s8_s32": dict(in_dtype="int8", out_dtype="int32", in_scale=0.05, in_zp=3, out_scale=0.0003, out_zp=0),
    "s8_u8": dict(in_dtype="int8", out_dtype="uint8", in_scale=0.05, in_zp=3, out_scale=0.05, out_zp=131),
    "u8_s8": dict(in_dtype="uint8", in_scale=0.05, in_zp=128, out_scale=0.05, out_zp=0),
    "s16_s8": dict(in_dtype="int16", in_scale=0.001, in_zp=0),
    "s16_s16": dict(in_dtype="int16", out_dtype="int16", in_scale=0.001, out_scale=0.0007, out_zp=0),
    "s16_s32": dict(in_dtype="int16", out_dtype="int32", in_scale=0.001, out_scale=0.0007, out_zp=0),
    "s32_s8": dict(in_dtype="int32", in_scale=0.00001),
    "s32_s16": dict(in_dtype="int32", out_dtype="int16", in_scale=0.00001, out_scale=0.0005, out_zp=0),
}


@pytest.mark.parametrize("case", sorted(QUANTIZE_CASES))
def test_quantize(case):
    _check(m.quantize_model(**QUANTIZE_CASES[case]), f"quantize_{case}")


def test_quantize_float_rounds_ties_away_from_zero():
    scale = 0.1
    data = m.quantize_model(shape=(1, 600), out_scale=scale, out_zp=-7)
    ties = ((np.arange(-300, 300) + 0.5) * np.float32(scale)).astype(np.float32).reshape(1, 600)
    _check(data, "quantize_ties", inputs=[[ties], [-ties], [ties * 3]])


@pytest.mark.parametrize("dtype, zp", [("int8", -5), ("uint8", 128), ("int16", 0)])
def test_dequantize(dtype, zp):
    _check(m.dequantize_model(dtype, zp=zp), f"dequantize_{dtype}")


def test_quantize_and_softmax_under_sanitizers():
    _check(m.softmax_model(shape=(3, 7), in_scale=0.5, in_zp=-10, beta=2.0), "softmax_san", runs=5, sanitize=True)
    _check(m.quantize_model("int16", "int8", in_scale=0.001), "quantize_san", runs=5, sanitize=True)


def test_random_inputs_start_with_extremes():
    model = read_model(m.quantize_model("int8", "int8", in_scale=0.05), where="q.tflite")
    runs = random_inputs(model, 4, seed=0)
    assert (runs[0][0] == -128).all() and (runs[1][0] == 127).all()
    assert runs[2][0].shape == (2, 5) and runs[2][0].dtype == np.int8


# (kernel, stride, dilation, padding, activation, per_channel)
WINDOW_CASES = {
    "3x3_s1_same": ((3, 3), (1, 1), (1, 1), "SAME", "NONE", True),
    "3x3_s2_same_relu": ((3, 3), (2, 2), (1, 1), "SAME", "RELU", True),
    "3x3_s2_valid_relu6_per_tensor": ((3, 3), (2, 2), (1, 1), "VALID", "RELU6", False),
    "1x1_s1": ((1, 1), (1, 1), (1, 1), "SAME", "NONE", True),
    "1x1_s2_valid": ((1, 1), (2, 2), (1, 1), "VALID", "RELU", True),
    "5x3_s2x1_relu_n1_to_1": ((5, 3), (2, 1), (1, 1), "SAME", "RELU_N1_TO_1", True),
    "3x3_dilated": ((3, 3), (1, 1), (2, 2), "SAME", "NONE", True),
    "2x4_s3x2_dilated_valid": ((2, 4), (3, 2), (2, 1), "VALID", "NONE", True),
    "10x4_s2_same": ((10, 4), (2, 2), (1, 1), "SAME", "RELU", True),
}


@pytest.mark.parametrize("case", sorted(WINDOW_CASES))
def test_conv2d(case):
    kernel, stride, dilation, padding, activation, per_channel = WINDOW_CASES[case]
    _check(m.conv_model(in_shape=(1, 11, 10, 3), out_channels=5, kernel=kernel, stride=stride, dilation=dilation,
                        padding=padding, activation=activation, per_channel=per_channel, seed=len(case)),
           f"conv_{case}")


@pytest.mark.parametrize("case", ["no_bias", "1x1_batches_odd_channels", "grouped", "grouped_1x1"])
def test_conv2d_special(case):
    data = {
        "no_bias": lambda: m.conv_model(bias=False),
        "1x1_batches_odd_channels": lambda: m.conv_model(in_shape=(2, 6, 6, 37), out_channels=19, kernel=(1, 1)),
        "grouped": lambda: m.conv_model(in_shape=(1, 7, 7, 4), out_channels=6, groups=2),
        "grouped_1x1": lambda: m.conv_model(in_shape=(1, 5, 5, 8), out_channels=8, kernel=(1, 1), groups=4),
    }[case]()
    _check(data, f"conv_{case}")


@pytest.mark.parametrize("case", sorted(WINDOW_CASES))
@pytest.mark.parametrize("multiplier", [1, 3, 8])
def test_depthwise_conv2d(case, multiplier):
    kernel, stride, dilation, padding, activation, per_channel = WINDOW_CASES[case]
    channels = 6 if multiplier == 1 else 3
    _check(m.depthwise_model(in_shape=(1, 11, 10, channels), multiplier=multiplier, kernel=kernel, stride=stride,
                             dilation=dilation, padding=padding, activation=activation, per_channel=per_channel,
                             seed=len(case) + multiplier), f"dw_{case}_m{multiplier}", runs=8)


@pytest.mark.parametrize("case", ["3x3_s2_same_relu", "10x4_s2_same", "3x3_dilated", "2x4_s3x2_dilated_valid"])
@pytest.mark.parametrize("multiplier", [1, 8])
def test_depthwise_conv2d_single_input_channel(case, multiplier):
    """One input channel: tml_depthwise_conv2d_s8_single when the multiplier is a multiple of 4, else
    the CONV_2D kernel; still TFLM's depthwise result."""
    kernel, stride, dilation, padding, activation, per_channel = WINDOW_CASES[case]
    data = m.depthwise_model(in_shape=(1, 13, 9, 1), multiplier=multiplier, kernel=kernel, stride=stride,
                             dilation=dilation, padding=padding, activation=activation, per_channel=per_channel,
                             seed=multiplier)
    model = read_model(data, where="dw1.tflite", name="dw1")
    from tinyml_build.runtimes.aot import lower_model
    kernel_call = "tml_depthwise_conv2d_s8_single(" if multiplier % 4 == 0 else "tml_conv2d_s8("
    assert kernel_call in lower_model(model).steps[0].statements[0]
    _check(data, f"dw1_{case}_m{multiplier}", runs=8)


POOL_CASES = {
    "3x3_s2_same": ((3, 3), (2, 2), "SAME", "NONE"),
    "2x2_s2_valid_relu": ((2, 2), (2, 2), "VALID", "RELU"),
    "3x3_s1_same_relu6": ((3, 3), (1, 1), "SAME", "RELU6"),
    "4x3_s3x2_same": ((4, 3), (3, 2), "SAME", "NONE"),
    "global_9x9": ((9, 9), (1, 1), "VALID", "NONE"),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
@pytest.mark.parametrize("kind", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pooling(kind, case):
    filter_, stride, padding, activation = POOL_CASES[case]
    _check(m.pool_model(kind, filter=filter_, stride=stride, padding=padding, activation=activation), f"{kind}_{case}")


def test_windowed_ops_under_sanitizers():
    _check(m.conv_model(in_shape=(1, 7, 6, 3), kernel=(3, 3), stride=(2, 2), padding="SAME", groups=1), "conv_san",
           runs=4, sanitize=True)
    _check(m.conv_model(in_shape=(1, 5, 5, 4), out_channels=6, kernel=(3, 3), groups=2), "conv_odd_san",
           runs=4, sanitize=True)
    _check(m.conv_model(in_shape=(1, 5, 5, 5), out_channels=7, kernel=(1, 1)), "conv_1x1_san", runs=4, sanitize=True)
    _check(m.depthwise_model(in_shape=(1, 9, 7, 1), multiplier=8, kernel=(4, 3), padding="SAME"), "dw1_san",
           runs=4, sanitize=True)
    _check(m.depthwise_model(in_shape=(1, 7, 6, 2), multiplier=3, padding="SAME"), "dw_san", runs=4, sanitize=True)
    _check(m.pool_model("AVERAGE_POOL_2D"), "avgpool_san", runs=4, sanitize=True)
