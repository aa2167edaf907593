"""clang-22 + llvm-mc-22 + xtensa-lx106-elf-ld: the toolchain of the Xtensa targets (ESP32, ESP32-S3).

Why this combination: no Espressif GCC exists on Debian 12, and upstream clang cannot take
`-mcpu=esp32`, but LLVM 22's Xtensa back end generates windowed-ABI code for the ESP32's exact
feature set when given the features one by one. clang's integrated object writer emits misaligned
literal pools, so objects are made by the project's driver (xtensa_cc: clang -S, then llvm-mc);
lld cannot link Xtensa, GNU ld from binutils-xtensa-lx106 can. Debian's lx106 libgcc and libc are
call0-ABI code that links silently into windowed code and computes garbage, so the link is always
`ld` directly with no library at all; the helpers LLVM calls (memcpy, 64-bit division, __divsf3)
come from the project's own tinyml_build/platform/xtensa_rt.

Like arm_gcc, flags are computed here as plain data and the SCons tool only copies them.
C++ (runtime=tflm): clang++-22 through the same driver, with libc++'s headers over newlib's C headers
(Debian's libnewlib-dev; toolchains/libcxx.py); what TFLM then calls of a C library and libm comes
from xtensa_rt (binary64/binary32 helpers, frexp/round/..., strcmp) and newlib's expf, logf, tanhf,
fminf and fmaxf compiled from Debian's
newlib-source (platform/xtensa_libm.py), and the C++ ABI pieces from the tflm platform glue.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION, Flags, policy_flags, prefix_maps, run_tool

NAME = "clang-xtensa"
SUPPORTS_CXX = True  # runtime=tflm: clang++-22 with libc++'s and newlib's headers (cxx_command), when installed
# No C math library for runtime=aot's C kernels (expf, logf, tanhf...): xtensa_rt has the compiler
# helpers and the exact functions TFLM's C++ needs; runtime=tflm adds newlib's expf, logf, tanhf, fminf,
# fmaxf (xtensa_libm).
HAS_MATH_LIBRARY = False
APT_PACKAGES = ("clang-22", "llvm-22", "binutils-xtensa-lx106")
APT_COMMAND = "sudo apt-get install " + " ".join(APT_PACKAGES)
CLANG_MAJOR = 22  # the float-select workaround and the feature names are those of LLVM 22
CLANG_TARGET = "--target=xtensa"

# Tool -> program name on PATH.
PROGRAMS = {
    "clang": f"clang-{CLANG_MAJOR}",
    "mc": f"llvm-mc-{CLANG_MAJOR}",
    "ar": f"llvm-ar-{CLANG_MAJOR}",
    "ld": "xtensa-lx106-elf-ld",
    "objcopy": "xtensa-lx106-elf-objcopy",
    "nm": "xtensa-lx106-elf-nm",
}

# LLVM's `esp32` CPU as a feature list (clang-22 rejects -mcpu=esp32; this list gives the same code
# as `llc -mcpu=esp32`, see the shared toolchain notes). The ESP32-S3 (LX7) is the same core
# without the double-precision FP acceleration; its PIE/SIMD ops are unknown to upstream LLVM 22.
ESP32_FEATURES = (
    "density", "fp", "loop", "mac16", "windowed", "bool", "sext", "nsa", "mul16", "mul32", "mul32high",
    "dfpaccel", "s32c1i", "threadptr", "div32", "debug", "exception", "highpriinterrupts",
    "highpriinterrupts-level7", "coprocessor", "interrupt", "dcache", "rvector", "timers3", "prid",
    "regprotect", "miscsr", "minmax", "clamps",
)
ESP32S3_FEATURES = tuple(f for f in ESP32_FEATURES if f != "dfpaccel")
_FEATURES_BY_CPU = {"esp32": ESP32_FEATURES, "esp32s3": ESP32S3_FEATURES}

# GCC predefines these for the windowed ABI; clang only __XTENSA__/__xtensa__/__XTENSA_EL__.
DEFINES = ("-D__XTENSA_WINDOWED_ABI__=1",)
# Link policy: ld directly, no library search path at all, nothing unused, no build-id.
LINK = ("-nostdlib", "--gc-sections", "--build-id=none", "--no-warn-rwx-segments")


@dataclass(frozen=True)
class ClangXtensa:
    """The installed programs of the Xtensa toolchain and their versions."""

    clang: Path
    mc: Path
    ar: Path
    ld: Path
    objcopy: Path
    nm: Path
    version: tuple[int, ...]  # clang's
    version_text: str  # clang's and ld's first `--version` lines, for manifests

    def program(self, tool: str) -> Path:
        """Path of one program by tool name: clang, mc, ar, ld, objcopy, nm."""
        if tool not in PROGRAMS:
            raise KeyError(f"unknown tool {tool!r} (known: {', '.join(PROGRAMS)})")
        return getattr(self, tool)

    @property
    def version_string(self) -> str:
        return ".".join(str(v) for v in self.version)

    # -- the interface every toolchain offers (tinyml_build.toolchains) ------------------------
    @property
    def name(self) -> str:
        return NAME

    @property
    def ranlib(self) -> Path:
        return self.ar  # llvm-ar indexes the archive itself (`s` in its flags)

    def driver_command(self) -> list[str]:
        return driver_command(self)

    def link_command(self, flags: Flags, script, map_path, elf_path, objects) -> list[str]:
        return link_command(self, flags, script, map_path, elf_path, objects)

    def linker_flag(self, option: str) -> str:
        """An ld option as the link command passes it (ld itself: unchanged)."""
        return option

    def link_failure_fix(self, message: str) -> str | None:
        return link_failure_fix(message)

    def tool_versions(self) -> dict[str, str]:
        """Each program's first `--version` line, for manifest.json."""
        clang, _, ld = self.version_text.partition("; ")
        return {PROGRAMS["clang"]: clang, PROGRAMS["mc"]: _first_line(_run(self.mc, "--version")),
                PROGRAMS["ld"]: ld}


def find_toolchain(search_path: str | None = None, environ: dict | None = None) -> ClangXtensa:
    """Locate every program on PATH (or `search_path`); one ToolchainError naming the apt command
    lists all that are missing, or says clang is not version CLANG_MAJOR."""
    environ = os.environ if environ is None else environ
    path = search_path if search_path is not None else environ.get("PATH")
    found = {tool: shutil.which(name, path=path) for tool, name in PROGRAMS.items()}
    missing = [PROGRAMS[tool] for tool, where in found.items() if where is None]
    if missing:
        raise ToolchainError(f"{NAME}: {', '.join(missing)} not found on PATH (needed for ESP32/ESP32-S3 targets)",
                             fix=f"install them: {APT_COMMAND}")
    programs = {tool: Path(where) for tool, where in found.items()}
    clang_banner = _first_line(_run(programs["clang"], "--version"))
    version = _parse_clang_version(clang_banner)
    if version[0] != CLANG_MAJOR:
        raise ToolchainError(f"{programs['clang']} is clang {'.'.join(map(str, version))}, not {CLANG_MAJOR}",
                             fix=f"install it: {APT_COMMAND}")
    ld_banner = _first_line(_run(programs["ld"], "--version"))
    return ClangXtensa(**programs, version=version, version_text=f"{clang_banner}; {ld_banner}")


def _parse_clang_version(banner: str) -> tuple[int, ...]:
    match = re.search(r"clang version (\d+)\.(\d+)(?:\.(\d+))?", banner)
    if not match:
        raise ToolchainError(f"cannot read the version of {PROGRAMS['clang']} (it printed {banner!r})",
                             fix=f"reinstall it: {APT_COMMAND}")
    return tuple(int(g) for g in match.groups() if g is not None)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _run(program: Path, *args: str) -> str:
    return run_tool(program, *args, apt_command=APT_COMMAND)


def features(target: Target) -> tuple[str, ...]:
    """LLVM feature names (without '+') of the target's core, chosen by target.cpu."""
    try:
        return _FEATURES_BY_CPU[target.cpu]
    except KeyError:
        raise ToolchainError(f"target {target.name} has cpu '{target.cpu}', which {NAME} does not build for",
                             where=target.source or target.name,
                             fix=f"use an Xtensa target (cpu {' or '.join(_FEATURES_BY_CPU)})") from None


def feature_flags(names: tuple[str, ...]) -> tuple[str, ...]:
    """clang flags enabling each feature; xtensa_cc reads the same flags back for llvm-mc -mattr."""
    flags: list[str] = []
    for name in names:
        flags += ["-Xclang", "-target-feature", "-Xclang", f"+{name}"]
    return tuple(flags)


def arch_flags(target: Target) -> tuple[str, ...]:
    """--target=xtensa plus the core's features; ToolchainError for a target of another toolchain."""
    if target.toolchain != NAME:
        raise ToolchainError(f"target {target.name} uses {target.toolchain}, not {NAME}",
                             where=target.source or target.name, fix="pick an ESP32 or ESP32-S3 target")
    return (CLANG_TARGET,) + feature_flags(features(target))


def firmware_flags(target: Target, project_dir: Path, build_root: Path | None = None,
                   kernel_optimization: str = KERNEL_OPTIMIZATION) -> Flags:
    """All compile and link flags for one Xtensa target (compile through xtensa_cc, link with ld)."""
    return policy_flags(arch_flags(target), LINK, (), prefix_maps(project_dir, build_root), kernel_optimization,
                        extra_common=DEFINES)  # never lx106 libgcc/libc: helpers come from xtensa_rt


def driver_command(toolchain: ClangXtensa, verbose: bool = False) -> list[str]:
    """The compiler command SCons uses as $CC; append gcc-style arguments after it."""
    from tinyml_build.toolchains.xtensa_cc import revision

    command = [sys.executable, "-m", "tinyml_build.toolchains.xtensa_cc",
               f"--clang={toolchain.clang}", f"--mc={toolchain.mc}", f"--revision={revision()}"]
    if verbose:
        command.append("--verbose")
    return command + ["--"]


def link_command(toolchain: ClangXtensa, flags: Flags, script: Path, map_path: Path, elf_path: Path,
                 objects) -> list[str]:
    """ld -T script -Map map -o elf objects...: any unresolved symbol fails the link."""
    return [str(toolchain.ld), *flags.link, "-T", str(script), "-Map", str(map_path), "-o", str(elf_path),
            *[str(o) for o in objects], *flags.libraries]


def archive_command(toolchain: ClangXtensa, archive: Path, objects) -> list[str]:
    """A deterministic archive (llvm-ar D: zero timestamps, uids and modes)."""
    return [str(toolchain.ar), "rcsD", str(archive), *[str(o) for o in objects]]



def cxx_unavailable(search_path: str | None = None) -> str | None:
    """Why C++ (runtime=tflm) cannot be compiled here: clang++-22, libc++'s or newlib's headers missing."""
    from tinyml_build.platform import xtensa_libm
    from tinyml_build.toolchains import libcxx

    found = libcxx.find(search_path)
    if not isinstance(found, libcxx.LibcxxHeaders):
        return f"{found} (install: {libcxx.APT_COMMAND})"
    if not (xtensa_libm.HEADERS_DIR / "math.h").is_file():
        return f"newlib's C headers are not installed (install: {xtensa_libm.HEADERS_APT_COMMAND})"
    return None


def cxx_command(toolchain: ClangXtensa, target: Target, search_path: str | None = None) -> list[str] | None:
    """$CXX: the same driver (clang -S, then llvm-mc) running clang++-22, with libc++'s headers over
    newlib's C headers; None when a piece is missing (cxx_unavailable says which)."""
    from tinyml_build.platform import xtensa_libm
    from tinyml_build.toolchains import libcxx

    headers = libcxx.find(search_path)
    if not isinstance(headers, libcxx.LibcxxHeaders) or cxx_unavailable(search_path) is not None:
        return None
    command = driver_command(toolchain)
    command[command.index(f"--clang={toolchain.clang}")] = f"--clang={headers.clang}"
    return command + [libcxx.revision_flag(), *headers.include_flags(xtensa_libm.HEADERS_DIR)]


_UNDEFINED = re.compile(r"undefined reference to `([^']+)'")


def link_failure_fix(message: str) -> str | None:
    """The fix for a link that failed on unresolved symbols: which ones the project's windowed-ABI
    runtime support lacks (a float kernel's libm call, e.g. sinf) and what builds instead; None otherwise."""
    names = sorted(set(_UNDEFINED.findall(message)))
    if not names:
        return None
    return (f"{', '.join(names)}: not in the project's windowed-Xtensa runtime support (xtensa_rt, and newlib's "
            "expf/logf/tanhf/fminf/fmaxf for runtime=tflm), and Debian's lx106 libraries are call0 ABI; a kernel "
            "of the model calls them: runtime=aot builds int8-quantized models without libm, or install ESP-IDF so "
            "that Espressif's GCC "
            "is on PATH (toolchain=auto then prefers it)")
