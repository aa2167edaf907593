"""runtime=aot kernels, one op at a time, bit-exact against the tflite-micro interpreter.

Each case builds a one-op model (tests/aot_op_models.py) for a point of the op's option space
and runs host_check: generated C compiled with -Werror, 20 seeded inputs (plus all-min and
all-max), every output byte compared with TFLM.
"""

import numpy as np
import pytest

import aot_op_models as m
from tinyml_build.aot.host_check import check_model, random_inputs
from tinyml_build.tflite.reader import read_model


def _check(data: bytes, name: str, runs: int = 20, inputs=None, sanitize: bool = False):
    model = read_model(data, where=f"{name}.tflite", name=name)
    report = check_model(model, runs=runs, inputs=inputs, sanitize=sanitize)
    assert report.ok, str(report)
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
