"""Helpers of the Xtensa tests: compile through xtensa_cc, link a twin ELF, run it in QEMU.

Why here: the three Xtensa test files build small firmware images the same way the real build does
(driver, xtensa_rt, twin platform, generated linker script), without SCons, in a few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinyml_build.config.targets import load_target
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
from tinyml_build.platform import twin_xtensa
from tinyml_build.toolchains import clang_xtensa

COMPILE_TOOLS = ("clang-22", "llvm-mc-22")
LINK_TOOLS = ("xtensa-lx106-elf-ld",)
RUN_TOOLS = ("qemu-system-xtensa",)
WARNINGS = ("-Wall", "-Wextra", "-Wshadow", "-Wdouble-promotion", "-Werror")


def require(*tools: str) -> None:
    """Skip the test unless every program is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} ({clang_xtensa.APT_COMMAND}; qemu-system-misc for QEMU)")


def arch(cpu: str = "esp32") -> list[str]:
    names = clang_xtensa.ESP32_FEATURES if cpu == "esp32" else clang_xtensa.ESP32S3_FEATURES
    return [clang_xtensa.CLANG_TARGET, *clang_xtensa.feature_flags(names)]


def driver(*options: str) -> list[str]:
    return [sys.executable, "-m", "tinyml_build.toolchains.xtensa_cc", *options, "--"]


def compile_c(source: Path, obj: Path, cpu: str = "esp32", flags=(), optimization: str = "-O2",
              check: bool = True) -> subprocess.CompletedProcess:
    command = driver() + arch(cpu) + [optimization, "-g", "-std=c99", "-ffunction-sections", "-fdata-sections",
                                      "-fno-common", *WARNINGS, *flags, "-c", str(source), "-o", str(obj)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"compiling {source.name} failed:\n{result.stderr}")
    return result


def twin_objects(work: Path, cpu: str = "esp32", with_print: bool = True) -> list[Path]:
    """The twin platform (with the stack mark its start-up paints), xtensa_rt and (optionally)
    tml_print.c, compiled into work/."""
    sources = twin_xtensa.twin_sources() + twin_xtensa.runtime_support_sources() + [PLATFORM_SOURCE_DIR / "tml_stack.c"]
    if with_print:
        sources.append(PLATFORM_SOURCE_DIR / "tml_print.c")
    objects = []
    for source in sources:
        obj = work / f"{source.parent.name}_{source.stem}.o"
        compile_c(source, obj, cpu, flags=["-DTML_TWIN=1", f"-I{PLATFORM_SOURCE_DIR}"])
        objects.append(obj)
    return objects


def link(work: Path, objects: list[Path], target_name: str = "esp32",
         check: bool = True) -> subprocess.CompletedProcess:
    target = load_target(target_name)
    script = work / "twin.ld"
    script.write_text(twin_xtensa.render_twin_linker_script(target))
    flags = clang_xtensa.firmware_flags(target, Path.cwd())
    toolchain_ld = Path(shutil.which("xtensa-lx106-elf-ld"))
    command = [str(toolchain_ld), *flags.link, "-T", str(script), "-Map", str(work / "twin.map"),
               "-o", str(work / "twin.elf"), *map(str, objects)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"link failed:\n{result.stderr}")
    return result


def build_twin(work: Path, sources: list[Path], cpu: str = "esp32", flags=()) -> Path:
    """A twin ELF of the given test sources plus the platform, xtensa_rt and tml_print."""
    work.mkdir(parents=True, exist_ok=True)
    objects = twin_objects(work, cpu)
    for source in sources:
        obj = work / f"{source.stem}.o"
        compile_c(source, obj, cpu, flags=[f"-I{PLATFORM_SOURCE_DIR}", *flags])
        objects.append(obj)
    link(work, objects, "esp32" if cpu == "esp32" else "esp32s3")
    return work / "twin.elf"


def run_twin(elf: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(twin_xtensa.qemu_command(elf), capture_output=True, text=True, errors="replace",
                          timeout=timeout, check=False)
