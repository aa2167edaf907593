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
from tinyml_build.toolchains.gcc import C_STANDARD, CODE_GENERATION, KERNEL_OPTIMIZATION


@dataclass(frozen=True)
class ExportFlags:
    arch: tuple[str, ...]  # public compile and link flags; empty for the host target
    private: tuple[str, ...]  # the library's own sources only
    toolchain: str  # the compiler the arch flags are written for ('' for the host target)

    def as_dict(self) -> dict:
        return {"arch": list(self.arch), "private": list(self.private), "toolchain": self.toolchain}


def export_flags(target, toolchain_name: str | None, project_dir: Path) -> ExportFlags:
    """The flags of an export for `target` built by `toolchain_name` (None: the host, no cross compiler)."""
    private = (KERNEL_OPTIMIZATION, C_STANDARD) + tuple(f for f in CODE_GENERATION if f != "-g")
    if toolchain_name is None or not target.supports.image:
        return ExportFlags(arch=(), private=private, toolchain="")
    flags = toolchains.firmware_flags(toolchain_name, target, project_dir)
    return ExportFlags(arch=tuple(flags.arch), private=private, toolchain=toolchain_name)
