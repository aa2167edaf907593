"""C++ for the ESP targets: clang++-22 with libc++'s headers over the target's C library headers.

Why: runtime=tflm is C++, and Debian has no C++ library for bare-metal RISC-V or Xtensa
(riscv64-unknown-elf-g++ has no libstdc++ headers; there is no Xtensa g++). TFLM needs no C++
library code, only headers (templates, <cmath>'s inline overloads, placement new), so libc++'s
headers from Debian's libc++-22-dev serve, with the project's `__config_site` first on the include
path (tinyml_build/platform/libcxx_config/: the host's says Linux and glibc). The few C++ runtime
symbols TFLM references (__cxa_pure_virtual, operator delete) come from the tflm platform glue.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CLANG_CXX = "clang++-22"
APT_PACKAGES = ("clang-22", "libc++-22-dev")
APT_COMMAND = "sudo apt-get install " + " ".join(APT_PACKAGES)
CONFIG_DIR = Path(__file__).resolve().parent.parent / "platform" / "libcxx_config"


@dataclass(frozen=True)
class LibcxxHeaders:
    """clang++-22 and the header folders a bare-metal C++ compile puts on its include path."""

    clang: Path
    libcxx_include: Path  # libc++'s headers (<prefix>/include/c++/v1)
    resource_include: Path  # clang's own (stddef.h, stdarg.h, stdint.h's wrapper...)

    def include_flags(self, c_library_include: Path | str) -> tuple[str, ...]:
        """-nostdinc and the search order clang uses natively -- libc++, clang's headers, the C
        library's -- with the project's __config_site before libc++'s own."""
        folders = (CONFIG_DIR, self.libcxx_include, self.resource_include, Path(c_library_include))
        return ("-nostdinc",) + tuple(flag for folder in folders for flag in ("-isystem", str(folder)))


def revision() -> str:
    """Digest of the project's __config_site: part of every C++ command line (as a define) so that an
    edit recompiles the objects it reaches (SCons scans CPPPATH, not the compiler's -isystem)."""
    return hashlib.sha256((CONFIG_DIR / "__config_site").read_bytes()).hexdigest()[:16]


def revision_flag() -> str:
    return f"-DTML_LIBCXX_CONFIG_REVISION={revision()}"


def find(search_path: str | None = None) -> LibcxxHeaders | str:
    """The installed clang++-22 and libc++ headers, or a sentence saying what is missing."""
    found = shutil.which(CLANG_CXX, path=search_path)
    if found is None:
        return f"{CLANG_CXX} is not on PATH"
    try:
        resource = subprocess.run([found, "-print-resource-dir"], capture_output=True, text=True, check=False,
                                  timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"cannot run {found}: {err}"
    if not resource:
        return f"{found} -print-resource-dir printed nothing"
    resource_dir = Path(resource)
    # <prefix>/lib/clang/<major> -> <prefix>/include/c++/v1, where libc++-22-dev installs it
    libcxx = resource_dir.parent.parent.parent / "include" / "c++" / "v1"
    if not (libcxx / "__config").is_file():
        return f"libc++'s headers are not installed ({libcxx}/__config is missing)"
    return LibcxxHeaders(clang=Path(found), libcxx_include=libcxx, resource_include=resource_dir / "include")
