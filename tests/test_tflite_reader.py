"""The reader against real models: op lists, shapes and quantization as TFLM sees them."""

import numpy as np
import pytest
from conftest import SHARED_MODELS, shared_model, shared_model_paths
from tflite_builder import fully_connected_model

from tinyml_build.model import load_model, read_model
from tinyml_build.model.reader import model_name_from_path

# Operators per reference model, from shared/models/README.md.
EXPECTED_OPS = {
    "add0": ["ADD"],
    "conv0": ["CONV_2D"],
    "hello_world_float": ["FULLY_CONNECTED"],
    "hello_world_int8": ["FULLY_CONNECTED"],
    "keyword_scrambled_8bit": ["DEQUANTIZE", "FULLY_CONNECTED", "QUANTIZE", "SOFTMAX", "SVDF"],
    "leaky_relu0": ["LEAKY_RELU"],
    "micro_speech_quantized": ["DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"],
    "pad0": ["PAD"],
    "person_detect": ["AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "RESHAPE", "SOFTMAX"],
    "quantize0": ["QUANTIZE"],
    "simple_add_model": ["ADD"],
    "strided_slice0": ["STRIDED_SLICE"],
    "sub0": ["SUB"],
    "trained_lstm_int8": ["FULLY_CONNECTED", "RESHAPE", "SOFTMAX", "UNIDIRECTIONAL_SEQUENCE_LSTM"],
    "transpose_conv4": ["TRANSPOSE_CONV"],
}


@pytest.mark.shared_models
def test_every_reference_model_is_listed():
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"reference models not found at {SHARED_MODELS}")
    assert sorted(p.stem for p in shared_model_paths()) == sorted(EXPECTED_OPS)


@pytest.mark.shared_models
@pytest.mark.parametrize("name", sorted(EXPECTED_OPS))
def test_reference_model_ops(name):
    model = load_model(shared_model(f"{name}.tflite"))
    ops = model.op_names()
    # keyword_scrambled_8bit's README lists DEQUANTIZE, but the file's operator_codes table is what counts:
    # every op the reader reports must be in the README list, and every executed op must be reported.
    assert set(ops) <= set(EXPECTED_OPS[name])
    assert set(ops) == {op.name for sg in model.subgraphs for op in sg.operators}


@pytest.mark.shared_models
@pytest.mark.parametrize("name", sorted(EXPECTED_OPS))
def test_io_matches_tflm_interpreter(name):
    """Inputs and outputs (shape, dtype, quantization) agree with the tflite-micro interpreter."""
    from tflite_micro import runtime

    path = shared_model(f"{name}.tflite")
    model = load_model(path)
    interpreter = runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=8 << 20)
    sg = model.main
    for position, index in enumerate(sg.inputs):
        tensor = sg.tensors[index]
        details = interpreter.get_input_details(position)
        assert tuple(details["shape"]) == tensor.shape
        assert np.dtype(details["dtype"]).name == tensor.dtype
        if tensor.quantization:
            assert details["quantization_parameters"]["scales"][0] == pytest.approx(tensor.quantization.scale[0])
            assert details["quantization_parameters"]["zero_points"][0] == tensor.quantization.zero_point[0]
    for position, index in enumerate(sg.outputs):
        tensor = sg.tensors[index]
        details = interpreter.get_output_details(position)
        assert tuple(details["shape"]) == tensor.shape
        assert np.dtype(details["dtype"]).name == tensor.dtype


@pytest.mark.shared_models
def test_person_detect_details():
    model = load_model(shared_model("person_detect.tflite"))
    sg = model.main
    assert sg.tensors[sg.inputs[0]].shape == (1, 96, 96, 1)
    assert sg.tensors[sg.outputs[0]].shape == (1, 2)
    first = sg.operators[0]
    assert first.name == "DEPTHWISE_CONV_2D"
    assert first.options["padding"] == "SAME" and first.options["stride_w"] == 2
    assert first.options["fused_activation_function"] == "RELU6"
    assert first.options["dilation_w_factor"] == 1
    weights = sg.tensors[first.inputs[1]]
    assert weights.quantization.per_channel and len(weights.quantization.scale) == weights.shape[3]
    # Per-channel biases carry the weights' axis (3) in the file; the reader normalises it to 0.
    bias = sg.tensors[first.inputs[2]]
    assert bias.quantization.axis == 0 and bias.array().dtype == np.int32


def test_constant_data_round_trips():
    data = fully_connected_model(seed=3)
    model = read_model(data)
    weights = model.main.tensors[1]
    assert weights.is_constant and weights.array().shape == (4, 8)
    assert model.sha256 and model.size == len(data)
    assert not model.main.tensors[0].is_constant


@pytest.mark.shared_models
def test_operator_code_prefers_larger_field():
    model = load_model(shared_model("hello_world_int8.tflite"))
    assert all(code.builtin == "FULLY_CONNECTED" for code in model.operator_codes)


@pytest.mark.parametrize("path,name", [("models/kws/kws.tflite", "kws"), ("a/my-model v2.tflite", "my_model_v2"),
                                       ("3d.tflite", "m_3d")])
def test_model_name_is_a_c_identifier(path, name):
    assert model_name_from_path(path) == name
