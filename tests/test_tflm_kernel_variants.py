"""Type-specialized kernels in real runtime=tflm images: an int8 model's cmsis-nn image registers
Register_<OP>_INT8 kernels, links none of CMSIS-NN's int4/int16 functions, and still matches the
tflite-micro interpreter bit for bit in QEMU; an image mixing int8 and 16x8 uses of one op keeps that
op's generic registration (and matches too); a 16x8 model gets Register_CONV_2D_INT16."""

import json
import re

import pytest
from conftest import SHARED_MODELS
from tflm_testlib import needs_qemu, needs_sources, needs_toolchain, scons, shared_build_root

from tinyml_build.image.elf import read_elf

pytestmark = [needs_toolchain, needs_qemu, needs_sources, pytest.mark.qemu, pytest.mark.tflm_sources, pytest.mark.slow]

# A CMSIS-NN function for int4 weights or int16 data: an `_s4` or `_s16` name part, except the int8
# convolution's helpers that widen int8 to int16 inside (arm_nn_mat_mult_kernel*_s8_s16,
# arm_s8_to_s16_unordered_with_offset, called by arm_convolve_s8 and arm_convolve_1x1_s8_fast).
S4_S16 = re.compile(r"^arm_\w*?_(s4|s16)(_|$)")
S8_CONV_HELPER = re.compile(r"^arm_(nn_mat_mult_kernel\w*_s8_s16|s8_to_s16_unordered_with_offset)$")
# What stays with the int8 registrations, and why: the Prepare they share with the generic kernel asks
# CMSIS-NN for the scratch size of whichever type the tensors have, and cmsis_nn/pooling.cc's int8 Eval
# still switches on the type at run time (AverageEvalQuantized). Together under 1 KB of the 26 KB.
STILL_LINKED = {"arm_avgpool_s16", "arm_avgpool_s16_get_buffer_size", "arm_convolve_wrapper_s16_get_buffer_size",
                "arm_depthwise_conv_wrapper_s4_get_buffer_size", "arm_fully_connected_s16_get_buffer_size"}


def is_s4_s16(name: str) -> bool:
    return bool(S4_S16.match(name)) and not S8_CONV_HELPER.match(name)


def s4_s16_functions(elf) -> set[str]:
    return {s.name for s in elf.symbols if s.kind == "function" and is_s4_s16(s.name)}


def typed_calls(header: str) -> dict[str, str]:
    return dict(re.findall(r"r\.(Add\w+)\(tflite::(Register_\w+)\(\)\)", header))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return shared_build_root(tmp_path_factory)


def _image(root, models: str, label: str) -> dict:
    result = scons("target=qemu-m4", f"model={models}", "kernels=cmsis-nn", "runtime=tflm", f"build_dir={root}", "test")
    out = root / "qemu-m4" / label
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["status"] == "PASS", verdict["problems"]
    for name, facts in verdict["models"].items():
        assert facts["vectors"] >= 3 and facts["passed"] == facts["vectors"], (name, verdict["problems"])
    return {"out": out, "elf": read_elf(out / "firmware.elf"),
            "resolver": (out / "gen" / f"{label.replace('+', '_')}_op_resolver.h").read_text()}


def test_int8_image_links_no_s4_s16_function_and_stays_bit_exact(root):
    kws = _image(root, "kws", "kws")
    assert typed_calls(kws["resolver"]) == {
        "AddAveragePool2D": "Register_AVERAGE_POOL_2D_INT8", "AddConv2D": "Register_CONV_2D_INT8",
        "AddDepthwiseConv2D": "Register_DEPTHWISE_CONV_2D_INT8", "AddFullyConnected": "Register_FULLY_CONNECTED_INT8",
        "AddSoftmax": "Register_SOFTMAX_INT8"}
    linked = {s.name for s in kws["elf"].symbols if s.kind == "function"}
    assert {"arm_convolve_s8", "arm_depthwise_conv_s8", "arm_fully_connected_s8", "arm_softmax_s8"} <= linked
    left = s4_s16_functions(kws["elf"])
    assert left <= STILL_LINKED, sorted(left - STILL_LINKED)
    assert sum(s.size for s in kws["elf"].symbols if s.name in left) < 1024
    for gone in ("arm_nn_mat_mult_nt_t_s4", "arm_convolve_s16", "arm_depthwise_conv_s4", "arm_softmax_s8_s16"):
        assert gone not in linked
    library = json.loads((kws["out"] / "size.json").read_text())["notes"]["kernel_library"]
    assert library["name"] == "cmsis-nn"
    assert {f["name"] for f in library["functions"] if is_s4_s16(f["name"])} <= STILL_LINKED


@pytest.mark.shared_models
def test_16x8_model_gets_the_int16_kernel_and_a_mixed_image_the_generic_one(root):
    conv0 = SHARED_MODELS / "conv0.tflite"
    if not conv0.is_file():
        pytest.skip(f"{conv0} not found")
    alone = _image(root, str(conv0), "conv0")
    assert typed_calls(alone["resolver"]) == {"AddConv2D": "Register_CONV_2D_INT16"}
    assert "arm_convolve_s16" in {s.name for s in alone["elf"].symbols}
    assert "arm_convolve_s8" not in {s.name for s in alone["elf"].symbols}
    mixed = _image(root, f"kws,{conv0}", "kws+conv0")
    calls = typed_calls(mixed["resolver"])
    assert "AddConv2D" not in calls and "  if (r.AddConv2D() != kTfLiteOk) return kTfLiteError;" in mixed["resolver"]
    assert calls["AddDepthwiseConv2D"] == "Register_DEPTHWISE_CONV_2D_INT8"  # only conv is mixed
    assert {"arm_convolve_s8", "arm_convolve_s16"} <= {s.name for s in mixed["elf"].symbols}
