"""riscv64-unknown-elf-gcc with picolibc (Debian's RISC-V toolchain) for the ESP32-C3 (RV32IMC).

Why these flags: Debian's GCC is multilib; it compiles for the target's -march/-mabi (rv32imc with
the zicsr/zifencei extensions, which GCC 12 needs spelled out for CSR and fence.i instructions) but
must LINK with plain -march=rv32imc -mabi=ilp32, or the multilib match fails and the rv64 libraries
are picked. picolibc comes through its specs file (headers at compile time, libc/libm at link time);
its start-up file is not used (-nostartfiles): the platform layer starts the chip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains import gcc as gnu
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION, Flags, GccToolchain, policy_flags, prefix_maps

NAME = "riscv64-unknown-elf-gcc"
SUPPORTS_CXX = False  # Debian ships g++ for it but no C++ library headers for picolibc
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
