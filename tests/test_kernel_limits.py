"""Op uses a kernel library's Prepare refuses (analysis/kernel_limits.py): CMSIS-NN's FULLY_CONNECTED
takes per-channel weights only with int8 input, while TensorFlow's 16x8 converter writes per-channel
FC weights. The target's default library gives way to the reference kernels with a note; an explicit
kernels=cmsis-nn is refused at build time -- never a firmware whose arena probe "does not set up"."""

import numpy as np
import pytest
from tflite_builder import ModelBuilder
from tflm_testlib import needs_qemu, needs_sources, needs_toolchain, scons

from tinyml_build.analysis.kernel_limits import library_refusals
from tinyml_build.config.build_config import _check_library_refusals, _default_kernels_for
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.model.schema import fb


def _fc_model(input_dtype: str, channels_scales: int, units: int = 6, features: int = 10) -> bytes:
    """x -> FULLY_CONNECTED(units) with `channels_scales` weight scales (1: per-tensor, units: per-channel)."""
    rng = np.random.default_rng(units * features + channels_scales)
    b = ModelBuilder()
    x = b.tensor("input", input_dtype, [1, features], scale=0.05, zero_point=0 if input_dtype == "int16" else -3)
    scales = list(0.01 + 0.01 * rng.random(channels_scales))
    w = b.tensor("weights", "int8", [units, features], data=rng.integers(-127, 128, (units, features)).astype(np.int8),
                 scale=scales, zero_point=[0] * channels_scales)
    bias_dtype = "int64" if input_dtype == "int16" else "int32"
    bias = b.tensor("bias", bias_dtype, [units], data=rng.integers(-200, 200, units).astype(bias_dtype),
                    scale=[0.05 * s for s in scales], zero_point=[0] * channels_scales)
    y = b.tensor("output", input_dtype, [1, units], scale=0.1, zero_point=0 if input_dtype == "int16" else 2)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _refusals(tmp_path, data: bytes):
    path = tmp_path / "fc.tflite"
    path.write_bytes(data)
    return library_refusals(load_model(path))


@pytest.mark.parametrize("input_dtype, scales, refused", [
    ("int16", 6, True),  # 16x8 per-channel: CMSIS-NN refuses
    ("int16", 1, False),  # 16x8 per-tensor
    ("int8", 6, False),  # int8 per-channel
])
def test_cmsis_nn_fully_connected_limit(tmp_path, input_dtype, scales, refused):
    found = _refusals(tmp_path, _fc_model(input_dtype, scales))
    assert bool(found) == refused
    if refused:
        library, reason = found[0]
        assert library == "cmsis-nn"
        assert reason.startswith("op #0 FULLY_CONNECTED (subgraph 0): per-channel int8 weights with int16 input;")


def test_default_library_gives_way_and_an_explicit_one_is_refused():
    refusals = [("cmsis-nn", "op #3 FULLY_CONNECTED (subgraph 0): per-channel int8 weights with int16 input; why")]
    kernels, note = _default_kernels_for(["FULLY_CONNECTED"], "cmsis-nn", explicit=False, refusals=refusals)
    assert kernels == "reference"
    assert note == ("the target's cmsis-nn cannot run op #3 FULLY_CONNECTED (subgraph 0): per-channel int8 weights "
                    "with int16 input")
    assert _default_kernels_for(["FULLY_CONNECTED"], "cmsis-nn", explicit=True, refusals=refusals) == ("cmsis-nn", "")
    with pytest.raises(TinyMLError) as caught:
        _check_library_refusals("cmsis-nn", refusals)
    assert caught.value.where == "kernels=" and "kernels=reference" in caught.value.fix
    _check_library_refusals("reference", refusals)  # the reference kernels run it


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.tflm_sources
@needs_toolchain
@needs_qemu
@needs_sources
def test_16x8_per_channel_fc_builds_and_passes_with_tflm(tmp_path):
    model = tmp_path / "fc16.tflite"
    model.write_bytes(_fc_model("int16", 6))
    result = scons("target=qemu-m4", f"model={model}", "runtime=tflm", f"build_dir={tmp_path / 'b'}", "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "kernels=reference (the target's cmsis-nn cannot run op #0 FULLY_CONNECTED" in result.stdout
    assert "TML-RESULT status=PASS" in result.stdout
    refused = scons("target=qemu-m4", f"model={model}", "runtime=tflm", "kernels=cmsis-nn",
                    f"build_dir={tmp_path / 'b'}")
    assert refused.returncode != 0
    assert "kernels=cmsis-nn cannot run this model: op #0 FULLY_CONNECTED" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout


# --- ESP-NN: the esp_nn wrappers' DCHECKs on int8 conv/depthwise uses TFLM's reference kernels run -------

def _conv_model(op: str, bias: bool, groups: int = 1, dilation: int = 1, dtype: str = "int8") -> bytes:
    """x (1x5x5x4) -> CONV_2D / DEPTHWISE_CONV_2D (4 output channels, 3x3), with or without a bias."""
    rng = np.random.default_rng(groups * 10 + bias)
    b = ModelBuilder()
    x = b.tensor("input", dtype, [1, 5, 5, 4], scale=0.05, zero_point=-3)
    in_channels = 4 // groups if op == "CONV_2D" else 1
    shape = [4, 3, 3, in_channels] if op == "CONV_2D" else [1, 3, 3, 4]
    w = b.tensor("weights", "int8", shape, data=rng.integers(-127, 128, shape).astype(np.int8),
                 scale=[0.02] * 4, zero_point=[0] * 4, axis=0 if op == "CONV_2D" else 3)
    inputs = [x, w]
    if bias:
        inputs.append(b.tensor("bias", "int32", [4], data=rng.integers(-200, 200, 4).astype(np.int32),
                               scale=[0.001] * 4, zero_point=[0] * 4))
    else:
        inputs.append(-1)
    y = b.tensor("output", dtype, [1, 5, 5, 4], scale=0.1, zero_point=2)
    if op == "CONV_2D":
        options = fb.Conv2DOptionsT()
        code, kind = fb.BuiltinOperator.CONV_2D, fb.BuiltinOptions.Conv2DOptions
    else:
        options = fb.DepthwiseConv2DOptionsT()
        options.depthMultiplier = 1
        code, kind = fb.BuiltinOperator.DEPTHWISE_CONV_2D, fb.BuiltinOptions.DepthwiseConv2DOptions
    options.padding = fb.Padding.SAME
    options.strideW = options.strideH = 1
    options.dilationWFactor = options.dilationHFactor = dilation
    b.op(b.opcode(code, version=3), inputs, [y], kind, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("op, bias, groups, dilation, refused", [
    ("CONV_2D", True, 1, 1, None),
    ("CONV_2D", False, 1, 1, "int8 without a bias"),
    ("CONV_2D", True, 2, 1, "grouped int8 convolution (4 input channels, filters of 2)"),
    ("CONV_2D", False, 1, 2, None),  # dilated: the wrapper's reference path
    ("DEPTHWISE_CONV_2D", True, 1, 1, None),
    ("DEPTHWISE_CONV_2D", False, 1, 1, "int8 without a bias"),
])
def test_esp_nn_conv_limits(tmp_path, op, bias, groups, dilation, refused):
    found = _refusals(tmp_path, _conv_model(op, bias, groups, dilation))
    assert [library for library, _ in found] == ([] if refused is None else ["esp-nn"])
    if refused:
        assert found[0][1].startswith(f"op #0 {op} (subgraph 0): {refused}"), found
        assert "aborts at the first invoke" in found[0][1]
