"""The target oracle (verification/oracle/target.py): which models and targets it judges, its memory
layout and refusals, and -- with arm-none-eabi-gcc, qemu-system-arm and the pinned sources -- that it
computes newlib's bytes, which both runtimes reproduce on qemu-m4 where the host oracle's do not.

The first test that needs the runner cross-compiles it once into the user cache (a few minutes).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import tflite_builder
from conftest import PROJECT_DIR

from tinyml_build.config.targets import load_target
from tinyml_build.errors import ModelError
from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.tflm.sources import missing_reason
from tinyml_build.verification.oracle import PINNED, TARGET, pinned, target

TARGETS = PROJECT_DIR / "targets"


@pytest.fixture(scope="module")
def libm_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("libm") / "libm_float.tflite"
    path.write_bytes(tflite_builder.libm_float_model())
    return load_model(path)


def _int8_model(tmp_path):
    path = tmp_path / "fc.tflite"
    path.write_bytes(tflite_builder.fully_connected_model())
    return load_model(path)


def test_libm_uses_names_each_op_type_and_its_functions(libm_model, tmp_path):
    assert target.libm_uses(libm_model) == ["LOGISTIC float32 (expf)", "SOFTMAX float32 (expf)",
                                            "TANH float32 (tanhf)"]
    assert target.libm_uses(_int8_model(tmp_path)) == []


@pytest.mark.parametrize(("name", "machine"), [
    ("qemu-m4", "qemu-m4"), ("qemu-m3", "qemu-m3"),
    ("stm32f407", "qemu-m4"),  # same arch flags; netduinoplus2's 128 KB cannot hold the runner's arena
    ("stm32f103", "qemu-m3"),  # no emulator: its stand-in
    ("esp32s3", None), ("esp32c3", None), ("host", None)])
def test_the_runner_runs_on_the_emulated_arm_board_with_the_most_ram(name, machine):
    found = target.oracle_machine(load_target(name, TARGETS))
    assert (found.name if found else None) == machine


def test_layout_keeps_stack_heap_and_arena_inside_the_verified_data_region():
    layout = target.layout_for(load_target("qemu-m4", TARGETS))
    assert (layout.code_origin, layout.code_size) == (0, 0x400000)
    assert (layout.data_origin, layout.data_size) == (0x20000000, 0x400000)
    assert layout.arena % 16 == 0 and layout.arena + layout.file_room < layout.heap
    script = target.linker_script(layout)
    assert "ORIGIN = 0x20000000, LENGTH = 0x400000" in script and "__tml_oracle_heap_end" in script
    m55 = target.layout_for(load_target("qemu-m55", TARGETS))  # code in its 2 MB code SRAM, data in 4 MB ISRAM
    assert (m55.code_origin, m55.code_size, m55.data_size) == (0x11000000, 0x200000, 0x400000)


def test_a_model_that_does_not_fit_the_board_is_refused_with_the_sizes(tmp_path):
    layout = target.layout_for(load_target("qemu-m4", TARGETS))
    build = target.TargetBuild(host=None, target=load_target("qemu-m4", TARGETS),
                               machine=load_target("qemu-m4", TARGETS), kernel_files=frozenset(), layout=layout)
    small = SimpleNamespace(data=b"\0" * 1000, path="m.tflite")
    target.check_fits(build, small, [[np.zeros(16, np.float32)]])
    big = SimpleNamespace(data=b"\0" * (layout.file_room // 2), path="big.tflite")
    with pytest.raises(ModelError, match=r"do not fit the target oracle on qemu-m4 .*test_vectors=N|do not fit"):
        target.check_fits(build, big, [[np.zeros(16, np.float32)]])


# Where each LIBM_CALLS entry's call is, at the pin: the list must follow TFLM's kernels.
_CALL_SITES = {
    ("COS", "float32"): ("tensorflow/lite/micro/kernels/elementwise.cc", "std::cos"),
    ("ELU", "float32"): ("tensorflow/lite/kernels/internal/reference/elu.h", "TfLiteExpm1"),
    ("ELU", "int8"): ("tensorflow/lite/micro/kernels/elu.cc", "std::exp(value) - 1.0f"),
    ("EXP", "float32"): ("tensorflow/lite/kernels/internal/reference/exp.h", "std::exp"),
    ("LOG", "float32"): ("tensorflow/lite/micro/kernels/elementwise.cc", "std::log"),
    ("LOGISTIC", "float32"): ("tensorflow/lite/kernels/internal/reference/logistic.h", "std::exp(-val)"),
    ("LOG_SOFTMAX", "float32"): ("tensorflow/lite/kernels/internal/reference/log_softmax.h", "std::log(sum)"),
    ("SIN", "float32"): ("tensorflow/lite/micro/kernels/elementwise.cc", "std::sin"),
    ("SOFTMAX", "float32"): ("tensorflow/lite/kernels/internal/reference/softmax.h", "std::exp("),
    ("SOFTMAX", "int16"): ("tensorflow/lite/micro/kernels/softmax_common.cc", "return std::exp(value)"),
    ("SVDF", "float32"): ("tensorflow/lite/micro/kernels/activation_utils.h", "std::tanh(a)"),
    ("TANH", "float32"): ("tensorflow/lite/kernels/internal/reference/tanh.h", "std::tanh"),
    ("TFLite_Detection_PostProcess", "float32"): ("tensorflow/lite/micro/kernels/detection_postprocess.cc",
                                                   "std::exp(static_cast<double>"),
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32"): ("tensorflow/lite/micro/kernels/micro_tensor_utils.cc",
                                                  "std::tanh(vector[v])"),
}


def _tflm_tree():
    why = missing_reason(["FULLY_CONNECTED"], "reference")
    if why is not None:
        pytest.skip(f"pinned TFLM sources not resolved: {why}")
    return Path(pinned.plan_build().trees["tflite-micro"])


def test_every_listed_libm_call_is_in_the_pinned_kernels():
    tree = _tflm_tree()
    assert set(_CALL_SITES) == set(target.LIBM_CALLS) | set(target.PREPARE_LIBM_CALLS)
    for key, (path, call) in _CALL_SITES.items():
        assert call in (tree / path).read_text(), f"{key}: {call} not in {path}"


def _need_target_oracle():
    why = missing_reason(["FULLY_CONNECTED"], "reference")
    if why is not None:
        pytest.skip(f"pinned TFLM sources not resolved: {why}")
    for tool in ("g++", "arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not on PATH")


def test_selection_is_the_target_oracle_only_for_libm_ops_on_qemu_system_arm(libm_model, tmp_path):
    _need_target_oracle()
    m4 = load_target("qemu-m4", TARGETS)
    judge = target.target_oracle(libm_model, m4)
    assert judge.kind == TARGET
    assert judge.name == "tflite-micro 90b983c2 reference kernels on cortex-m4 (newlib libm), in QEMU mps2-an386"
    assert judge.as_dict()["why"].startswith("LOGISTIC float32 (expf), SOFTMAX float32 (expf), TANH float32 (tanhf)")
    host = target.target_oracle(_int8_model(tmp_path), m4)
    assert host.kind == PINNED and "host build" in host.name
    assert target.target_oracle(libm_model, load_target("esp32s3", TARGETS)).kind == PINNED
    # another core, another runner: golden data follow the choice (firmware.py depends on identity())
    m3 = target.target_oracle(libm_model, load_target("qemu-m3", TARGETS))
    assert "cortex-m3" in m3.name and m3.identity() != judge.identity() != host.identity()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.tflm_sources
def test_the_target_oracle_computes_newlib_bytes_and_both_runtimes_match_them_on_qemu_m4(libm_model, tmp_path):
    _need_target_oracle()
    m4 = load_target("qemu-m4", TARGETS)
    judge = target.target_oracle(libm_model, m4)
    inputs = [[np.random.default_rng([5, k]).uniform(-3, 3, (4, 32)).astype(np.float32)] for k in range(4)]
    on_target, _ = judge.run(libm_model, inputs)
    on_host, _ = pinned.run(pinned.build_runner(judge.build.host), libm_model, inputs)
    differing = sum(a[0].tobytes() != b[0].tobytes() for a, b in zip(on_target, on_host))
    assert differing > 0, "newlib and glibc agreed on every vector: the model no longer shows why the oracle exists"
    build = tmp_path / "build"
    for runtime in ("aot", "tflm"):
        proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={libm_model.path}",
                               f"runtime={runtime}", "test_vectors=4", f"build_dir={build}", "test"],
                              capture_output=True, text=True, cwd=PROJECT_DIR)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        out = build / "qemu-m4" / "libm_float"
        golden = json.loads((out / "golden" / "libm_float.json").read_text())
        assert golden["oracle"]["kind"] == TARGET and golden["reference"] == judge.name
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["models"][0]["oracle"]["kind"] == TARGET
        assert manifest["settings"]["oracle"]["kind"] == PINNED
