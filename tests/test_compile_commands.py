"""compile_commands.json lists, for every object, the exact command that built it: C with the C
compiler and -std=c99, C++ with the C++ compiler and -std=c++17 (clangd parses each file as the build
compiled it). Checked by re-running entries with -fsyntax-only, and with clangd when it is installed."""

import json
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR
from tflm_testlib import needs_sources

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def _build(build_dir, *args):
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world",
                             f"build_dir={build_dir}", *args], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return json.loads((build_dir / "qemu-m4" / "hello_world" / "compile_commands.json").read_text())


def _syntax_check(entry):
    words = shlex.split(entry["command"])
    if "-o" in words:
        at = words.index("-o")
        del words[at:at + 2]
    return subprocess.run(words + ["-fsyntax-only"], capture_output=True, text=True, cwd=entry["directory"])


def test_c_entries_are_the_commands_that_built_them(tmp_path):
    entries = _build(tmp_path, "runtime=aot")
    objects = sorted(str(p.relative_to(PROJECT_DIR)) if p.is_relative_to(PROJECT_DIR) else str(p)
                     for p in (tmp_path / "qemu-m4").rglob("*.o"))
    assert sorted(e["output"] for e in entries) == objects
    for entry in entries:
        assert entry["file"].endswith(".c")
        assert "arm-none-eabi-gcc" in entry["command"] and "-std=c99" in entry["command"]
        assert "$(" not in entry["command"] and "$)" not in entry["command"]
    result = _syntax_check(next(e for e in entries if e["file"].endswith("_model.c")))
    assert result.returncode == 0, result.stderr


@needs_sources
@pytest.mark.tflm_sources
@pytest.mark.slow
def test_cpp_entries_use_the_cpp_compiler(tmp_path):
    entries = _build(tmp_path, "runtime=tflm", "kernels=reference")
    cpp = [e for e in entries if e["file"].endswith(".cc")]
    assert len(cpp) >= 40
    for entry in cpp:
        assert "arm-none-eabi-g++" in entry["command"] and "-std=c++17" in entry["command"]
        assert "-std=c99" not in entry["command"]
    for entry in (e for e in entries if e["file"].endswith(".c")):
        assert "arm-none-eabi-gcc" in entry["command"] and "-std=c99" in entry["command"]
    interpreter = next(e for e in cpp if e["file"].endswith("micro_interpreter.cc"))
    result = _syntax_check(interpreter)
    assert result.returncode == 0, result.stderr
    clangd = shutil.which("clangd-22") or shutil.which("clangd")
    if clangd:
        check = subprocess.run([clangd, f"--compile-commands-dir={tmp_path / 'qemu-m4' / 'hello_world'}",
                                f"--check={interpreter['file']}"], capture_output=True, text=True, timeout=300)
        assert "-std=c++17" in check.stderr and "C++" in check.stderr or check.returncode == 0, check.stderr[-2000:]
