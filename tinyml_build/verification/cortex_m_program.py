"""Small Cortex-M programs built and run outside SCons, on the firmware's own platform layer.

Why: the aot checks on an emulated core (target_check.py), the instruction profiler
(bench/aot_profile.py) and tests that link hand-written firmware need a program that runs in
QEMU without a whole firmware build. They get exactly what an image gets -- the platform layer
(startup, fault report, console, timer, exit status; tinyml_build/platform), the target's
generated tml_board.h and linker script, arm_gcc's flags (framework code -Os, kernels -O2) and
the image's link step with its budget gate -- and run through qemu_runner's QEMU invocation, so
there is one start-up, one memory map and one emulator command line to keep right.

    builder = ProgramBuilder(load_target("qemu-m4"), work_dir)
    objects = builder.compile([main_c], "app") + builder.compile(kernels, "kernels", fast=True)
    outcome = builder.run(builder.link(objects, "check.elf"), timeout=60)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import ToolchainError
from tinyml_build.fileio import write_atomic
from tinyml_build.image.link import link
from tinyml_build.platform import TargetPlatform
from tinyml_build.platform.board_header import render_board_header
from tinyml_build.platform.linker_script import render_linker_script
from tinyml_build.toolchains.arm_gcc import ArmGcc, find_toolchain, firmware_flags
from tinyml_build.verification.qemu_runner import DEFAULT_TIMEOUT, RunOutcome, run_image

PROJECT_DIR = Path(__file__).resolve().parents[2]


class ProgramBuildError(ToolchainError):
    """A program's C did not compile (the compiler's message is in the error)."""


class ProgramBuilder:
    """One target's platform layer under `root` (root/include/tml_board.h, root/firmware.ld,
    root/platform/*.o, compiled once); programs compile their own sources and link against it."""

    def __init__(self, target: Target, root: str | Path, toolchain: ArmGcc | None = None):
        self.target = target
        self.root = Path(root)
        self.toolchain = toolchain if toolchain is not None else find_toolchain()
        self.flags = firmware_flags(target, PROJECT_DIR)
        self.platform = TargetPlatform(target, self.root)
        self._platform_objects: list[str] | None = None

    @property
    def include_dirs(self) -> list[Path]:
        """tml_board.h, the platform headers (tml_platform.h, tml_print.h) and tml_model_api.h."""
        return self.platform.include_dirs

    def compile(self, sources: list[Path] | list[str], folder: str | Path, include_dirs=(), defines=(),
                extra_flags=(), fast: bool = False) -> list[str]:
        """Compile C files into root/<folder>/<stem>.o with the image's flags; the object paths.

        `fast`: the kernel optimization (-O2, as kernels and generated model code get in an
        image), else the framework one (-Os). `include_dirs` come before the platform's.
        ProgramBuildError with the compiler's message when a file does not compile.
        """
        self._generate()
        out = self.root / folder
        out.mkdir(parents=True, exist_ok=True)
        sources = [Path(s).resolve() for s in sources]
        stems = [s.stem for s in sources]
        if len(set(stems)) != len(stems):
            raise ValueError(f"two sources share an object name in {out}: {sorted(stems)}")
        flags = self.flags
        optimization = flags.kernel_optimization if fast else flags.framework_optimization
        includes = [*include_dirs, *self.include_dirs]
        command = [str(self.toolchain.gcc), *flags.arch, *flags.common, *flags.path_maps, *flags.c, optimization,
                   *extra_flags, *[f"-I{d}" for d in includes], *[f"-D{d}" for d in defines],
                   "-c", *[str(s) for s in sources]]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=out)
        if result.returncode != 0:
            raise ProgramBuildError(f"compiling for {self.target.name} failed:", details=result.stderr.strip()[:4000],
                                    where=str(out))
        return [str(out / f"{stem}.o") for stem in stems]

    def platform_objects(self) -> list[str]:
        """The platform layer's objects (root/platform/), compiled on first use."""
        if self._platform_objects is None:
            self._platform_objects = self.compile(self.platform.sources, self.platform.object_dir)
        return self._platform_objects

    def link(self, objects: list[str], elf: str | Path) -> Path:
        """Link the platform layer and `objects` into `elf` (and its .map) with the target's linker
        script; BudgetError when the program does not fit the target."""
        elf = Path(elf)
        link(self.toolchain, self.flags, self.target, self.platform_objects() + list(objects), str(elf),
             str(elf.with_suffix(".map")), str(self.platform.linker_script), str(self.platform.sizing_linker_script))
        return elf

    def run(self, elf: str | Path, timeout: float = DEFAULT_TIMEOUT, extra_args=()) -> RunOutcome:
        """Run `elf` on the target's QEMU machine (qemu_runner's command line, plus `extra_args`)."""
        return run_image(self.target, elf, timeout, extra_args=extra_args)

    def _generate(self) -> None:
        if not self.platform.board_header.is_file():
            write_atomic(self.platform.board_header, render_board_header(self.target))
            write_atomic(self.platform.linker_script, render_linker_script(self.target))
            write_atomic(self.platform.sizing_linker_script, render_linker_script(self.target, relaxed=True))

