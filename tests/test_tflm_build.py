"""runtime=tflm through scons: the choice and the manifest, the size report's proof of the kernel
library, nothing of unused ops in the image, no cache paths in outputs, incremental builds, arena
options and every clean error (missing sources, arena too small, a library nothing uses)."""

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SHARED_MODELS
from tflm_testlib import (
    FULL_MATRIX,
    compiled_objects,
    needs_qemu,
    needs_sources,
    needs_toolchain,
    scons,
    shared_build_root,
)

from tinyml_build.image.elf import read_elf
from tinyml_build.image.linker_map import read_map
from tinyml_build.runtimes.tflm.image_check import kernel_objects_linked
from tinyml_build.runtimes.tflm.sources import resolve_sources

pytestmark = [needs_toolchain, needs_qemu, needs_sources, pytest.mark.qemu, pytest.mark.tflm_sources]


def _fails_cleanly(result, *needles):
    text = result.stdout + result.stderr
    assert result.returncode != 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    for needle in needles:
        assert needle in text, text[-3000:]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return shared_build_root(tmp_path_factory)


@pytest.fixture(scope="module")
def f407(root):
    """stm32f407 + hello_world with every default: runtime=auto, the target's kernels (cmsis-nn), arena=auto."""
    result = scons("target=stm32f407", "model=hello_world", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    return result, root / "stm32f407" / "hello_world"


@pytest.mark.slow
def test_auto_chooses_tflm_and_says_so(f407):
    result, out = f407
    assert "runtime=tflm (auto: TFLM sources resolve) kernels=cmsis-nn" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runtime"] == "tflm" and manifest["settings"]["runtime_requested"] == "auto"
    tflm = manifest["settings"]["tflm"]
    assert tflm["kernels"] == "cmsis-nn" and tflm["log"] is False
    assert {v["resolved"] for v in tflm["third_party"].values()} == {"cache"}
    assert sorted(tflm["third_party"]) == ["cmsis-6", "cmsis-nn", "flatbuffers", "gemmlowp", "ruy", "tflite-micro"]
    assert "tflite-micro/tensorflow/lite/micro/micro_interpreter.cc" in tflm["upstream_files"]


@pytest.mark.slow
def test_size_report_proves_cmsis_nn_and_shows_the_arena(f407):
    _, out = f407
    size = json.loads((out / "size.json").read_text())
    library = size["notes"]["kernel_library"]
    assert library["name"] == "cmsis-nn" and library["functions"]
    assert all(f["name"].startswith("arm_") for f in library["functions"])
    assert "arm_fully_connected_s8" in {f["name"] for f in library["functions"]}
    arena = size["notes"]["arena"]["hello_world"]
    assert arena["reserved"] == arena["needed"] and arena["margin"] == 0 and arena["used"] <= arena["needed"]
    assert arena["headroom"] == arena["reserved"] - arena["used"]
    assert size["arena"]["bytes"] >= arena["reserved"]
    text = (out / "size.txt").read_text()
    assert re.search(r"arena hello_world: [\d,]+ used / [\d,]+ reserved, headroom [\d,]+ "
                     r"\(sets up in [\d,]+; 0 above", text)
    assert f"Kernel library cmsis-nn: {len(library['functions'])} functions linked" in text
    # The TFLM framework is 'runtime', CMSIS-NN and the kernel files 'kernels' (not 'linker' or C library).
    flash = size["flash"]["by_component"]
    assert flash["runtime"] > 8000 and flash["kernels"] > library["bytes"] and flash.get("linker", 0) < 1000


@pytest.mark.slow
def test_image_has_no_kernel_of_an_op_the_model_does_not_use(f407):
    _, out = f407
    elf, inputs = read_elf(out / "firmware.elf"), read_map(out / "firmware.map")
    plan = resolve_sources(["FULLY_CONNECTED"], "cmsis-nn")
    allowed = {"/".join(plan.origin(p))[:-len(p.suffix)] + ".o" for p in plan.kernel_files + plan.library_files}
    linked = kernel_objects_linked(elf, inputs, "/_common/tflm/cmsis-nn/")
    assert linked and linked <= allowed, linked - allowed
    assert not [name for name in linked if "/kernels/" in name and "fully_connected" not in name
                and not name.endswith("kernel_util.o")]
    registrations = {name for s in elf.symbols for name in _registration_functions(s.name)}
    assert registrations, registrations
    assert registrations <= {"Register_FULLY_CONNECTED", "Register_FULLY_CONNECTED_INT8"}, registrations


def _registration_functions(symbol: str) -> list[str]:
    """'Register_CONV_2D' from an Itanium-mangled tflite::Register_CONV_2D() (the length prefix delimits it)."""
    return [symbol[m.end(1):m.end(1) + int(m.group(1))] for m in re.finditer(r"(\d+)Register_", symbol)]


@pytest.mark.slow
def test_outputs_hold_no_cache_or_build_path(f407, root):
    _, out = f407
    cache = str(resolve_sources(["FULLY_CONNECTED"], "cmsis-nn").trees["tflite-micro"].parent).encode()
    for name in ("firmware.elf", "firmware.bin", "firmware.hex", "manifest.json", "size.json", "size.txt"):
        data = (out / name).read_bytes()
        assert cache not in data and str(root).encode() not in data, name


@pytest.mark.slow
def test_no_op_rebuild_does_nothing(f407, root):
    again = scons("target=stm32f407", "model=hello_world", f"build_dir={root}", "--debug=explain")
    assert again.returncode == 0, again.stderr
    assert "Rebuilding" not in again.stdout and "Building" not in again.stdout, again.stdout[-3000:]
    assert not compiled_objects(again.stdout)


@pytest.mark.slow
@pytest.mark.shared_models
def test_another_model_compiles_only_model_level_code(f407, root):
    model = SHARED_MODELS / "micro_speech_quantized.tflite"
    if not model.is_file():
        pytest.skip(f"{model} not present")
    result = scons("target=stm32f407", f"model={model}", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    objects = compiled_objects(result.stdout)
    assert objects and not [o for o in objects if "/_common/tflm/core/" in o or "/_common/platform/" in o]
    assert any(o.endswith("micro_speech_quantized_tflm_api.o") for o in objects)


@pytest.fixture
def hello_copy(tmp_path):
    """hello_world under another name: its own model-level folder, the shared target-level objects."""
    copy = tmp_path / "hw_copy.tflite"
    shutil.copy(Path(__file__).resolve().parents[1] / "models" / "hello_world" / "hello_world.tflite", copy)
    return copy


@pytest.mark.slow
def test_arena_too_small_is_a_build_error_naming_the_need(f407, root, hello_copy):
    needed = json.loads((f407[1] / "arena.json").read_text())["hello_world"]["needed"]
    _fails_cleanly(scons("target=stm32f407", f"model={hello_copy}", "arena=64", f"build_dir={root}"),
                   f"arena=64 is too small for model hw_copy: it needs {needed:,} bytes", f"use arena={needed}")


@pytest.mark.slow
def test_fixed_arena_and_headroom(f407, root, hello_copy):
    result = scons("target=stm32f407", f"model={hello_copy}", "arena=4k", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-3000:]
    size = json.loads((root / "stm32f407" / "hw_copy" / "size.json").read_text())
    assert size["notes"]["arena"]["hw_copy"]["reserved"] == 4096 and size["arena"]["bytes"] >= 4096
    result = scons("target=stm32f407", f"model={hello_copy}", "arena_headroom=10%", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-3000:]
    arena = json.loads((root / "stm32f407" / "hw_copy" / "arena.json").read_text())["hw_copy"]
    assert arena["reserved"] >= arena["needed"] * 1.1 and arena["reserved"] % 16 == 0


@pytest.mark.slow
def test_explicit_path_option_is_used_and_recorded(f407, root):
    tree = resolve_sources(["FULLY_CONNECTED"], "reference").trees["tflite-micro"]
    result = scons("target=stm32f407", "model=hello_world", f"build_dir={root}", f"tflite_micro_path={tree}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert not compiled_objects(result.stdout)  # same tree, same flags: nothing to recompile
    manifest = json.loads((f407[1] / "manifest.json").read_text())
    assert manifest["settings"]["tflm"]["third_party"]["tflite-micro"]["resolved"] == "explicit"
    scons("target=stm32f407", "model=hello_world", f"build_dir={root}")  # back to the cache for later tests


def test_runtime_tflm_without_sources_names_the_three_ways(tmp_path):
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=tflm", f"build_dir={tmp_path}",
                         env={"XDG_CACHE_HOME": str(tmp_path / "empty")}),
                   "upstream source tflite-micro", "TINYML_TFLITE_MICRO_PATH", "tinyml-build deps import tflite-micro",
                   "tinyml-build deps sync tflite-micro")


def test_runtime_auto_without_sources_builds_aot(tmp_path):
    result = scons("target=qemu-m4", "model=hello_world", f"build_dir={tmp_path}", "gen",
                   env={"XDG_CACHE_HOME": str(tmp_path / "empty")})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "runtime=aot (auto: no TFLM sources: upstream source tflite-micro" in result.stdout


@pytest.mark.slow
@pytest.mark.shared_models
def test_a_kernel_library_nothing_uses_fails_the_build(root):
    model = SHARED_MODELS / "quantize0.tflite"  # QUANTIZE only: CMSIS-NN has no kernel for it
    if not model.is_file():
        pytest.skip(f"{model} not present")
    _fails_cleanly(scons("target=stm32f407", f"model={model}", "kernels=cmsis-nn", f"build_dir={root}"),
                   "kernels=cmsis-nn was requested but no cmsis-nn function was linked", "kernels=reference")


@pytest.mark.slow
@pytest.mark.shared_models
def test_target_default_library_that_fits_no_op_falls_back_to_reference(root):
    model = SHARED_MODELS / "quantize0.tflite"
    if not model.is_file():
        pytest.skip(f"{model} not present")
    result = scons("target=stm32f407", f"model={model}", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "kernels=reference (the target's cmsis-nn has no kernel for QUANTIZE)" in result.stdout
    size = json.loads((root / "stm32f407" / "quantize0" / "size.json").read_text())
    assert "kernel_library" not in size.get("notes", {})


def test_esp_nn_is_refused_cleanly(tmp_path):
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", "runtime=tflm", "kernels=esp-nn",
                         f"build_dir={tmp_path}"),
                   "kernels=esp-nn is for the ESP32 family, not target qemu-m4", "kernels=cmsis-nn")


@pytest.mark.parametrize("option, needle", [("arena=lots", "arena=lots is not a byte count"),
                                            ("arena_headroom=x%", "arena_headroom=x% is not a byte count"),
                                            ("tflm_log=maybe", "tflm_log=maybe is neither on nor off"),
                                            ("tflite_mirco_path=/x", "unknown option tflite_mirco_path=")])
def test_bad_options_stop_before_building(tmp_path, option, needle):
    _fails_cleanly(scons("target=qemu-m4", "model=hello_world", option, f"build_dir={tmp_path}"), needle)


@pytest.mark.slow
@pytest.mark.skipif(not FULL_MATRIX, reason="compiles TFLM for one more target (stm32h743); TINYML_FULL_MATRIX=1 runs "
                                           "it (tests/test_tflm_arena.py checks which emulated twin is chosen)")
def test_board_without_emulator_is_measured_on_its_emulated_twin(root):
    result = scons("target=stm32h743", "model=hello_world", "kernels=reference", f"build_dir={root}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "probed on qemu-m7" in result.stdout
    arena = json.loads((root / "stm32h743" / "hello_world" / "arena.json").read_text())["hello_world"]
    assert arena["measured_on"] == "qemu-m7" and arena["reserved"] > 0


@pytest.mark.slow
@pytest.mark.skipif(not FULL_MATRIX, reason="compiles TFLM once more (tflm_log=on); TINYML_FULL_MATRIX=1 runs it")
def test_tflm_log_on_keeps_tflms_messages(root):
    result = scons("target=qemu-m4", "model=hello_world", "tflm_log=on", f"build_dir={root}", "test")
    assert result.returncode == 0, result.stdout[-3000:]
    assert (root / "qemu-m4" / "_common" / "tflm-log" / "core").is_dir()
    elf = (root / "qemu-m4" / "hello_world" / "firmware.elf").read_bytes()
    assert b"Didn't find op for builtin opcode" in elf  # one of TFLM's error strings


@pytest.mark.slow
def test_default_output_is_short_and_a_kernels_switch_keeps_the_core(tmp_path):
    """A clean runtime=tflm build prints one line per step, none over 200 characters (no command
    lines); switching kernels= then compiles the kernel set's files, not the framework core."""
    import os
    import subprocess
    import sys

    from conftest import PROJECT_DIR

    def build(*args):
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world",
                                 "runtime=tflm", f"build_dir={tmp_path}", *args], capture_output=True, text=True,
                                cwd=PROJECT_DIR, env=dict(os.environ), timeout=1800)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        return result.stdout.splitlines()

    lines = build("kernels=reference")
    steps = [line for line in lines if re.match(r"^\[\d+/\d+\] [A-Z]+ ", line)]
    assert len(steps) >= 60 and len(lines) - len(steps) <= 3  # the banner and the arena line
    assert max(len(line) for line in lines) <= 200
    interpreter = r"^\[\d+/\d+\] CXX  <tflite-micro>/tensorflow/lite/micro/micro_interpreter\.cc$"
    assert any(re.match(interpreter, s) for s in steps)
    switched = [line for line in build("kernels=cmsis-nn") if re.match(r"^\[\d+/\d+\] CXX? ", line)]
    assert switched, "the cmsis-nn kernel files were not compiled"
    core = [s for s in switched if ("<tflite-micro>/" in s and "/kernels/" not in s) or "runtimes/tflm/src/" in s]
    assert core == [], f"the framework core was compiled again: {core[:3]}"
