"""Which compile flags travel with the exported library, and in which role.

Why split: the user's build owns its compiler, warnings and debug settings, so only what the
project's images compile the model's code with goes along -- the kernels' optimization, the C
standard and per-function sections (private: they change no ABI) -- and, for a cross target, the
target's architecture flags (-mcpu/-mthumb/-mfpu/-mfloat-abi...): public, because every object
linked with the library must agree on them (a hard-float library in a soft-float image does not
link). The host target has none: the user's native compiler decides. ESP-IDF builds take neither
the arch flags (IDF's toolchain sets them) nor anything but the private flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyml_build import toolchains
from tinyml_build.runtimes.tflm.plan import NO_FP_CONTRACTION
from tinyml_build.toolchains.gcc import C_STANDARD, CODE_GENERATION, CXX_ONLY, CXX_STANDARD, KERNEL_OPTIMIZATION


@dataclass(frozen=True)
class ExportFlags:
    arch: tuple[str, ...]  # public compile and link flags; empty for the host target
    private: tuple[str, ...]  # the library's own sources only
    toolchain: str  # the compiler the arch flags are written for ('' for the host target)
    cxx: tuple[str, ...] = ()  # the library's C++ sources only, on top of `private` (runtime=tflm)
    link: tuple[str, ...] | None = None  # the arch flags of the link when they differ (riscv's multilib choice)

    @property
    def link_arch(self) -> tuple[str, ...]:
        return self.arch if self.link is None else self.link

    def as_dict(self) -> dict:
        out = {"arch": list(self.arch), "private": list(self.private), "toolchain": self.toolchain}
        if self.cxx:
            out["cxx"] = list(self.cxx)
        if self.link is not None:
            out["link"] = list(self.link)
        return out


def export_flags(target, toolchain_name: str | None, project_dir: Path, cxx: bool = False) -> ExportFlags:
    """The flags of an export for `target` built by `toolchain_name` (None: the host, no cross compiler);
    `cxx`: the library holds C++ (runtime=tflm), compiled as TFLM's images compile it: C++17 without
    exceptions, RTTI or thread-safe statics, and without fused multiply-add (bit-exact with the host)."""
    private = (KERNEL_OPTIMIZATION, C_STANDARD) + tuple(f for f in CODE_GENERATION if f != "-g")
    cxx_flags = (CXX_STANDARD,) + CXX_ONLY if cxx else ()
    if cxx:
        private += NO_FP_CONTRACTION
    if toolchain_name is None or not target.supports.image:
        return ExportFlags(arch=(), private=private, toolchain="", cxx=cxx_flags)
    flags = toolchains.firmware_flags(toolchain_name, target, project_dir)
    # riscv links with -march without its z* extensions (the multilib choice), and still with the C library's specs
    link = (tuple(flags.link_arch_flags) + tuple(f for f in flags.arch if f.startswith("--specs="))
            if flags.link_arch_flags != flags.arch else None)
    return ExportFlags(arch=tuple(flags.arch), private=private, toolchain=toolchain_name, cxx=cxx_flags, link=link)
