"""runtime=aot LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU bit-exact with tflite-micro
(int16 LOGISTIC and TANH: tests/test_aot_ops_math.py).

int8 ops are 256-entry tables computed on the host (tinyml_build/runtimes/aot/int8_tables.py); the
table tests feed every int8 value through the golden oracle (the pinned TFLM) at many input/output
quantizations, so the host arithmetic is checked exhaustively, not just on samples.
"""

import itertools

import numpy as np
import pytest
from aot_op_cases import assert_exact
from aot_tf_models import op_model
from conftest import shared_model
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot import int8_tables
from tinyml_build.verification.host_check import check_model
from tinyml_build.verification.oracle import select_oracle

ALL_INT8 = np.array(int8_tables.INPUTS, dtype=np.int8).reshape(1, 256)


def _unary_model(op: str, in_q, out_q, dtype="int8", shape=(1, 256), alpha=None) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, shape, scale=in_q[0], zero_point=in_q[1])
    y = b.tensor("y", dtype, shape, scale=out_q[0], zero_point=out_q[1])
    if alpha is not None:
        options = fb.LeakyReluOptionsT()
        options.alpha = alpha
        b.op(b.opcode(fb.BuiltinOperator.LEAKY_RELU, version=2), [x], [y], fb.BuiltinOptions.LeakyReluOptions, options)
    else:
        b.op(b.opcode(getattr(fb.BuiltinOperator, op), version=2), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _tflm_all_int8(data: bytes) -> np.ndarray:
    """Every int8 value through the selected oracle (the pinned TFLM when its sources resolve)."""
    outputs, _ = select_oracle().run(read_model(data, where="m.tflite", name="m"), [[ALL_INT8]])
    return outputs[0][0].reshape(-1)


IN_SCALES = [0.002, 0.02, 0.0625, 0.1, 0.37, 1.0, 3.0]
IN_ZERO_POINTS = [-128, -9, 0, 100]


@pytest.mark.parametrize("in_scale,in_zp", list(itertools.product(IN_SCALES, IN_ZERO_POINTS)))
def test_logistic_and_tanh_tables_exhaustive(in_scale, in_zp):
    logistic = _unary_model("LOGISTIC", (in_scale, in_zp), (1 / 256, -128))
    assert int8_tables.logistic_table(in_scale, in_zp).tolist() == _tflm_all_int8(logistic).tolist()
    tanh = _unary_model("TANH", (in_scale, in_zp), (1 / 128, 0))
    assert int8_tables.tanh_table(in_scale, in_zp).tolist() == _tflm_all_int8(tanh).tolist()


@pytest.mark.parametrize("in_q,out_q", [((0.02, -10), (0.03, -128)), ((0.05, 5), (0.04, -100)),
                                        ((0.1, -128), (0.02, 0)), ((0.5, 30), (0.7, -50)), ((0.004, 0), (0.09, -128))])
def test_hard_swish_table_exhaustive(in_q, out_q):
    data = _unary_model("HARD_SWISH", in_q, out_q)
    assert int8_tables.hard_swish_table(*in_q, *out_q).tolist() == _tflm_all_int8(data).tolist()


@pytest.mark.parametrize("in_q,out_q", [((0.05, -3), (0.05, -3)), ((0.05, 17), (0.02, -128)),
                                       ((0.3, -128), (0.1, -40))])
def test_relu_table_exhaustive(in_q, out_q):
    data = _unary_model("RELU", in_q, out_q)
    assert int8_tables.relu_table(*in_q, *out_q).tolist() == _tflm_all_int8(data).tolist()


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.3, 1.5, -0.4])
@pytest.mark.parametrize("in_q,out_q", [((0.05, -3), (0.05, -3)), ((0.05, 17), (0.02, -60))])
def test_leaky_relu_table_exhaustive(alpha, in_q, out_q):
    data = _unary_model("LEAKY_RELU", in_q, out_q, alpha=alpha)
    assert int8_tables.leaky_relu_table(*in_q, *out_q, alpha).tolist() == _tflm_all_int8(data).tolist()


TF_MODELS = ["logistic", "tanh", "hard_swish", "relu", "relu6", "leaky_relu"]


@pytest.mark.parametrize("name", TF_MODELS)
def test_converted_int8_model_bit_exact(name):
    report = check_model(op_model(name), runs=20)
    assert_exact(report)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu"])
def test_converted_int16_model_bit_exact(name):
    report = check_model(op_model(name, int16=True), runs=20)
    assert_exact(report)


@pytest.mark.parametrize("name", ["logistic", "relu6"])
def test_converted_model_under_sanitizers(name):
    report = check_model(op_model(name), runs=3, sanitize=True)
    assert_exact(report)


@pytest.mark.shared_models
def test_reference_int16_leaky_relu_bit_exact():
    report = check_model(shared_model("leaky_relu0.tflite"), runs=20)
    assert_exact(report)
    report = check_model(shared_model("leaky_relu0.tflite"), runs=3, sanitize=True)
    assert_exact(report)


@pytest.mark.parametrize("alpha", [0.1, -0.5, 2.0])
def test_int16_leaky_relu_alphas(tmp_path, alpha):
    path = tmp_path / "leaky16.tflite"
    path.write_bytes(_unary_model("LEAKY_RELU", (0.001, 0), (0.0013, 0), dtype="int16", shape=(4, 300), alpha=alpha))
    report = check_model(path, runs=10)
    assert_exact(report)


def test_int16_relu_with_rescale(tmp_path):
    path = tmp_path / "relu16.tflite"
    path.write_bytes(_unary_model("RELU", (0.002, 0), (0.0007, 0), dtype="int16", shape=(3, 100)))
    report = check_model(path, runs=10)
    assert_exact(report)
