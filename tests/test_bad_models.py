"""Broken and unsuitable models: one clear ModelError each, no traceback, from the CLI too."""

import struct
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_DIR, shared_model
from tflite_builder import ModelBuilder, fully_connected_model

from tinyml_build.analysis.analyze import analyze, check_buildable
from tinyml_build.errors import ModelError
from tinyml_build.model import read_model
from tinyml_build.model.schema import fb


def _valid() -> bytes:
    return fully_connected_model()


def _error(data: bytes) -> str:
    with pytest.raises(ModelError) as info:
        read_model(data, where="bad.tflite")
    text = str(info.value)
    assert text.startswith("bad.tflite: ") and "fix:" in text
    return text


def test_empty_file():
    assert "empty" in _error(b"")


def test_tiny_file():
    assert "too small" in _error(b"TFL3")


def test_wrong_identifier():
    data = bytearray(_valid())
    data[4:8] = b"ABCD"
    assert "identifier is 'ABCD', expected 'TFL3'" in _error(bytes(data))


def test_keras_h5_is_recognised():
    assert "HDF5" in _error(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)


def test_random_bytes():
    rng = np.random.default_rng(7)
    data = bytearray(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "not a TFLite model" in _error(bytes(data))
    data[4:8] = b"TFL3"  # right identifier, garbage behind it
    assert "corrupt model" in _error(bytes(data))


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated(keep):
    data = _valid()
    text = _error(data[: int(len(data) * keep)])
    assert "corrupt model" in text or "too small" in text


def test_root_offset_beyond_end():
    data = bytearray(_valid())
    data[0:4] = struct.pack("<I", len(data) + 100)
    assert "beyond the end" in _error(bytes(data))


def test_vector_length_beyond_end():
    """Corrupt the weights buffer's length field: the reader must notice before reading it."""
    data = bytearray(_valid())
    weights = np.random.default_rng(0).integers(-127, 128, size=(4, 8)).astype(np.int8).tobytes()
    at = bytes(data).find(weights)
    assert at > 4
    data[at - 4:at] = struct.pack("<I", 1 << 27)
    assert "runs past the end" in _error(bytes(data))


def test_absurd_shape():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [1 << 20, 1 << 20, 64], scale=0.1, zero_point=0)
    b.inputs = b.outputs = [x]
    assert "absurdly large" in _error(b.build())


def test_negative_dimension():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [-1, 10], scale=0.1, zero_point=0)
    b.inputs = b.outputs = [x]
    assert "dynamic" in _error(b.build())


def test_tensor_index_out_of_range():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.RELU), [x], [7])
    b.inputs, b.outputs = [x], [x]
    assert "tensor index 7 out of range" in _error(b.build())


def test_unknown_builtin_code():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(4000), [x], [x])
    b.inputs = b.outputs = [x]
    assert "unknown builtin operator code 4000" in _error(b.build())


def test_custom_op_without_name():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM), [x], [x])
    b.inputs = b.outputs = [x]
    assert "custom operator without a name" in _error(b.build())


def test_bad_per_channel_quantization():
    b = ModelBuilder()
    x = b.tensor("w", "int8", [3, 4], data=np.zeros((3, 4), np.int8), scale=[0.1, 0.2], zero_point=[0, 0], axis=0)
    b.inputs = b.outputs = [x]
    assert "2 per-channel scales but dimension 0 has 3 channels" in _error(b.build())


def test_non_positive_scale():
    b = ModelBuilder()
    x = b.tensor("input", "int8", [1, 4], scale=0.0, zero_point=0)
    b.inputs = b.outputs = [x]
    assert "scale must be finite and positive" in _error(b.build())


def test_constant_size_mismatch():
    b = ModelBuilder()
    x = b.tensor("w", "int8", [4, 4], data=np.zeros(3, np.int8))
    b.inputs = b.outputs = [x]
    assert "constant data is 3 bytes" in _error(b.build())


def test_hybrid_model_is_refused_at_build_time():
    analysis = analyze(read_model(fully_connected_model(input_dtype="float32"), where="hybrid.tflite"))
    with pytest.raises(ModelError) as info:
        check_buildable(analysis)
    text = str(info.value)
    assert "hybrid" in text and "'weights' (tensor #1)" in text and "op #0 FULLY_CONNECTED" in text
    assert "representative_dataset" in text


def test_float16_weights_are_refused():
    analysis = analyze(read_model(fully_connected_model(input_dtype="float32", weight_dtype="float16")))
    assert any("float16" in f.what for f in analysis.errors)


@pytest.mark.shared_models
def test_float_model_is_fine():
    analysis = analyze(read_model(shared_model("hello_world_float.tflite").read_bytes()))
    assert analysis.findings == []
    check_buildable(analysis)


@pytest.mark.parametrize("content", [b"", b"\x00" * 3, b"garbage" * 100])
def test_cli_prints_one_message_without_traceback(tmp_path, content):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "tinyml_build", "inspect", str(bad)], capture_output=True, text=True,
                            cwd=PROJECT_DIR)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("tinyml-build: error: ") and "Traceback" not in result.stderr
    assert str(bad) in result.stderr and "fix:" in result.stderr
