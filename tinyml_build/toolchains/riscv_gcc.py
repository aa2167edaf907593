"""riscv64-unknown-elf-gcc with picolibc (Debian's RISC-V toolchain) for the ESP32-C3 (RV32IMC).

Why these flags: Debian's GCC is multilib; it compiles for the target's -march/-mabi (rv32imc with
the zicsr/zifencei extensions, which GCC 12 needs spelled out for CSR and fence.i instructions) but
must LINK with plain -march=rv32imc -mabi=ilp32, or the multilib match fails and the rv64 libraries
are picked. picolibc comes through its specs file (headers at compile time, libc/libm at link time);
its start-up file is not used (-nostartfiles): the platform layer starts the chip.

C++ (runtime=tflm): Debian's riscv64-unknown-elf-g++ has no C++ library headers for picolibc, so C++
files are compiled by clang++-22 for riscv32 with libc++'s headers over picolibc's (toolchains/libcxx.py);
the objects are ordinary ilp32 ELF objects that this GCC links with picolibc as before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains import gcc as gnu
from tinyml_build.toolchains import libcxx
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION, Flags, GccToolchain, policy_flags, prefix_maps

NAME = "riscv64-unknown-elf-gcc"
SUPPORTS_CXX = True  # C++ through clang++-22 and libc++'s headers (cxx_command), when installed
CXX_TARGET = "--target=riscv32-unknown-elf"
# The C flags carry GCC's --specs=picolibc.specs, which clang ignores: that warning is no news.
CXX_QUIET = ("-Wno-unused-command-line-argument",)
# No linker relaxation in clang's objects: with it, clang 22 writes DWARF 5 label differences as
# R_RISCV_SET_ULEB128/SUB_ULEB128 relocations, which Debian's ld 2.40 does not know (it crashes
# with SIGSEGV on them). The C objects (GCC) keep relaxation.
CXX_NO_RELAX = ("-mno-relax",)
PREFIX = "riscv64-unknown-elf-"
MIN_VERSION = (10, 2)
APT_PACKAGES = ("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf")
APT_COMMAND = "sudo apt-get install " + " ".join(APT_PACKAGES)
PICOLIBC_SPECS = "--specs=picolibc.specs"
LINK = (
    "-nostartfiles",  # the platform layer provides the entry point
    PICOLIBC_SPECS,
    "-Wl,--gc-sections",
    "-Wl,--no-warn-rwx-segments",
    "-Wl,--build-id=none",
)
LINK_LIBRARIES = ("-Wl,--start-group", "-lc", "-lm", "-lgcc", "-Wl,--end-group")


def find_toolchain(search_path: str | None = None, environ: dict | None = None) -> GccToolchain:
    """Locate riscv64-unknown-elf-gcc on PATH and check picolibc's rv32 libraries are there."""
    environ = os.environ if environ is None else environ
    found = shutil.which(f"{PREFIX}gcc", path=search_path if search_path is not None else environ.get("PATH"))
    if found is None:
        raise ToolchainError(f"{NAME} not found on PATH (needed for RISC-V targets such as esp32c3)",
                             fix=f"install it: {APT_COMMAND}")
    toolchain = gnu.probe(Path(found), PREFIX, APT_COMMAND)
    if toolchain.version < MIN_VERSION:
        raise ToolchainError(f"{NAME} {toolchain.version_string} is too old", fix=f"install a newer one: {APT_COMMAND}")
    specs = gnu.run_tool(toolchain.gcc, f"-print-file-name={PICOLIBC_SPECS.split('=')[1]}",
                         apt_command=APT_COMMAND).strip()
    if not Path(specs).is_absolute():
        raise ToolchainError(f"{NAME} is installed but picolibc (picolibc.specs) is missing",
                             fix=f"install it: {APT_COMMAND}")
    return toolchain


def picolibc_include(toolchain: GccToolchain, target: Target) -> Path | None:
    """picolibc's header folder, as GCC's picolibc.specs puts it on the include path."""
    result = subprocess.run([str(toolchain.gcc), *target.arch_flags, PICOLIBC_SPECS, "-E", "-Wp,-v", "-xc", os.devnull],
                            capture_output=True, text=True, check=False, timeout=60)
    folders = [Path(line.strip()) for line in result.stderr.splitlines() if line.startswith(" ")]
    return next((f for f in folders if "picolibc" in f.parts and f.is_dir()), None)


def cxx_unavailable(search_path: str | None = None) -> str | None:
    """Why C++ cannot be compiled here (clang++-22 or libc++'s headers missing), or None."""
    found = libcxx.find(search_path)
    return None if isinstance(found, libcxx.LibcxxHeaders) else f"{found} (install: {libcxx.APT_COMMAND})"


def cxx_command(toolchain: GccToolchain, target: Target, search_path: str | None = None) -> list[str] | None:
    """$CXX for this target: clang++-22 for rv32 with libc++'s and picolibc's headers (the arch and
    policy flags follow as for C); None when clang++-22 or libc++'s headers are missing."""
    headers = libcxx.find(search_path)
    include = picolibc_include(toolchain, target)
    if not isinstance(headers, libcxx.LibcxxHeaders) or include is None:
        return None
    return [str(headers.clang), CXX_TARGET, *CXX_QUIET, *CXX_NO_RELAX, libcxx.revision_flag(),
            *headers.include_flags(include)]


def link_arch_flags(target: Target) -> tuple[str, ...]:
    """-march without the z* extensions (they only matter to the assembler), same -mabi."""
    flags = []
    for flag in target.arch_flags:
        if flag.startswith("-march="):
            flag = flag.split("_", 1)[0]
        flags.append(flag)
    return tuple(flags)


def firmware_flags(target: Target, project_dir: Path, build_root: Path | None = None,
                   kernel_optimization: str = KERNEL_OPTIMIZATION) -> Flags:
    """All compile and link flags for one RISC-V target."""
    if target.toolchain != NAME:
        raise ToolchainError(f"target {target.name} uses {target.toolchain}, not {NAME}",
                             where=target.source or target.name)
    return policy_flags(tuple(target.arch_flags) + (PICOLIBC_SPECS,), LINK, LINK_LIBRARIES,
                        prefix_maps(project_dir, build_root), kernel_optimization, link_arch=link_arch_flags(target),
                        cxx=SUPPORTS_CXX)
