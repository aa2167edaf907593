"""newlib's float math for runtime=tflm on windowed Xtensa, compiled from Debian's newlib-source at build time.

Why: TFLM's softmax kernel and its shared tensor utilities reference expf (the float path, and
int16 softmax's table), so every TFLM image with SOFTMAX links it; SVDF's and the activations'
float path references tanhf, fminf and fmaxf (an int8 SVDF links them without calling them), the
shared quantization utilities logf (LSTM models link it). The Xtensa build links no libm (Debian's
lx106 one is call0-ABI code). newlib's expf and logf (libm/common/sf_exp.c, sf_log.c: Arm's
optimized routines, in double) are the same algorithms and tables as glibc's, and newlib's tanhf
(libm/math/sf_tanh.c over common/sf_expm1.c, Sun's fdlibm) is glibc's too: tanhf and logf give
Debian 12's glibc 2.36 bits for every float (checked over all 2^32 inputs; tests/test_xtensa_libm.py
checks a sample against the host's), so a model whose Eval does call them stays comparable with the
host oracle; fminf/fmaxf are exact. Their code is never
committed here: the build extracts the few files it needs from the tarball Debian's newlib-source
installs and compiles them with the project's Xtensa rule; the double and float arithmetic they use
comes from xtensa_rt. errno is not kept (WANT_ERRNO=0: no reent structure on this platform) and the
non-obsolete math is chosen explicitly (newlib defaults to its older fdlibm code elsewhere).

The C library headers of runtime=tflm's Xtensa C++ (libc++ sits on a C library's headers) are
newlib's too, from Debian's libnewlib-dev; xtensa_rt implements what the link needs of them.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from tinyml_build.errors import ToolchainError

TOOLCHAIN = "clang-xtensa"  # the toolchain whose runtime=tflm images need these files
TARBALL_DIR = Path("/usr/src/newlib")  # where newlib-source puts newlib-<version>.tar.xz
TARBALL_PATTERN = "newlib-*.tar.xz"
SOURCE_APT_COMMAND = "sudo apt-get install newlib-source"
HEADERS_DIR = Path("/usr/include/newlib")  # newlib's C headers (libnewlib-dev)
HEADERS_APT_COMMAND = "sudo apt-get install libnewlib-dev"
MEMBER_DIR = "newlib/libm/"  # inside the tarball's top folder; the names below are relative to it
SOURCES = ("common/sf_exp.c", "common/sf_exp2_data.c", "common/math_errf.c",
           # SVDF's and the activations' float path: tanhf (with the expm1f it calls), fminf, fmaxf
           "math/sf_tanh.c", "common/sf_expm1.c", "common/sf_fmin.c", "common/sf_fmax.c", "common/sf_fpclassify.c",
           # the shared quantization utilities (LSTM models link them): logf
           "common/sf_log.c", "common/sf_log_data.c")
HEADERS = ("common/math_config.h", "common/fdlibm.h")
DEFINES = ("__OBSOLETE_MATH=0", "WANT_ERRNO=0")
# newlib's code under the project's upstream warning set: math_config.h pops a diagnostic it never pushed.
QUIET = ("-Wno-unknown-pragmas",)


def needed(toolchain: str) -> bool:
    """Whether a runtime=tflm image built with `toolchain` compiles newlib's float math (expf, logf, tanhf...)."""
    return toolchain == TOOLCHAIN


def find_tarball(folder: Path = TARBALL_DIR) -> Path:
    """The newlib source tarball, or one ToolchainError naming the apt command."""
    found = sorted(folder.glob(TARBALL_PATTERN)) if folder.is_dir() else []
    if not found:
        raise ToolchainError(f"runtime=tflm on Xtensa compiles newlib's expf and tanhf from Debian's newlib-source, "
                             f"and {folder}/{TARBALL_PATTERN} is missing", where="runtime=tflm",
                             fix=f"install it: {SOURCE_APT_COMMAND} (or use runtime=aot)")
    return found[-1]


def headers_dir(folder: Path = HEADERS_DIR) -> Path:
    """newlib's C headers, or one ToolchainError naming the apt command."""
    if not (folder / "math.h").is_file():
        raise ToolchainError(f"runtime=tflm on Xtensa compiles C++ over newlib's C headers, and {folder}/math.h "
                             "is missing", where="runtime=tflm", fix=f"install them: {HEADERS_APT_COMMAND}")
    return folder


def extracted_files(out_dir: Path) -> list[Path]:
    """Where extract() writes the sources and headers, side by side (sources first, in SOURCES order)."""
    return [out_dir / Path(name).name for name in SOURCES + HEADERS]


def extract(tarball: Path, out_dir: Path) -> list[Path]:
    """Write the needed members of `tarball` into out_dir (byte for byte, no timestamps kept)."""
    wanted = dict(zip((MEMBER_DIR + name for name in SOURCES + HEADERS), extracted_files(out_dir)))
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:xz") as archive:
        for member in archive:
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if inner in wanted and member.isfile():
                found[inner] = archive.extractfile(member).read()
                if len(found) == len(wanted):
                    break
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ToolchainError(f"{tarball} lacks {', '.join(missing)}", where="runtime=tflm",
                             fix=f"reinstall it: {SOURCE_APT_COMMAND}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for inner, path in wanted.items():
        path.write_bytes(found[inner])
    return extracted_files(out_dir)


def c_header_flags(toolchain: str) -> tuple[str, ...]:
    """C flags of a kernel library's C files and their glue (ESP-NN's portable C includes stdio.h,
    stdlib.h, string.h): clang's own headers are freestanding only, so on Xtensa they take newlib's C
    headers, as the C++ does (cxx_command); nothing for a toolchain with its own C library."""
    return ("-isystem", str(headers_dir())) if needed(toolchain) else ()


def describe(tarball: Path) -> dict:
    """What manifest.json records: the package, the tarball's name and SHA-256 (no machine path), the
    files compiled from it and how."""
    return {"package": "newlib-source", "tarball": tarball.name,
            "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
            "files": [MEMBER_DIR + name for name in SOURCES], "defines": list(DEFINES)}
