"""The target oracle (verification/oracle/target.py): which models and targets it judges, its memory
layout and refusals, and -- with arm-none-eabi-gcc, qemu-system-arm and the pinned sources -- that it
computes newlib's bytes, which both runtimes reproduce on qemu-m4 where the host oracle's do not.

The first test that needs the runner cross-compiles it once into the user cache: the TFLM core and
the three kernels of libm_float_model (about 2 minutes on 2 busy cores), shared with
test_aot_ops_cortex_m.py's float libm cases (the same op set); the runtime=tflm image uses the
session's shared tflm build folder.
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
from tflm_testlib import shared_build_root

from tinyml_build.analysis import op_inventory
from tinyml_build.analysis.op_inventory import REFERENCE
from tinyml_build.config.targets import load_target
from tinyml_build.errors import ModelError, TargetError
from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.tflm.sources import missing_reason, resolve_sources
from tinyml_build.verification.oracle import PINNED, TARGET, WHEEL, oracle_for, pinned, select, target

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
                               machine=load_target("qemu-m4", TARGETS), layout=layout)
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
    judge = oracle_for(libm_model, REFERENCE, target=m4)
    assert judge.kind == TARGET
    assert judge.name == "tflite-micro 90b983c2 reference kernels on cortex-m4 (newlib libm), in QEMU mps2-an386"
    assert judge.as_dict()["chosen_because"].startswith(
        "LOGISTIC float32 (expf), SOFTMAX float32 (expf), TANH float32 (tanhf)")
    host = oracle_for(_int8_model(tmp_path), REFERENCE, target=m4)
    assert host.kind == PINNED and "host build" in host.name and "chosen_because" not in host.as_dict()
    assert oracle_for(libm_model, REFERENCE) == host  # no target (host checks): the host oracle
    assert oracle_for(libm_model, REFERENCE, target=load_target("host", TARGETS)) == host  # glibc: exact
    for twin in ("esp32s3", "esp32c3"):  # another libm, no oracle on their cores: named blind spots, no silent pass
        esp = oracle_for(libm_model, REFERENCE, target=load_target(twin, TARGETS))
        assert esp.name == host.name and esp.identity() == host.identity()
        spots = [spot.describe() for spot in esp.blind_spots(libm_model)]
        assert spots == [f"{use} ({twin}: its libm is not glibc and no oracle here runs on its core; the last bits "
                         "may differ)" for use in target.libm_uses(libm_model)]
    assert oracle_for(libm_model, "cmsis-nn", target=m4).kind == TARGET  # CMSIS-NN's float kernels: reference
    # another core, another runner: golden data follow the choice (firmware.py depends on identity())
    m3 = oracle_for(libm_model, REFERENCE, target=load_target("qemu-m3", TARGETS))
    assert "cortex-m3" in m3.name and m3.identity() != judge.identity() != host.identity()


def test_the_runner_compiles_the_core_and_only_the_models_kernels(libm_model):
    """As a runtime=tflm image of the model: the framework core and the reference kernels of its ops
    (185 files for every kernel took 25 minutes on 2 busy cores); the op set is part of the digest."""
    _tflm_tree()
    build = target.plan_target_build(load_target("qemu-m4", TARGETS), libm_model.op_names())
    image = resolve_sources(libm_model.op_names(), REFERENCE)
    assert build.host.ops == ("LOGISTIC", "SOFTMAX", "TANH")
    assert build.host.registrations == ("AddLogistic", "AddSoftmax", "AddTanh")
    assert build.kernel_files == frozenset(image.kernel_files)
    # the image's core but TFLM's own debug_log.cc for the console glue, without the image-only arena check
    added = {p.name for p in set(build.host.sources) - set(image.core)}
    assert added == {"debug_log.cc", *(p.name for p in image.kernel_files)}
    assert len(build.host.sources) < 50
    other = target.plan_target_build(load_target("qemu-m4", TARGETS), ["EXP", "LOG"])
    identity = target.compiler_identity() if shutil.which("arm-none-eabi-gcc") else "gcc"
    assert target.build_digest(other, identity) != target.build_digest(build, identity)
    assert target.objects_digest(other, identity) == target.objects_digest(build, identity)  # shared objects


def test_a_model_needing_the_target_and_a_kernel_library_oracle_is_refused_naming_both(libm_model, monkeypatch):
    """No oracle here computes newlib's libm and a library's kernels together: refused, never judged
    by either alone. (SOFTMAX float32 stands in for a NOT_BIT_EXACT entry: the choice is data.)"""
    entry = op_inventory.NotBitExact("cmsis-nn", "SOFTMAX", ("float32",), cause="a stand-in for the test")
    monkeypatch.setattr(op_inventory, "NOT_BIT_EXACT", (*op_inventory.NOT_BIT_EXACT, entry))
    with pytest.raises(TargetError) as refused:
        oracle_for(libm_model, "cmsis-nn", target=load_target("qemu-m4", TARGETS))
    text = str(refused.value)
    assert "TANH float32 (tanhf)" in text and "SOFTMAX (float32) with cmsis-nn kernels" in text
    assert "kernels=reference" in refused.value.fix
    # Without qemu-system-arm targets the library oracle alone judges (no libm difference to judge there)
    assert oracle_for(libm_model, "cmsis-nn", target=load_target("esp32s3", TARGETS)).kind in (PINNED, WHEEL)


def test_without_qemu_the_libm_ops_are_named_blind_spots(libm_model, monkeypatch):
    """The target oracle cannot be made: the host oracle judges and golden.json names every libm op
    as what it cannot judge (no silent pass)."""
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == target.QEMU_ARM else real_which(name))
    monkeypatch.setattr(select, "_FOR_LIBRARY", {})
    judge = oracle_for(libm_model, REFERENCE, target=load_target("qemu-m4", TARGETS))
    assert judge.kind in (PINNED, WHEEL)
    spots = [spot.describe() for spot in judge.blind_spots(libm_model)]
    assert [s.split(" (newlib")[0] for s in spots if "qemu-system-arm not found" in s] == target.libm_uses(libm_model)


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.tflm_sources
def test_the_target_oracle_computes_newlib_bytes_and_both_runtimes_match_them_on_qemu_m4(libm_model, tmp_path,
                                                                                        tmp_path_factory):
    _need_target_oracle()
    m4 = load_target("qemu-m4", TARGETS)
    judge = oracle_for(libm_model, REFERENCE, target=m4)
    inputs = [[np.random.default_rng([5, k]).uniform(-3, 3, (4, 32)).astype(np.float32)] for k in range(4)]
    on_target, _ = judge.run(libm_model, inputs)
    on_host, _ = select.select_oracle().run(libm_model, inputs)
    differing = sum(a[0].tobytes() != b[0].tobytes() for a, b in zip(on_target, on_host))
    assert differing > 0, "newlib and glibc agreed on every vector: the model no longer shows why the oracle exists"
    for runtime, build in (("aot", tmp_path / "build"), ("tflm", shared_build_root(tmp_path_factory))):
        proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={libm_model.path}",
                               f"runtime={runtime}", "test_vectors=4", f"build_dir={build}", "test"],
                              capture_output=True, text=True, cwd=PROJECT_DIR)
        output = proc.stdout[-3000:] + proc.stderr[-3000:]
        assert proc.returncode == 0, output
        assert f"libm_float judged by {judge.name}" in output
        out = build / "qemu-m4" / "libm_float"
        golden = json.loads((out / "golden" / "libm_float.json").read_text())
        assert golden["oracle"]["kind"] == TARGET and golden["oracle"]["name"] == judge.name
        assert golden["oracle"]["chosen_because"] == judge.chosen_because
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["settings"]["model_oracles"]["libm_float"]["kind"] == TARGET
        assert manifest["settings"]["oracle"]["kind"] == PINNED
