"""Cross toolchains, chosen by the target's data: find the compiler, check it, derive its flags.

A target names its default toolchain (`toolchain:` in targets/<name>.yaml, the one Debian provides);
ESP32 targets also accept Espressif's own GCC, which ESP-IDF installations put on PATH. The
`toolchain=` option picks one explicitly; `auto` prefers Espressif's GCC when it is on PATH (it is
the compiler ESP-IDF users build with, and the only C++ one for Xtensa), else the target's default.

Every toolchain module offers the same three things, so nothing else holds an `if toolchain == ...`:
  find_toolchain(search_path=None, environ=None) -> an object with name, version_text,
      version_string, tool_versions(), link_command(flags, script, map, elf, objects), objcopy;
  firmware_flags(target, project_dir, build_root) -> Flags;
  SUPPORTS_CXX: whether runtime=tflm (C++) can be built with it;
  HAS_MATH_LIBRARY (default True): whether it links a C math library (libm: expf, logf, sqrtf...).
A toolchain whose C++ compiler is another program than its C compiler's sibling (riscv, clang-xtensa: clang++-22
with libc++'s headers) also offers cxx_command(toolchain, target, search_path) and
cxx_unavailable(search_path) (why C++ cannot be compiled on this machine, or None).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from dataclasses import dataclass

from tinyml_build.errors import ToolchainError

AUTO = "auto"

# Toolchain name -> module in this package.
MODULES = {
    "arm-none-eabi-gcc": "arm_gcc",
    "riscv64-unknown-elf-gcc": "riscv_gcc",
    "clang-xtensa": "clang_xtensa",
    "xtensa-esp32-elf-gcc": "esp_gcc",
    "xtensa-esp32s3-elf-gcc": "esp_gcc",
    "xtensa-esp-elf-gcc": "esp_gcc",
    "riscv32-esp-elf-gcc": "esp_gcc",
}

# Espressif's GCCs per ESP cpu, most specific first (ESP-IDF 5.x installs the per-chip names as
# wrappers around xtensa-esp-elf-gcc; older releases only the per-chip ones).
ESPRESSIF_GCC = {
    "esp32": ("xtensa-esp32-elf-gcc", "xtensa-esp-elf-gcc"),
    "esp32s3": ("xtensa-esp32s3-elf-gcc", "xtensa-esp-elf-gcc"),
    "esp32c3": ("riscv32-esp-elf-gcc",),
}

CHOICES = (AUTO,) + tuple(sorted(MODULES))


@dataclass(frozen=True)
class ToolchainChoice:
    name: str
    reason: str  # why this one (for the banner and the manifest)

    @property
    def module(self):
        return module_for(self.name)


def module_for(name: str):
    """The module that drives toolchain `name`."""
    if name not in MODULES:
        raise ToolchainError(f"unknown toolchain '{name}'", where="toolchain=", fix=f"use one of: {', '.join(CHOICES)}")
    return importlib.import_module(f"tinyml_build.toolchains.{MODULES[name]}")


def candidates(target) -> tuple[str, ...]:
    """The toolchains that can build `target`, preferred first."""
    return ESPRESSIF_GCC.get(target.cpu, ()) + (target.toolchain,)


def choose(target, requested: str = AUTO, path: str | None = None) -> ToolchainChoice:
    """The toolchain a build uses; ToolchainError when toolchain= names one that cannot build the target."""
    options = candidates(target)
    if requested and requested != AUTO:
        if requested not in options:
            raise ToolchainError(f"toolchain={requested} cannot build target {target.name}",
                                 where="toolchain=", fix=f"use one of: {', '.join((AUTO,) + options)}")
        return ToolchainChoice(requested, f"toolchain={requested}")
    search = path if path is not None else os.environ.get("PATH", "")
    for name in options[:-1]:
        if shutil.which(name, path=search):
            return ToolchainChoice(name, f"{name} found on PATH (Espressif's GCC is preferred)")
    return ToolchainChoice(options[-1], "the target's toolchain")


def supports_cxx(name: str) -> bool:
    return bool(getattr(module_for(name), "SUPPORTS_CXX", True))


def cxx_unavailable(name: str, search_path: str | None = None) -> str | None:
    """Why toolchain `name` cannot compile C++ on this machine (a missing package), or None."""
    check = getattr(module_for(name), "cxx_unavailable", None)
    return check(search_path) if check is not None else None


def cxx_command(name: str, toolchain, target, search_path: str | None = None) -> list[str] | None:
    """The C++ compiler command of toolchain `name` when it is not the GCC driver's g++ (else None)."""
    command = getattr(module_for(name), "cxx_command", None)
    return command(toolchain, target, search_path) if command is not None else None


_MATH_INCLUDE = re.compile(rb"^[ \t]*#[ \t]*include[ \t]*<(math\.h|cmath)>", re.MULTILINE)


def check_math_library(name: str, sources, runtime: str, target_name: str) -> None:
    """ToolchainError when toolchain `name` has no C math library and one of `sources` (the
    runtime's own C, e.g. the aot kernels a model's float32 ops need) includes <math.h>: a clear
    message at build time instead of the compiler's "'math.h' file not found" halfway through."""
    if getattr(module_for(name), "HAS_MATH_LIBRARY", True):
        return
    users = sorted(p.name for p in sources if p.suffix in (".c", ".cc") and _MATH_INCLUDE.search(p.read_bytes()))
    if users:
        raise ToolchainError(
            f"runtime={runtime} on {target_name}: the model's float32 ops need {', '.join(users)}, which "
            f"call{'s' if len(users) == 1 else ''} the C math library (expf, logf, sqrtf...), and {name} has none",
            where=f"toolchain={name}",
            fix="install ESP-IDF so that Espressif's GCC is on PATH (toolchain=auto then prefers it), "
                "or build an int8-quantized model")


def find(name: str, search_path: str | None = None, environ: dict | None = None):
    """The installed toolchain `name` (ToolchainError naming the install command when it is missing)."""
    module = module_for(name)
    if getattr(module, "PER_NAME", False):
        return module.find_toolchain(name, search_path=search_path, environ=environ)
    return module.find_toolchain(search_path=search_path, environ=environ)


def firmware_flags(name: str, target, project_dir, build_root=None):
    """Every compile and link flag of a firmware build of `target` with toolchain `name`."""
    module = module_for(name)
    if getattr(module, "PER_NAME", False):
        return module.firmware_flags(name, target, project_dir, build_root)
    return module.firmware_flags(target, project_dir, build_root)
