"""arm-none-eabi-gcc: find it, check its version, and derive every flag from the target.

Why one module: the compiler flags decide code size, speed and reproducibility of the
firmware, so they are computed in one place (plain Python, tested without SCons) and the SCons
tool only copies them into construction variables. Flags come from the target's `arch_flags`
(already checked against cpu/fpu/float_abi by tinyml_build.config.targets); everything else here is
policy: dead-code removal, -Os for framework code and -O2 for kernels, no exceptions/RTTI in
C++, and no absolute paths or timestamps in the outputs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains import gcc as gnu
from tinyml_build.toolchains.gcc import (  # the shared compile policy, re-exported for the tflm runtime's flags
    CODE_GENERATION,
    KERNEL_OPTIMIZATION,
    WARNINGS,
    Flags,
    GccToolchain,
    policy_flags,
    prefix_maps,
)

__all__ = ["CODE_GENERATION", "WARNINGS", "ArmGcc", "Flags", "find_toolchain", "firmware_flags", "prefix_maps"]

NAME = "arm-none-eabi-gcc"
PREFIX = "arm-none-eabi-"
MIN_VERSION = (10, 2)  # first release with -mcpu=cortex-m55 and MVE intrinsics
APT_PACKAGES = ("gcc-arm-none-eabi", "binutils-arm-none-eabi", "libnewlib-arm-none-eabi")
APT_COMMAND = "sudo apt-get install " + " ".join(APT_PACKAGES)
# Environment variable naming a toolchain folder (its bin/ holds arm-none-eabi-gcc), e.g. an Arm GNU
# Toolchain download; without it the compiler is looked up on PATH.
TOOLCHAIN_DIR_VARIABLE = "TINYML_ARM_TOOLCHAIN"

LINK = (
    "-nostartfiles",  # the platform layer provides the vector table and reset handler
    "--specs=nano.specs",  # newlib-nano: small memcpy/memset, no float printf
    "-Wl,--gc-sections",
    "-Wl,--no-warn-rwx-segments",  # the images are bare-metal: RAM code segments are intended
    "-Wl,--build-id=none",
)
# libm: aot float math kernels (and TFLM) call sinf, expf, ...; only what is called is linked
LINK_LIBRARIES = ("-Wl,--start-group", "-lc_nano", "-lm", "-lgcc", "-Wl,--end-group")


# The toolchain found: a GccToolchain with the arm-none-eabi- prefix.
ArmGcc = GccToolchain


def parse_version(text: str) -> tuple[int, ...]:
    """'12.2.1' (from -dumpfullversion) -> (12, 2, 1); ToolchainError if it is not a version."""
    return gnu.parse_version(text, NAME, APT_COMMAND)


def find_toolchain(search_path: str | None = None, environ: dict | None = None) -> ArmGcc:
    """Locate arm-none-eabi-gcc (TINYML_ARM_TOOLCHAIN, else PATH) and check it can build firmware.

    Raises one ToolchainError naming the exact apt command when the compiler or newlib is missing,
    or when the compiler is older than MIN_VERSION.
    """
    environ = os.environ if environ is None else environ
    folder = environ.get(TOOLCHAIN_DIR_VARIABLE)
    if folder:
        gcc = Path(folder) / "bin" / f"{PREFIX}gcc"
        if not gcc.is_file():
            raise ToolchainError(f"{TOOLCHAIN_DIR_VARIABLE}={folder} has no bin/{PREFIX}gcc",
                                 where=TOOLCHAIN_DIR_VARIABLE,
                                 fix=f"point it at an Arm GNU Toolchain folder, or unset it and run: {APT_COMMAND}")
    else:
        found = shutil.which(f"{PREFIX}gcc", path=search_path if search_path is not None else environ.get("PATH"))
        if found is None:
            raise ToolchainError(f"{NAME} not found on PATH (needed for Cortex-M targets)",
                                 fix=f"install it: {APT_COMMAND}")
        gcc = Path(found)
    found = gnu.probe(gcc, PREFIX, APT_COMMAND)
    version = found.version
    if version < MIN_VERSION:
        raise ToolchainError(f"{NAME} {'.'.join(map(str, version))} at {gcc} is too old "
                             f"(need {'.'.join(map(str, MIN_VERSION))} or newer for every Cortex-M target)",
                             fix=f"install a newer one: {APT_COMMAND} (Debian 12 ships 12.2)")
    libc = _run(gcc, "-print-file-name=libc_nano.a").strip()
    if not Path(libc).is_absolute():  # gcc echoes the bare name when it cannot find the file
        raise ToolchainError(f"{NAME} is installed but newlib-nano (libc_nano.a) is missing",
                             fix=f"install it: {APT_COMMAND}")
    return found


def _run(program: Path, *args: str) -> str:
    return gnu.run_tool(program, *args, apt_command=APT_COMMAND)


def arch_flags(target: Target) -> tuple[str, ...]:
    """-mcpu/-mthumb/-mfpu/-mfloat-abi for the target; ToolchainError if it is not a Cortex-M one."""
    if target.toolchain != NAME:
        raise ToolchainError(f"target {target.name} uses {target.toolchain}, not {NAME}",
                             where=target.source or target.name,
                             fix="pick an Arm Cortex-M target (scons -h lists them)")
    return tuple(target.arch_flags)


def firmware_flags(target: Target, project_dir: Path, build_root: Path | None = None,
                   kernel_optimization: str = KERNEL_OPTIMIZATION) -> Flags:
    """All compile and link flags for one target."""
    return policy_flags(arch_flags(target), LINK, LINK_LIBRARIES, prefix_maps(project_dir, build_root),
                        kernel_optimization)
