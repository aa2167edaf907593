"""The runtimes that run a model on the device, side by side: aot (the model compiled to C) and
tflm (TFLM's MicroInterpreter). Both implement the C API in include/tml_model_api.h.

Each runtime has a planner (runtimes/<name>/plan.py) returning a RuntimePlan; the firmware plan
(image/plan.py) and the firmware SCons tool consume only this interface, so neither holds an
`if runtime == ...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tinyml_build.config.build_config import BuildConfig
    from tinyml_build.config.options import OptionValues
    from tinyml_build.toolchains.arm_gcc import Flags

# The runtime names, defined here only (runtime=auto chooses one of them).
RUNTIMES = ("aot", "tflm")

API_INCLUDE_DIR = Path(__file__).resolve().parent / "include"


class RuntimePlan(Protocol):
    """What a runtime contributes to a firmware image."""

    name: str  # 'aot' | 'tflm'
    scons_builder: str  # the environment method (a site tool's) that declares its part of the graph

    @property
    def target_include_dirs(self) -> list[Path]:
        """Headers the target-level code (application, kernels) compiles against."""

    def link_flags(self, flags: Flags) -> Flags:
        """The image's link flags with what the runtime adds (e.g. libm)."""

    def manifest_sources(self) -> list[Path]:
        """The project's own sources and headers of this runtime, for manifest.json."""

    def manifest_settings(self, project_dir: Path, build_root: Path) -> dict:
        """Runtime settings manifest.json records (no machine paths)."""

    def model_headers(self) -> list[Path]:
        """Generated headers of the models, for manifest.json."""


def plan_runtime(config: BuildConfig, project_dir: Path, options: OptionValues | None = None) -> RuntimePlan:
    """The plan of the runtime config chose (runtime=auto is already decided); each planner reads
    the options it has (e.g. tflm: arena=, arena_headroom=, tflm_log=)."""
    import importlib

    planner = importlib.import_module(f"{__name__}.{config.runtime}.plan")  # only the chosen runtime's code
    return planner.plan(config, Path(project_dir), options)
