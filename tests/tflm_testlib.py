"""Shared by the runtime=tflm tests: what they need on the machine, running scons, one build
folder for the session (TFLM's core takes ~40 s of CPU per target, so the build and QEMU tests
share their target-level objects)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinyml_build.runtimes.tflm.sources import missing_reason

PROJECT_DIR = Path(__file__).resolve().parents[1]
FULL_MATRIX = os.environ.get("TINYML_FULL_MATRIX", "") not in ("", "0")

_WHY_NO_SOURCES = missing_reason(["FULLY_CONNECTED", "CONV_2D"], "cmsis-nn")

needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                                reason="qemu-system-arm not installed (sudo apt-get install qemu-system-arm)")
needs_sources = pytest.mark.skipif(_WHY_NO_SOURCES is not None,
                                   reason=f"TFLM sources do not resolve here ({_WHY_NO_SOURCES}); "
                                          "`tinyml-build deps sync` fetches them")


def scons(*args, env: dict | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    """verbose=1: the tests read which objects were compiled from the command lines."""
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", "verbose=1", *args], capture_output=True,
                          text=True, cwd=PROJECT_DIR, env={**os.environ, **(env or {})}, timeout=timeout)


def shared_build_root(tmp_path_factory) -> Path:
    """One build folder for every runtime=tflm test of the session."""
    root = tmp_path_factory.getbasetemp() / "tflm-shared"
    root.mkdir(exist_ok=True)
    return root


def compiled_objects(output: str) -> list[str]:
    """The objects a verbose scons run compiled (from the compiler command lines it printed)."""
    lines = (re.sub(r"^\[\d+/\d+\] ", "", line) for line in output.splitlines())
    return [line.split(" -o ", 1)[1].split()[0] for line in lines
            if line.startswith("/") and " -c " in line and " -o " in line]
