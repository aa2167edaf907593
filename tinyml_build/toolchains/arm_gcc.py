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
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError

NAME = "arm-none-eabi-gcc"
PREFIX = "arm-none-eabi-"
MIN_VERSION = (10, 2)  # first release with -mcpu=cortex-m55 and MVE intrinsics
APT_PACKAGES = ("gcc-arm-none-eabi", "binutils-arm-none-eabi", "libnewlib-arm-none-eabi")
APT_COMMAND = "sudo apt-get install " + " ".join(APT_PACKAGES)
# Environment variable naming a toolchain folder (its bin/ holds arm-none-eabi-gcc), e.g. an Arm GNU
# Toolchain download; without it the compiler is looked up on PATH.
TOOLCHAIN_DIR_VARIABLE = "TINYML_ARM_TOOLCHAIN"

# Optimization policy. Framework code (startup, console, report) is small and cold: -Os.
# Kernels and the generated model run every inference: -O2.
FRAMEWORK_OPTIMIZATION = "-Os"
KERNEL_OPTIMIZATION = "-O2"
C_STANDARD = "-std=c99"
CXX_STANDARD = "-std=c++17"

WARNINGS = ("-Wall", "-Wextra", "-Wshadow", "-Wdouble-promotion")
CODE_GENERATION = (
    "-ffunction-sections",  # one section per function and per object: the linker drops what is unused
    "-fdata-sections",
    "-fno-common",
    "-g",  # debug info lives in the .elf only; .bin/.hex are unaffected
)
CXX_ONLY = ("-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics", "-fno-use-cxa-atexit")
LINK = (
    "-nostartfiles",  # the platform layer provides the vector table and reset handler
    "--specs=nano.specs",  # newlib-nano: small memcpy/memset, no float printf
    "-Wl,--gc-sections",
    "-Wl,--no-warn-rwx-segments",  # the images are bare-metal: RAM code segments are intended
    "-Wl,--build-id=none",
)
LINK_LIBRARIES = ("-Wl,--start-group", "-lc_nano", "-lgcc", "-Wl,--end-group")


@dataclass(frozen=True)
class ArmGcc:
    """An installed arm-none-eabi toolchain: the programs and the compiler version."""

    bin_dir: Path
    version: tuple[int, ...]
    version_text: str  # first line of `gcc --version`, for manifests

    def program(self, tool: str) -> Path:
        """Path of one program of the toolchain, e.g. program('objcopy')."""
        return self.bin_dir / f"{PREFIX}{tool}"

    @property
    def gcc(self) -> Path:
        return self.program("gcc")

    @property
    def gxx(self) -> Path:
        return self.program("g++")

    @property
    def objcopy(self) -> Path:
        return self.program("objcopy")

    @property
    def nm(self) -> Path:
        return self.program("nm")

    @property
    def ar(self) -> Path:
        return self.program("ar")

    @property
    def version_string(self) -> str:
        return ".".join(str(v) for v in self.version)


def parse_version(text: str) -> tuple[int, ...]:
    """'12.2.1' (from -dumpfullversion) -> (12, 2, 1); ToolchainError if it is not a version."""
    match = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*", text)
    if not match:
        raise ToolchainError(f"cannot read the version of {NAME} (it printed {text.strip()!r})",
                             fix=f"reinstall the toolchain: {APT_COMMAND}")
    return tuple(int(g) for g in match.groups() if g is not None)


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
    version_text = _run(gcc, "-dumpfullversion")
    version = parse_version(version_text)
    if version < MIN_VERSION:
        raise ToolchainError(f"{NAME} {'.'.join(map(str, version))} at {gcc} is too old "
                             f"(need {'.'.join(map(str, MIN_VERSION))} or newer for every Cortex-M target)",
                             fix=f"install a newer one: {APT_COMMAND} (Debian 12 ships 12.2)")
    libc = _run(gcc, "-print-file-name=libc_nano.a").strip()
    if not Path(libc).is_absolute():  # gcc echoes the bare name when it cannot find the file
        raise ToolchainError(f"{NAME} is installed but newlib-nano (libc_nano.a) is missing",
                             fix=f"install it: {APT_COMMAND}")
    banner = _run(gcc, "--version").splitlines()[0].strip()
    return ArmGcc(bin_dir=gcc.parent, version=version, version_text=banner)


def _run(program: Path, *args: str) -> str:
    try:
        result = subprocess.run([str(program), *args], capture_output=True, text=True, timeout=60, check=False)
    except OSError as err:
        raise ToolchainError(f"cannot run {program}: {err}", fix=f"reinstall the toolchain: {APT_COMMAND}") from None
    if result.returncode != 0:
        raise ToolchainError(f"{program} {' '.join(args)} failed:", details=result.stderr.strip()[:300],
                             fix=f"reinstall the toolchain: {APT_COMMAND}")
    return result.stdout


@dataclass(frozen=True)
class Flags:
    """Every flag of one firmware build, grouped the way SCons consumes them."""

    arch: tuple[str, ...]  # -mcpu/-mthumb/-mfpu/-mfloat-abi: compile and link
    common: tuple[str, ...]  # C and C++: code generation, warnings
    c: tuple[str, ...]
    cxx: tuple[str, ...]
    framework_optimization: str
    kernel_optimization: str
    link: tuple[str, ...]
    libraries: tuple[str, ...]
    # -ffile-prefix-map: they keep machine paths out of the objects, so they never change an object's
    # bytes; the SCons tools keep them out of object signatures ($( $)), so a build cache is shared
    # across checkouts and build folders.
    path_maps: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Plain data for manifest.json."""
        return {
            "arch": list(self.arch),
            "common": list(self.common),
            "c": list(self.c),
            "cxx": list(self.cxx),
            "framework_optimization": self.framework_optimization,
            "kernel_optimization": self.kernel_optimization,
            "link": list(self.link),
            "libraries": list(self.libraries),
            "path_maps": list(self.path_maps),
        }


def arch_flags(target: Target) -> tuple[str, ...]:
    """-mcpu/-mthumb/-mfpu/-mfloat-abi for the target; ToolchainError if it is not a Cortex-M one."""
    if target.toolchain != NAME:
        raise ToolchainError(f"target {target.name} uses {target.toolchain}, not {NAME}",
                             where=target.source or target.name,
                             fix="pick an Arm Cortex-M target (scons -h lists them)")
    return tuple(target.arch_flags)


def prefix_maps(project_dir: Path, build_root: Path | None = None) -> tuple[str, ...]:
    """-ffile-prefix-map flags: paths in objects and debug info become the same wherever the
    checkout and the build folder are -- sources relative to the checkout ('.'), build outputs under
    'build/' (SCons names files inside the checkout by relative paths, others by absolute ones: both
    spellings of the build folder are mapped). Objects are then byte-identical across checkouts and
    build folders, which is what lets a build cache share them.

    GCC uses the last map that matches, so the build folder's maps come after the checkout's.
    """
    project = Path(project_dir).resolve()
    maps = [f"-ffile-prefix-map={project}=."]
    if build_root is not None:
        root = Path(build_root).resolve()
        maps.append(f"-ffile-prefix-map={root}=build")
        try:
            relative = root.relative_to(project).as_posix()
        except ValueError:
            relative = None
        if relative and relative != "build":
            maps.append(f"-ffile-prefix-map={relative}/=build/")
    return tuple(maps)


def firmware_flags(target: Target, project_dir: Path, build_root: Path | None = None,
                   kernel_optimization: str = KERNEL_OPTIMIZATION) -> Flags:
    """All compile and link flags for one target."""
    arch = arch_flags(target)
    return Flags(
        arch=arch,
        common=CODE_GENERATION + WARNINGS,
        c=(C_STANDARD,),
        cxx=(CXX_STANDARD,) + CXX_ONLY,
        framework_optimization=FRAMEWORK_OPTIMIZATION,
        kernel_optimization=kernel_optimization,
        link=LINK,
        libraries=LINK_LIBRARIES,
        path_maps=prefix_maps(project_dir, build_root),
    )
