"""The runtime=aot part of a firmware build, decided up front: which kernels, which generated files.

Like runtimes/tflm/plan.py, this implements the runtime plan interface (tinyml_build.runtimes
describes it) that image/plan.py and site_scons/site_tools/firmware.py consume; the SCons side of
aot is site_scons/site_tools/aot.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, KERNELS_DIR

if TYPE_CHECKING:
    from tinyml_build.model.reader import Model


@dataclass(frozen=True)
class AotModel:
    name: str
    tflite: Path
    kernels: tuple[str, ...]  # kernel files (stems) the generated code calls
    model_c: Path  # gen/<name>_model.c
    model_h: Path  # gen/<name>_model.h


@dataclass(frozen=True)
class AotPlan:
    models: tuple[AotModel, ...]
    shared_arena_c: Path | None = None  # arena_share=on: gen/tml_aot_shared_arena.c, the models' one arena

    name = "aot"
    scons_builder = "AotRuntime"  # site_scons/site_tools/aot.py

    @property
    def kernel_sources(self) -> list[Path]:
        """The kernels any model calls: compiled once per target, shared by every model."""
        return [KERNELS_DIR / f"{k}.c" for k in sorted({k for m in self.models for k in m.kernels})]

    @property
    def target_include_dirs(self) -> list[Path]:
        return [AOT_INCLUDE_DIR]

    def link_flags(self, flags):
        return flags

    def manifest_sources(self) -> list[Path]:
        return self.kernel_sources + sorted(AOT_INCLUDE_DIR.glob("*.h"))

    def manifest_settings(self, project_dir: Path, build_root: Path) -> dict:
        return {}

    def model_headers(self) -> list[Path]:
        return [m.model_h for m in self.models]


def aot_kernels(model: Model, name: str) -> tuple[str, ...]:
    """Which aot kernel files the model's generated code calls (lowering is quick: < 0.2 s for 300 KB)."""
    from tinyml_build.runtimes.aot import lower_model, supported_ops

    try:
        return tuple(lower_model(model, name=name).kernels)
    except UnsupportedOpError as err:
        raise UnsupportedOpError(f"runtime=aot cannot build model {name}: {err.what}", where=err.where,
                                 details=err.details,
                                 fix=err.fix or "use runtime=tflm; operators runtime=aot supports: "
                                 + ", ".join(supported_ops())) from None


def plan(config, project_dir: Path, options=None) -> AotPlan:
    """The runtime planner's entry point (tinyml_build.runtimes.plan_runtime); its option is
    arena_share (refused by the option scopes for a single model)."""
    shared = bool(options and options.flag("arena_share")) and len(config.models) > 1
    return plan_aot(config.models, Path(config.gen_dir), shared_arena=shared)


def plan_aot(models, gen_dir: Path, shared_arena: bool = False) -> AotPlan:
    """The aot plan for a config's models (ModelInput: name, tflite, facts with the kernels lowering
    found); UnsupportedOpError if aot lacks an op of one of them."""
    from tinyml_build.runtimes.aot.shared_arena import FILE_NAME

    return AotPlan(tuple(AotModel(name=m.name, tflite=Path(m.tflite), kernels=m.facts.check_aot(),
                                  model_c=gen_dir / f"{m.name}_model.c", model_h=gen_dir / f"{m.name}_model.h")
                         for m in models),
                   shared_arena_c=gen_dir / FILE_NAME if shared_arena else None)
