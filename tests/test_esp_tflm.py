"""runtime=tflm on the ESP32 family: every chip builds TFLM (reference kernels) with clang++-22 and
libc++'s headers -- esp32c3 over picolibc, esp32/esp32s3 over newlib's headers with the project's
windowed-ABI runtime support -- and is bit-exact on its twin against the pinned TFLM; what is not
built (ESP-NN's TFLM kernels, a machine without libc++'s headers) is one clean error."""

import json
import shutil

import pytest
from conftest import PROJECT_DIR
from tflm_testlib import needs_sources, scons

from tinyml_build.config import build_config
from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.platform import xtensa_libm
from tinyml_build.toolchains import clang_xtensa, libcxx, riscv_gcc

C3_TOOLS = ("riscv64-unknown-elf-gcc", "qemu-system-riscv32", libcxx.CLANG_CXX)
_WHY_NO_CXX = riscv_gcc.cxx_unavailable()
needs_c3 = pytest.mark.skipif(
    any(shutil.which(t) is None for t in C3_TOOLS) or _WHY_NO_CXX is not None,
    reason=f"needs {', '.join(C3_TOOLS)} and libc++'s headers ({_WHY_NO_CXX or 'a tool is missing'}; "
           "./setup.sh installs them)")


@pytest.mark.qemu
@needs_sources
@needs_c3
def test_tflm_on_esp32c3_is_bit_exact_on_the_twin(tmp_path):
    """Two models in one image (one TFLM compile): the arena probe and `test` run on the twin, every
    output byte equals the pinned TFLM's; the kernels are TFLM's reference ones, and the outputs say so."""
    result = scons("target=esp32c3", "model=hello_world,kws", "runtime=tflm", "test", "test_vectors=1",
                   f"build_dir={tmp_path}")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert "kernels=reference (ESP-NN's TFLM kernels are not built" in text
    assert "test: PASS (esp32c3's objects on a RISC-V ISA twin" in text
    out = tmp_path / "esp32c3" / "hello_world+kws"
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and sorted(verdict["models"]) == ["hello_world", "kws"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["tflm"]["kernels"] == "reference"
    assert manifest["settings"]["oracle"]["kind"] == "pinned"
    # the C++ objects come from clang++-22 for rv32 with the project's __config_site before libc++'s
    database = json.loads((out / "compile_commands.json").read_text())
    cxx = [e["command"] for e in database if e["file"].endswith(".cc")]
    assert cxx and all("--target=riscv32-unknown-elf" in c and "libcxx_config -isystem" in c for c in cxx)


XTENSA_TOOLS = ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa", libcxx.CLANG_CXX)
_WHY_NO_XTENSA_CXX = clang_xtensa.cxx_unavailable()
_NEWLIB_SOURCE = sorted(xtensa_libm.TARBALL_DIR.glob(xtensa_libm.TARBALL_PATTERN))
needs_xtensa = pytest.mark.skipif(
    any(shutil.which(t) is None for t in XTENSA_TOOLS) or _WHY_NO_XTENSA_CXX is not None or not _NEWLIB_SOURCE,
    reason=f"needs {', '.join(XTENSA_TOOLS)}, libc++'s and newlib's headers and newlib-source "
           f"({_WHY_NO_XTENSA_CXX or 'a tool or newlib-source is missing'}; ./setup.sh installs them)")


@pytest.mark.qemu
@pytest.mark.slow
@needs_sources
@needs_xtensa
def test_tflm_on_esp32s3_is_bit_exact_on_the_twin(tmp_path):
    """TFLM's C++ on windowed Xtensa: double helpers, libm pieces and newlib's expf linked with no
    unresolved symbol, hello_world and kws (conv, depthwise, pooling, softmax) bit-exact on the twin."""
    result = scons("target=esp32s3", "model=hello_world,kws", "runtime=tflm", "test", "test_vectors=1",
                   f"build_dir={tmp_path}")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert "test: PASS (esp32s3's objects on an Xtensa ISA twin" in text
    assert "inconsistent use of MD5" not in text  # the driver keeps llvm-mc quiet on C++ objects
    out = tmp_path / "esp32s3" / "hello_world+kws"
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and sorted(verdict["models"]) == ["hello_world", "kws"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["tflm"]["kernels"] == "reference"
    database = json.loads((out / "compile_commands.json").read_text())
    cxx = [e["command"] for e in database if e["file"].endswith(".cc")]
    assert cxx and all("--target=xtensa" in c and "clang++-22" in c and "/newlib" in c for c in cxx)
    assert (out.parent / "_common" / "tflm" / "newlib" / "sf_exp.c").is_file()  # extracted, never committed
    newlib = manifest["settings"]["tflm"]["system_sources"]
    assert newlib["package"] == "newlib-source" and "newlib/libm/common/sf_exp.c" in newlib["files"]


def test_esp_nn_for_tflm_is_refused_and_the_default_gives_way(tmp_path):
    board = load_target("esp32c3")
    choice = build_config.ToolchainChoice("riscv64-unknown-elf-gcc", "the target's toolchain")
    with pytest.raises(TinyMLError, match="ESP-NN's TFLM kernels are not built"):
        build_config.choose_runtime("tflm", ["FULLY_CONNECTED"], "esp-nn", board=board, toolchain=choice)
    config = build_config.resolve(PROJECT_DIR, "esp32c3", "hello_world", runtime="aot", build_dir=str(tmp_path),
                                  env={"PATH": ""})
    assert config.kernels == "reference" and "ESP-NN's TFLM kernels are not built" in config.kernels_note


def test_without_libcxx_headers_tflm_names_the_package(tmp_path):
    board = load_target("esp32c3")
    choice = build_config.ToolchainChoice("riscv64-unknown-elf-gcc", "the target's toolchain")
    env = {"PATH": str(tmp_path)}  # no clang++-22 there
    runtime, why = build_config.choose_runtime("auto", ["FULLY_CONNECTED"], "reference", env=env, board=board,
                                               toolchain=choice)
    assert runtime == "aot" and "clang++-22 is not on PATH" in why and "libc++-22-dev" in why
    with pytest.raises(TinyMLError, match="use runtime=aot"):
        build_config.choose_runtime("tflm", ["FULLY_CONNECTED"], "reference", env=env, board=board, toolchain=choice)


def test_the_arena_probe_of_an_esp_target_runs_on_its_twin(tmp_path):
    """No QEMU models the chip: the probe links the twin's platform (as `test` does), not the chip's."""
    from tinyml_build.platform import TWIN
    from tinyml_build.runtimes.tflm.plan import probe_platform

    board = load_target("esp32c3")
    platform = probe_platform(board, board, tmp_path)
    assert platform.variant == TWIN
    assert platform.linker_script == tmp_path / "esp32c3" / "_common" / "twin" / "firmware.ld"
