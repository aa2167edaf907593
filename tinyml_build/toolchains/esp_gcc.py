"""Espressif's GCC (xtensa-esp32-elf-, xtensa-esp32s3-elf-, xtensa-esp-elf-, riscv32-esp-elf-), as an
ESP-IDF installation puts it on PATH.

Why support it beside Debian's compilers: it is what ESP-IDF users build with, its libgcc and
newlib are built for the windowed Xtensa ABI (no own runtime-support library needed), and it
compiles C++ (runtime=tflm). No registry provides it here, so only the detection and the command
lines are tested (with stand-in programs); the flags follow Espressif's documented usage:
-mlongcalls on Xtensa (code in IRAM calls across more than the 512 KB CALL range), the per-chip
configuration selected by the per-chip program name or, for the unified xtensa-esp-elf-gcc,
-mdynconfig=xtensa_<chip>.so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains import gcc as gnu
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION, Flags, GccToolchain, policy_flags, prefix_maps

PER_NAME = True  # one module, several program names (toolchains.find passes the name)
SUPPORTS_CXX = True
NAMES = ("xtensa-esp32-elf-gcc", "xtensa-esp32s3-elf-gcc", "xtensa-esp-elf-gcc", "riscv32-esp-elf-gcc")
INSTALL_HINT = ("install ESP-IDF (https://docs.espressif.com/projects/esp-idf/) and run its export.sh so the "
                "compiler is on PATH, or use toolchain=auto for Debian's compiler")
MIN_VERSION = (8, 4)
LINK = ("-nostartfiles", "-Wl,--gc-sections", "-Wl,--build-id=none")
LINK_LIBRARIES = ("-Wl,--start-group", "-lc", "-lm", "-lgcc", "-Wl,--end-group")


def find_toolchain(name: str, search_path: str | None = None, environ: dict | None = None) -> GccToolchain:
    """Locate Espressif's `name` on PATH; ToolchainError with the install hint otherwise."""
    if name not in NAMES:
        raise ToolchainError(f"{name} is not one of Espressif's compilers", fix=f"use one of: {', '.join(NAMES)}")
    environ = os.environ if environ is None else environ
    found = shutil.which(name, path=search_path if search_path is not None else environ.get("PATH"))
    if found is None:
        raise ToolchainError(f"{name} not found on PATH", where="toolchain=", fix=INSTALL_HINT)
    toolchain = gnu.probe(Path(found), name[:-len("gcc")], INSTALL_HINT)
    if toolchain.version < MIN_VERSION:
        raise ToolchainError(f"{name} {toolchain.version_string} is too old (need 8.4 or newer)", fix=INSTALL_HINT)
    return toolchain


def arch_flags(name: str, target: Target) -> tuple[str, ...]:
    if name.startswith("riscv32-esp-elf"):
        return tuple(target.arch_flags)
    flags = ("-mlongcalls",)
    if name == "xtensa-esp-elf-gcc":
        flags += (f"-mdynconfig=xtensa_{target.cpu}.so",)
    return flags


def firmware_flags(name: str, target: Target, project_dir: Path, build_root: Path | None = None,
                   kernel_optimization: str = KERNEL_OPTIMIZATION) -> Flags:
    """All compile and link flags for an ESP target built with Espressif's GCC."""
    if target.cpu not in ("esp32", "esp32s3", "esp32c3"):
        raise ToolchainError(f"{name} cannot build target {target.name}", where="toolchain=")
    return policy_flags(arch_flags(name, target), LINK + ("--specs=nano.specs",), LINK_LIBRARIES,
                        prefix_maps(project_dir, build_root), kernel_optimization)
