"""runtime=tflm on the ESP32 family: every chip builds TFLM with clang++-22 and libc++'s headers --
esp32c3 over picolibc, esp32/esp32s3 over newlib's headers with the project's windowed-ABI runtime
support -- with TFLM's reference kernels or (the chips' default) ESP-NN's portable C, and is bit-exact
on its twin against the pinned TFLM; what is not built (ESP-NN off the ESP32 family, a machine without
libc++'s headers) is one clean error."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SHARED_MODELS
from tflm_testlib import needs_sources, scons, shared_build_root

from tinyml_build.config import build_config
from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.image.elf import read_elf
from tinyml_build.image.linker_map import read_map
from tinyml_build.platform import xtensa_libm
from tinyml_build.runtimes.tflm.image_check import kernel_objects_linked
from tinyml_build.runtimes.tflm.sources import missing_reason
from tinyml_build.toolchains import clang_xtensa, libcxx, riscv_gcc

C3_TOOLS = ("riscv64-unknown-elf-gcc", "qemu-system-riscv32", libcxx.CLANG_CXX)
_WHY_NO_CXX = riscv_gcc.cxx_unavailable()
needs_c3 = pytest.mark.skipif(
    any(shutil.which(t) is None for t in C3_TOOLS) or _WHY_NO_CXX is not None,
    reason=f"needs {', '.join(C3_TOOLS)} and libc++'s headers ({_WHY_NO_CXX or 'a tool is missing'}; "
           "./setup.sh installs them)")


_WHY_NO_ESP_NN = missing_reason(["CONV_2D"], "esp-nn")
needs_esp_nn = pytest.mark.skipif(_WHY_NO_ESP_NN is not None,
                                  reason=f"ESP-NN's sources do not resolve here ({_WHY_NO_ESP_NN}); "
                                         "`tinyml-build deps sync esp-nn esp-tflite-micro` fetches them")


@pytest.fixture(scope="module")
def c3_root(tmp_path_factory):
    """One build folder for both kernel sets: TFLM's core is compiled once for the chip."""
    return shared_build_root(tmp_path_factory)


@pytest.mark.qemu
@pytest.mark.tflm_sources
@needs_sources
@needs_c3
def test_tflm_on_esp32c3_is_bit_exact_on_the_twin(c3_root):
    """Two models in one image (one TFLM compile): the arena probe and `test` run on the twin, every
    output byte equals the pinned TFLM's; with kernels=reference the kernels are TFLM's reference ones."""
    result = scons("target=esp32c3", "model=hello_world,kws", "runtime=tflm", "kernels=reference", "test",
                   "test_vectors=1", f"build_dir={c3_root}")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert " kernels=reference " in text
    assert "test: PASS (esp32c3's objects on a RISC-V ISA twin" in text
    out = c3_root / "esp32c3" / "hello_world+kws"
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and sorted(verdict["models"]) == ["hello_world", "kws"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["tflm"]["kernels"] == "reference"
    assert manifest["settings"]["tflm"]["kernels_reason"] == "kernels= given"
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


ESP_NN_MARKER = "/_common/tflm/esp-nn/"
ESP_NN_WRAPPERS = "esp-tflite-micro/tensorflow/lite/micro/kernels/esp_nn/"
REFERENCE_KERNELS = "tflite-micro/tensorflow/lite/micro/kernels/"


def assert_esp_nn_linked(out, images=("firmware", "firmware-twin")):
    """The ELFs hold ESP-NN's wrappers and functions (portable C) and no reference conv, depthwise or
    fully connected kernel object."""
    for image in images:  # the chip's image and the one `test` ran
        elf, inputs = read_elf(out / f"{image}.elf"), read_map(out / f"{image}.map")
        linked = kernel_objects_linked(elf, inputs, ESP_NN_MARKER)
        wrappers = ("conv", "depthwise_conv", "fully_connected", "pooling", "softmax")
        assert {f"{ESP_NN_WRAPPERS}{k}.o" for k in wrappers} <= linked, linked
        assert not linked & {f"{REFERENCE_KERNELS}{k}.o" for k in ("conv", "depthwise_conv", "fully_connected")}
        functions = {s.name for s in elf.symbols}
        assert {"esp_nn_conv_s8_opt", "esp_nn_depthwise_conv_s8_opt", "esp_nn_softmax_s8_opt",
                "esp_nn_fully_connected_per_ch_s8_ansi", "esp_timer_get_time"} <= functions, image
    size = json.loads((out / "size.json").read_text())
    assert size["notes"]["kernel_library"]["name"] == "esp-nn" and size["notes"]["kernel_library"]["functions"]


def xtensa_tflm_twin(test):
    """The marks and skips of a test that runs the esp32s3 runtime=tflm image on the Xtensa twin."""
    for mark in (needs_xtensa, needs_esp_nn, needs_sources, pytest.mark.tflm_sources, pytest.mark.slow,
                 pytest.mark.qemu):
        test = mark(test)
    return test


SVDF_MODEL = SHARED_MODELS / "keyword_scrambled_8bit.tflite"  # int8 SVDF: a file rebuilt without +fp


@pytest.fixture(scope="module")
def s3_run(tmp_path_factory):
    """One esp32s3 runtime=tflm image (one TFLM compile) for the Xtensa twin tests: hello_world, kws
    and, when the shared models are present, keyword_scrambled_8bit (SVDF)."""
    models = ["hello_world", "kws"] + ([str(SVDF_MODEL)] if SVDF_MODEL.is_file() else [])
    root = tmp_path_factory.mktemp("esp32s3-tflm")
    result = scons("target=esp32s3", f"model={','.join(models)}", "runtime=tflm", "test", "test_vectors=1",
                   f"build_dir={root}")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    return text, root / "esp32s3" / "+".join(Path(m).stem for m in models)


@xtensa_tflm_twin
def test_tflm_with_esp_nn_on_esp32s3_is_bit_exact_on_the_twin(s3_run):
    """TFLM's C++ and ESP-NN's portable C on windowed Xtensa (the chip's default kernels): double
    helpers, libm pieces and newlib's expf linked with no unresolved symbol, hello_world and kws (conv,
    depthwise, pooling, fully connected, softmax through ESP-NN) bit-exact on the twin; the banner and
    manifest say the library is the portable C, not ESP-IDF's S3 assembly."""
    text, out = s3_run
    assert " kernels=esp-nn (ESP-NN's portable C, not ESP-IDF's esp32s3 SIMD assembly" in text
    assert "test: PASS (esp32s3's objects on an Xtensa ISA twin" in text
    assert "inconsistent use of MD5" not in text  # the driver keeps llvm-mc quiet on C++ objects
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and {"hello_world", "kws"} <= set(verdict["models"])
    manifest = json.loads((out / "manifest.json").read_text())
    tflm = manifest["settings"]["tflm"]
    assert tflm["kernels"] == "esp-nn" and manifest["settings"]["oracle"]["kind"] == "pinned"
    assert tflm["kernels_reason"].startswith("ESP-NN's portable C, not ESP-IDF's esp32s3 SIMD assembly")
    database = json.loads((out / "compile_commands.json").read_text())
    cxx = [e["command"] for e in database if e["file"].endswith(".cc")]
    assert cxx and all("--target=xtensa" in c and "clang++-22" in c and "/newlib" in c for c in cxx)
    esp_nn = [e for e in database if f"{ESP_NN_MARKER}esp-nn/" in e["output"]]  # the library's objects
    assert esp_nn and all(e["file"].endswith(".c") for e in esp_nn)  # its portable C, none of its assembly
    assert all(f"-isystem {xtensa_libm.HEADERS_DIR} " in e["command"] for e in esp_nn)  # its stdio.h, string.h
    assert (out.parent / "_common" / "tflm" / "newlib" / "sf_exp.c").is_file()  # extracted, never committed
    newlib = tflm["system_sources"]
    assert newlib["package"] == "newlib-source" and "newlib/libm/common/sf_exp.c" in newlib["files"]
    assert_esp_nn_linked(out)


@xtensa_tflm_twin
def test_svdf_runs_bit_exact_on_the_xtensa_twin(s3_run):
    """keyword_scrambled_8bit (int8 SVDF, QUANTIZE, DEQUANTIZE, FULLY_CONNECTED, SOFTMAX) in the same
    image: TFLM's svdf_common.cc hits LLVM 22's float-select crash and is rebuilt without +fp, so its
    float path calls xtensa_rt's binary32 helpers and newlib's tanhf/fminf/fmaxf -- all linked, no
    unresolved symbol, and every output byte equals the pinned TFLM's on the twin."""
    if not SVDF_MODEL.is_file():
        pytest.skip(f"reference model {SVDF_MODEL} not present (shared/models beside the checkout)")
    text, out = s3_run
    assert "test: PASS (esp32s3's objects on an Xtensa ISA twin" in text
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and "keyword_scrambled_8bit" in verdict["models"]
    functions = {s.name for s in read_elf(out / "firmware-twin.elf").symbols}
    assert {"__addsf3", "__mulsf3", "tanhf", "fminf", "fmaxf"} <= functions
    files = json.loads((out / "manifest.json").read_text())["settings"]["tflm"]["system_sources"]["files"]
    assert "newlib/libm/math/sf_tanh.c" in files


def test_esp_nn_is_the_xtensa_default_and_the_s3_says_portable_c(tmp_path):
    """ESP-NN is built for every ESP chip; only on the S3 does ESP-IDF take other code (its SIMD
    assembly), so only there the note says what this library is. The reference kernels stay a choice."""
    def resolve(target, **options):
        return build_config.resolve(PROJECT_DIR, target, "kws", runtime="aot", build_dir=str(tmp_path),
                                    env={"PATH": ""}, **options)

    s3 = resolve("esp32s3")
    assert s3.kernels == "esp-nn"
    assert s3.kernels_note == ("ESP-NN's portable C, not ESP-IDF's esp32s3 SIMD assembly, which LLVM 22 "
                               "cannot assemble")
    assert resolve("esp32s3", kernels="esp-nn").kernels_note == s3.kernels_note  # explicit: said as well
    esp32 = resolve("esp32")
    assert (esp32.kernels, esp32.kernels_note) == ("esp-nn", "")  # ESP-IDF builds the portable C there too
    reference = resolve("esp32s3", kernels="reference")
    assert (reference.kernels, reference.kernels_note) == ("reference", "")
    choice = build_config.ToolchainChoice("clang-xtensa", "the target's toolchain")
    why = build_config._esp_tflm_refusal(load_target("esp32s3"), choice, env={"PATH": ""})
    assert why is not None and "ESP-NN" not in why  # only a missing package refuses it
    # ESP-NN's C includes stdio.h and string.h: on Xtensa its C files take newlib's headers, as the C++ does
    assert xtensa_libm.c_header_flags("clang-xtensa") == ("-isystem", str(xtensa_libm.HEADERS_DIR))
    assert xtensa_libm.c_header_flags("riscv64-unknown-elf-gcc") == ()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.tflm_sources
@needs_sources
@needs_esp_nn
@needs_c3
def test_esp_nn_on_esp32c3_is_bit_exact_on_the_twin_and_replaces_the_reference_kernels(c3_root):
    """The chip's default kernels=esp-nn: esp-tflite-micro's esp_nn wrappers over ESP-NN's portable C,
    bit-exact with the pinned TFLM (reference kernels) on kws (int8 CONV_2D, DEPTHWISE_CONV_2D,
    FULLY_CONNECTED, AVERAGE_POOL_2D, SOFTMAX) and hello_world (float FULLY_CONNECTED: the wrapper's
    reference path). The ELFs hold ESP-NN's functions and no reference conv/depthwise/fc kernel object."""
    result = scons("target=esp32c3", "model=hello_world,kws", "runtime=tflm", "test", "test_vectors=1",
                   f"build_dir={c3_root}")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert " kernels=esp-nn " in text and "test: PASS (esp32c3's objects on a RISC-V ISA twin" in text
    out = c3_root / "esp32c3" / "hello_world+kws"
    verdict = json.loads((out / "test.json").read_text())
    assert verdict["verdict"] == "pass" and sorted(verdict["models"]) == ["hello_world", "kws"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["tflm"]["kernels"] == "esp-nn" and manifest["settings"]["oracle"]["kind"] == "pinned"
    assert manifest["settings"]["tflm"]["kernels_reason"] == "the target's default kernels"
    assert manifest["settings"]["tflm"]["third_party"]["esp-tflite-micro"]["resolved"] in ("cache", "explicit")
    assert_esp_nn_linked(out)


def test_esp_nn_is_the_c3_default_and_refused_off_the_esp32_family(tmp_path):
    config = build_config.resolve(PROJECT_DIR, "esp32c3", "kws", runtime="aot", build_dir=str(tmp_path),
                                  env={"PATH": ""})
    assert config.kernels == "esp-nn" and config.kernels_note == ""
    # a model none of whose ops ESP-NN has: the default gives way, and says why (banner, manifest)
    assert build_config._default_kernels_for(["QUANTIZE"], "esp-nn", explicit=False) == (
        "reference", "the target's esp-nn has no kernel for QUANTIZE")
    with pytest.raises(TinyMLError, match="kernels=esp-nn is for the ESP32 family, not target qemu-m4"):
        build_config.resolve(PROJECT_DIR, "qemu-m4", "kws", runtime="tflm", kernels="esp-nn",
                             build_dir=str(tmp_path), env={"PATH": ""})


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
