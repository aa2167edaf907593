"""Toolchains without a C math library (clang for Xtensa): int8 models never need one, float32 models
whose kernels do are refused at build time with one clear message (not "'math.h' file not found")."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_DIR
from tflite_builder import ModelBuilder

from tinyml_build import toolchains
from tinyml_build.errors import ToolchainError
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.c_sources import KERNELS_DIR

MATH_INCLUDE = re.compile(r"^\s*#\s*include\s*<math\.h>", re.MULTILINE)
XTENSA_TOOLS = ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld", "qemu-system-xtensa")


def scons(*args):
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True,
                          cwd=PROJECT_DIR)


def test_kernels_with_integer_paths_include_no_math_header():
    """A kernel file that includes <math.h> holds float32 code only: its int8/int16 twins live in their
    own files, so quantized models build with every toolchain."""
    offenders = [p.name for p in sorted(KERNELS_DIR.glob("*.c"))
                 if MATH_INCLUDE.search(p.read_text()) and re.search(r"\bu?int(8|16)_t\b", p.read_text())]
    assert offenders == []


def test_check_math_library_names_the_kernels_only_where_it_matters(tmp_path):
    with_math = tmp_path / "float_thing.c"
    with_math.write_text("#include <math.h>\nfloat f(float x) { return expf(x); }\n")
    without = tmp_path / "int_thing.c"
    without.write_text("int g(int x) { return x; }\n")
    toolchains.check_math_library("clang-xtensa", [without], "aot", "esp32")  # nothing needs libm
    toolchains.check_math_library("arm-none-eabi-gcc", [with_math, without], "aot", "stm32f407")  # newlib's libm
    with pytest.raises(ToolchainError) as caught:
        toolchains.check_math_library("clang-xtensa", [without, with_math], "aot", "esp32")
    message = str(caught.value.what)
    assert "float_thing.c" in message and "int_thing.c" not in message and "esp32" in message
    assert "Espressif" in caught.value.fix


def _float_logistic_model() -> bytes:
    b = ModelBuilder()
    x = b.tensor("input", "float32", (1, 8))
    y = b.tensor("output", "float32", (1, 8))
    b.op(b.opcode(fb.BuiltinOperator.LOGISTIC), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def test_float_model_needing_libm_is_refused_on_xtensa_clang(tmp_path):
    model = tmp_path / "logistic_f32.tflite"
    model.write_bytes(_float_logistic_model())
    result = scons("target=esp32", f"model={model}", "runtime=aot", "toolchain=clang-xtensa",
                   f"build_dir={tmp_path / 'build'}")
    assert result.returncode != 0
    assert "float_math.c, which calls the C math library" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "file not found" not in result.stderr + result.stdout
    assert not (tmp_path / "build" / "esp32" / "logistic_f32" / "firmware.elf").exists()


def _int8_math_ops_model() -> bytes:
    """int8 LOG_SOFTMAX, L2_NORMALIZATION and RESIZE_BILINEAR: ops whose float32 twins need libm."""
    b = ModelBuilder()
    x = b.tensor("input", "int8", (1, 3, 4, 8), scale=0.05, zero_point=-3)
    resized = b.tensor("resized", "int8", (1, 5, 7, 8), scale=0.05, zero_point=-3)
    size = b.tensor("size", "int32", (2,), data=np.array([5, 7], np.int32))
    normalized = b.tensor("normalized", "int8", (1, 5, 7, 8), scale=1 / 128, zero_point=0)
    y = b.tensor("output", "int8", (1, 5, 7, 8), scale=16 / 256, zero_point=127)
    resize = fb.ResizeBilinearOptionsT()
    resize.halfPixelCenters = True
    b.op(b.opcode(fb.BuiltinOperator.RESIZE_BILINEAR), [x, size], [resized], fb.BuiltinOptions.ResizeBilinearOptions,
         resize)
    b.op(b.opcode(fb.BuiltinOperator.L2_NORMALIZATION), [resized], [normalized], fb.BuiltinOptions.L2NormOptions,
         fb.L2NormOptionsT())
    b.op(b.opcode(fb.BuiltinOperator.LOG_SOFTMAX), [normalized], [y], fb.BuiltinOptions.LogSoftmaxOptions,
         fb.LogSoftmaxOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.qemu
def test_int8_ops_with_float_twins_build_and_match_on_xtensa(tmp_path):
    missing = [tool for tool in XTENSA_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (./setup.sh installs them)")
    model = tmp_path / "int8_math.tflite"
    model.write_bytes(_int8_math_ops_model())
    result = scons("target=esp32", f"model={model}", "runtime=aot", "toolchain=clang-xtensa",
                   f"build_dir={tmp_path / 'build'}", "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "TML-RESULT status=PASS" in result.stdout
