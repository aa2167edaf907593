"""What a `test` run measures besides correctness, end to end through scons: the stack high-water
mark (test.json "stack") and images built without test vectors (test_vectors=0: one fixed input,
verdict "unchecked", no test-vector flash)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_DIR

from tinyml_build.config.options import DEFAULT_RANDOM_VECTORS
from tinyml_build.model.reader import load_model
from tinyml_build.verification.golden import edge_vectors, tensor_specs

HELLO_TFLITE = PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite"

pytestmark = [
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed "
                       "(sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed "
                       "(sudo apt-get install qemu-system-arm)"),
    pytest.mark.qemu,
]


def _test(build_dir: Path, model: str, *options: str) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """`scons target=qemu-m4 model=<model> runtime=aot test`: the run, its test.json and size.json."""
    run = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={model}", "runtime=aot",
                          f"build_dir={build_dir}", *options, "test"], capture_output=True, text=True, cwd=PROJECT_DIR)
    out = build_dir / "qemu-m4" / model
    assert (out / "test.json").is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    return run, json.loads((out / "test.json").read_text()), json.loads((out / "size.json").read_text())


@pytest.fixture(scope="module")
def hello_world(tmp_path_factory):
    return _test(tmp_path_factory.mktemp("hello"), "hello_world")


def test_the_stack_mark_is_reported_and_plausible(hello_world):
    run, result, size = hello_world
    assert run.returncode == 0 and result["verdict"] == "pass", run.stdout[-2000:]
    stack = result["stack"]
    assert stack["size"] == size["stack"] == 16384  # the linker script's reservation, as the firmware saw it
    # start-up, main, printf and a 3-op aot model: a few hundred bytes, far from the reservation
    assert 128 < stack["used"] < 2048, stack
    assert "TML-STACK used=" in run.stdout


def test_the_stack_mark_moves_when_a_model_needs_more_stack(hello_world, tmp_path):
    """kws's aot convolutions run at the arena's peak, so they keep their 512-byte work buffer on the
    stack (conv2d.c's tml_conv2d_stack_work16: a 536-byte frame at -O2 on the M4, GCC -fstack-usage,
    under the convolution's other frames), hello_world's fully-connected layers at most 436 bytes
    (tests/test_aot_fc_stack.py): in the same start-up, application and printf, the mark moves by the difference."""
    kws_run, kws, _ = _test(tmp_path, "kws")
    assert kws_run.returncode == 0, kws_run.stdout[-2000:]
    assert kws["stack"]["used"] > hello_world[1]["stack"]["used"] + 256, (kws["stack"], hello_world[1]["stack"])
    # the same run measures kws against its shipped float model on model.yaml's three samples
    figures = kws["accuracy"]["kws"]
    assert figures["reference"] == "kws_float.tflite" and figures["inputs"] == "model.yaml samples"
    assert figures["samples"] == 3 and figures["top1_agreement"] == 1.0 and figures["accuracy"] == 1.0, figures


def test_each_model_of_an_image_gets_its_own_mark(tmp_path):
    """model=hello_world,kws: the firmware repaints the stack before each model, so each model's
    mark is its own (test.json models.<name>.stack) and the image's is the deepest of them."""
    run = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world,kws",
                          "runtime=aot", f"build_dir={tmp_path}", "test"], capture_output=True, text=True,
                         cwd=PROJECT_DIR)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    result = json.loads((tmp_path / "qemu-m4" / "hello_world+kws" / "test.json").read_text())
    hello, kws = (result["models"][name]["stack"] for name in ("hello_world", "kws"))
    assert hello["size"] == kws["size"] == result["stack"]["size"] == 16384
    assert kws["used"] > hello["used"] + 256, (hello, kws)
    assert result["stack"]["used"] == max(hello["used"], kws["used"]), result["stack"]
    assert "TML-STACK model=kws used=" in run.stdout


def test_test_vectors_0_runs_unchecked_and_drops_the_test_data(hello_world, tmp_path):
    run, result, size = _test(tmp_path, "hello_world", "test_vectors=0")
    assert run.returncode == 6, run.stdout[-2000:] + run.stderr[-2000:]  # its own status: never a pass
    assert "test: RAN, outputs not checked (unchecked, exit status 6)" in run.stdout
    assert result["verdict"] == "unchecked" and result["status"] == "NOCHECK" and result["exit_status"] == 6
    assert result["models"]["hello_world"]["checked"] is False
    assert int(result["models"]["hello_world"]["time"]["per_inference"]) > 0  # timed on the fixed input
    assert result["stack"]["used"] > 0
    checked_data = hello_world[2]["flash"]["by_component"]["test data"]
    unchecked_data = size["flash"]["by_component"].get("test data", 0)
    # three vectors' inputs and outputs and their labels are gone; the byte-count tables remain
    assert unchecked_data < checked_data - 3, (checked_data, unchecked_data)
    assert size["flash"]["total"] < hello_world[2]["flash"]["total"]


def test_accuracy_of_the_targets_outputs_against_the_float_reference(tmp_path):
    """hello_world's int8 outputs, computed in QEMU, against its float model (model.yaml's
    `reference:`) on 64 angles: close, and scored from the target's own bytes."""
    angles = np.linspace(0.0, 2.0 * np.pi, 64, dtype=np.float32).reshape(64, 1)
    np.save(tmp_path / "angles.npy", angles)
    run, result, _ = _test(tmp_path / "build", "hello_world", f"dataset={tmp_path / 'angles.npy'}")
    assert run.returncode == 0 and result["verdict"] == "pass", run.stdout[-2000:]
    figures = result["accuracy"]["hello_world"]
    assert figures["reference"] == "hello_world_float.tflite" and figures["inputs"] == "angles.npy"
    assert figures["samples"] == figures["available"] == 64
    # int8 quantization of a 1->16->16->1 net: output steps of 0.008, errors of a few steps
    assert 0.0 < figures["mae"] < 0.03 and figures["max_abs_error"] < 0.1 and figures["rmse"] >= figures["mae"]
    assert figures["cosine_similarity"] > 0.99 and figures["relative_l2"] < 0.05
    assert "top1_agreement" not in figures  # one output: a regression, not a classifier
    edges = len(edge_vectors(load_model(HELLO_TFLITE), tensor_specs(load_model(HELLO_TFLITE), (0,))))
    # the dataset's vectors, then the edge vectors and the random ones (test_vectors' default)
    assert result["models"]["hello_world"]["vectors"] == 64 + edges + DEFAULT_RANDOM_VECTORS
    assert "hello_world: target int8 vs float hello_world_float.tflite on 64 of 64 inputs" in run.stdout


def test_no_accuracy_without_a_reference(hello_world):
    assert hello_world[1]["accuracy"] == {}  # hello_world has a reference but no samples: nothing to measure on
