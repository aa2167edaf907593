"""A GNU cross toolchain (`<prefix>gcc`, `<prefix>objcopy`...): what arm-none-eabi, riscv64-unknown-elf
and Espressif's xtensa/riscv GCCs have in common.

Why shared: finding the programs, reading the version and the link command line are the same for
every GCC; what differs (prefix, minimum version, C library check, flags) is each toolchain
module's data (arm_gcc.py, riscv_gcc.py, esp_gcc.py).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.errors import ToolchainError

# Compile policy shared by every toolchain. Framework code (startup, console, report) is small and
# cold: -Os. Kernels and the generated model run every inference: -O2.
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


@dataclass(frozen=True)
class Flags:
    """Every flag of one firmware build, grouped the way SCons consumes them."""

    arch: tuple[str, ...]  # -mcpu/-march/-mabi...: compile (and link unless link_arch says otherwise)
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
    # The arch flags of the link when they differ from the compile's (riscv: the multilib is chosen
    # by -march without the _zicsr/_zifencei extensions).
    link_arch: tuple[str, ...] | None = None

    @property
    def link_arch_flags(self) -> tuple[str, ...]:
        return self.arch if self.link_arch is None else self.link_arch

    def as_dict(self) -> dict:
        """Plain data for manifest.json."""
        data = {
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
        if self.link_arch is not None:
            data["link_arch"] = list(self.link_arch)
        return data


def policy_flags(arch: tuple[str, ...], link: tuple[str, ...], libraries: tuple[str, ...], path_maps: tuple[str, ...],
                 kernel_optimization: str = KERNEL_OPTIMIZATION, link_arch: tuple[str, ...] | None = None,
                 extra_common: tuple[str, ...] = (), cxx: bool = True) -> Flags:
    """Flags with the project's compile policy: a toolchain module only says what is its own (arch,
    link line, libraries, extra defines; `cxx=False` when it compiles C only)."""
    return Flags(arch=tuple(arch), common=CODE_GENERATION + WARNINGS + tuple(extra_common), c=(C_STANDARD,),
                 cxx=(CXX_STANDARD,) + CXX_ONLY if cxx else (), framework_optimization=FRAMEWORK_OPTIMIZATION,
                 kernel_optimization=kernel_optimization, link=tuple(link), libraries=tuple(libraries),
                 path_maps=tuple(path_maps), link_arch=link_arch)


@dataclass(frozen=True)
class GccToolchain:
    """An installed GNU cross toolchain: its programs and the compiler version."""

    bin_dir: Path
    version: tuple[int, ...]
    version_text: str  # first line of `gcc --version`, for manifests
    prefix: str = "arm-none-eabi-"

    @property
    def name(self) -> str:
        return f"{self.prefix}gcc"

    def program(self, tool: str) -> Path:
        """Path of one program of the toolchain, e.g. program('objcopy')."""
        return self.bin_dir / f"{self.prefix}{tool}"

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

    def link_command(self, flags: Flags, script: str, map_path: str, elf_path: str, objects: list[str]) -> list[str]:
        return [str(self.gcc), *flags.link_arch_flags, *flags.link, f"-T{script}", f"-Wl,-Map={map_path}",
                "-o", elf_path, *objects, *flags.libraries]

    def linker_flag(self, option: str) -> str:
        """An ld option as the link command passes it (through the gcc driver)."""
        return f"-Wl,{option}"

    def tool_versions(self) -> dict[str, str]:
        """Program -> first line of its --version, for manifest.json."""
        return {self.name: self.version_text, f"{self.prefix}ld": first_line([str(self.program("ld")), "--version"])}


def first_line(command: list[str]) -> str:
    """First line a program prints (its version banner), or 'unknown'."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.splitlines()[0].strip() if out.strip() else "unknown"


def parse_version(text: str, name: str, apt_command: str) -> tuple[int, ...]:
    """'12.2.1' (from -dumpfullversion) -> (12, 2, 1); ToolchainError if it is not a version."""
    match = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*", text)
    if not match:
        raise ToolchainError(f"cannot read the version of {name} (it printed {text.strip()!r})",
                             fix=f"reinstall the toolchain: {apt_command}")
    return tuple(int(g) for g in match.groups() if g is not None)


def run_tool(program: Path, *args: str, apt_command: str) -> str:
    """stdout of one toolchain program; ToolchainError naming the install command if it fails."""
    try:
        result = subprocess.run([str(program), *args], capture_output=True, text=True, timeout=60, check=False)
    except OSError as err:
        raise ToolchainError(f"cannot run {program}: {err}", fix=f"reinstall the toolchain: {apt_command}") from None
    if result.returncode != 0:
        raise ToolchainError(f"{program} {' '.join(args)} failed:", details=result.stderr.strip()[:300],
                             fix=f"reinstall the toolchain: {apt_command}")
    return result.stdout


def probe(gcc: Path, prefix: str, apt_command: str) -> GccToolchain:
    """The toolchain around one gcc: its version and banner."""
    version = parse_version(run_tool(gcc, "-dumpfullversion", apt_command=apt_command), f"{prefix}gcc", apt_command)
    banner = run_tool(gcc, "--version", apt_command=apt_command).splitlines()[0].strip()
    return GccToolchain(bin_dir=gcc.parent, version=version, version_text=banner, prefix=prefix)


def prefix_maps(project_dir: Path, build_root: Path | None = None) -> tuple[str, ...]:
    """-ffile-prefix-map flags: paths in objects and debug info become the same wherever the
    checkout and the build folder are -- sources relative to the checkout ('.'), build outputs under
    'build/' (SCons names files inside the checkout by relative paths, others by absolute ones: both
    spellings of the build folder are mapped). Objects are then byte-identical across checkouts and
    build folders, which is what lets a build cache share them.

    GCC (and clang) use the last map that matches, so the build folder's maps come after the checkout's.
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
