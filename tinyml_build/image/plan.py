"""Everything one firmware build will do, decided up front in plain Python.

Why a plan: the SCons tool (site_scons/site_tools/firmware.py) should only translate decisions
into builders. Which runtime serves the model, which sources are compiled with which flags,
where each file goes, and which outputs exist are decided here, where tests can check them
without SCons or a cross compiler.

Layout (build_root = build/ unless build_dir= says otherwise):
  <build_root>/<target>/_common/     target-only objects, shared by every model built for the
                                      target: tml_board.h, firmware.ld, platform/, app/, kernels/
  <build_root>/<target>/<models>/    the model-dependent rest: gen/ (generated C), obj/,
                                      golden/, firmware.{elf,bin,hex,map}, size.{txt,json},
                                      manifest.json, compile_commands.json, test.{log,json}
so changing a model rebuilds only what depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tinyml_build.verification import golden
from tinyml_build.model import catalog as model_catalog
from tinyml_build.config.build_config import BuildConfig
from tinyml_build.errors import TinyMLError, UnsupportedOpError
from tinyml_build.verification import SOURCE_DIR as APP_SOURCE_DIR
from tinyml_build.verification import app_sources
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR
from tinyml_build.runtimes.aot.c_sources import KERNELS_DIR as AOT_KERNELS_DIR
from tinyml_build.platform import platform_sources
from tinyml_build.config.targets import Target
from tinyml_build.toolchains import arm_gcc
from tinyml_build.model.reader import Model

if TYPE_CHECKING:
    from tinyml_build.runtimes.tflm.arena import ArenaOption
    from tinyml_build.runtimes.tflm.build import TflmPlan

FIRMWARE_RUNTIMES = ("aot", "tflm")


@dataclass(frozen=True)
class TargetPlatform:
    """A target's platform layer and generated files in its _common/ folder (shared by every model).

    Separate from FirmwarePlan because runtime=tflm's arena probe may run on another target's
    QEMU machine (an emulated target with the same arch flags) and needs that target's platform.
    """

    target: Target
    common_dir: Path

    @property
    def board_header(self) -> Path:
        return self.common_dir / "include" / "tml_board.h"

    @property
    def linker_script(self) -> Path:
        return self.common_dir / "firmware.ld"

    @property
    def sizing_linker_script(self) -> Path:
        """Same layout with enlarged regions: links an image that is too big so it can be measured."""
        return self.common_dir / "firmware-sizing.ld"

    @property
    def sources(self) -> list[Path]:
        return platform_sources(self.target)

    @property
    def object_dir(self) -> Path:
        return self.common_dir / "platform"

    @property
    def include_dirs(self) -> list[Path]:
        return [self.board_header.parent, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR]


@dataclass(frozen=True)
class ModelPlan:
    name: str  # C name: <name>_model_api
    tflite: Path
    model: Model
    samples: tuple[golden.Sample, ...]
    kernels: tuple[str, ...]  # aot kernel files (stems) the generated code calls
    model_c: Path
    model_h: Path
    test_vectors_c: Path
    golden_json: Path

    @property
    def model_object(self) -> str:
        """Object file name; the linker script places `*_model.o` read-only data in the model region."""
        return f"{self.name}_model.o"


@dataclass(frozen=True)
class FirmwarePlan:
    project_dir: Path
    target: Target
    runtime: str
    models: tuple[ModelPlan, ...]
    out_dir: Path
    gen_dir: Path
    obj_dir: Path
    common_dir: Path
    flags: arm_gcc.Flags
    random_vectors: int
    seed: int
    tflm: "TflmPlan | None" = None  # runtime=tflm: upstream sources, flags, arena (tinyml_build.runtimes.tflm.build)
    runtime_requested: str = "auto"  # the runtime= option as given (auto chose `runtime`)

    # -- target-level (shared) files --------------------------------------------------------
    @property
    def platform(self) -> TargetPlatform:
        return TargetPlatform(self.target, self.common_dir)

    @property
    def board_header(self) -> Path:
        return self.platform.board_header

    @property
    def linker_script(self) -> Path:
        return self.platform.linker_script

    @property
    def sizing_linker_script(self) -> Path:
        """Same layout with enlarged regions: links an image that is too big so it can be measured."""
        return self.platform.sizing_linker_script

    @property
    def platform_sources(self) -> list[Path]:
        return self.platform.sources

    @property
    def app_sources(self) -> list[Path]:
        return app_sources()

    @property
    def kernel_sources(self) -> list[Path]:
        """The aot kernels the models call (each compiled once per target, shared by all models)."""
        return [AOT_KERNELS_DIR / f"{k}.c" for k in sorted({k for m in self.models for k in m.kernels})]

    @property
    def include_dirs(self) -> list[Path]:
        """Headers of target-level code: no model-specific folder, so its objects are shared."""
        return [self.board_header.parent, PLATFORM_SOURCE_DIR, APP_SOURCE_DIR, API_INCLUDE_DIR, AOT_INCLUDE_DIR]

    @property
    def model_include_dirs(self) -> list[Path]:
        """Headers of the generated model-level code (gen/ first)."""
        return [self.gen_dir] + self.include_dirs

    # -- model-level files --------------------------------------------------------------------
    @property
    def model_table_c(self) -> Path:
        return self.gen_dir / "tml_test_models.c"

    def output(self, name: str) -> Path:
        return self.out_dir / name

    @property
    def elf(self) -> Path:
        return self.output("firmware.elf")

    @property
    def map(self) -> Path:
        return self.output("firmware.map")

    @property
    def bin(self) -> Path:
        return self.output("firmware.bin")

    @property
    def hex(self) -> Path:
        return self.output("firmware.hex")


def model_samples(tflite: Path) -> tuple[golden.Sample, ...]:
    """The samples model.yaml lists, for a catalog model (a .tflite beside a model.yaml)."""
    folder = Path(tflite).parent
    if not (folder / model_catalog.METADATA_FILE).is_file():
        return ()
    entry = model_catalog.load_model(folder, check_sha256=False)
    if Path(entry.tflite).resolve() != Path(tflite).resolve():
        return ()
    return tuple(golden.samples_from_metadata(folder, entry.metadata))


def aot_kernels(model: Model, name: str) -> tuple[str, ...]:
    """Which aot kernel files the model's generated code calls (lowering is quick: < 0.2 s for 300 KB)."""
    from tinyml_build.runtimes.aot import lower_model, supported_ops

    try:
        return tuple(lower_model(model, name=name).kernels)
    except UnsupportedOpError as err:
        raise UnsupportedOpError(f"runtime=aot cannot build model {name}: {err.what}", where=err.where,
                                 fix=err.fix or "firmware images need runtime=aot today; operators it supports: "
                                 + ", ".join(supported_ops())) from None


def choose_runtime(config: BuildConfig) -> str:
    """The runtime the firmware uses: build_config already turned runtime=auto into aot or tflm.

    Whether aot can build each model is decided by lowering it (aot_kernels), which names the operator.
    """
    if config.runtime in FIRMWARE_RUNTIMES:
        return config.runtime
    raise TinyMLError(f"runtime={config.runtime} cannot build firmware images (only {', '.join(FIRMWARE_RUNTIMES)})",
                      where="runtime=", fix="use runtime=aot, runtime=tflm or runtime=auto")


def plan_firmware(config: BuildConfig, project_dir: Path, random_vectors: int = golden.DEFAULT_RANDOM_VECTORS,
                  seed: int = golden.DEFAULT_SEED, arena: "ArenaOption | None" = None,
                  tflm_log: bool = False) -> FirmwarePlan:
    """The firmware build for a checked BuildConfig; TinyMLError if it cannot be built.

    runtime=tflm only: `arena` (arena=, arena_headroom=; default: measured, no headroom) and
    `tflm_log` (tflm_log=on: TFLM's error messages compiled in).
    """
    target = config.target
    if target.toolchain != arm_gcc.NAME:
        raise TinyMLError(f"firmware images are built for Cortex-M targets; {target.name} uses {target.toolchain}",
                          where=f"target={target.name}", fix="pick an Arm target (scons -h lists them)")
    if random_vectors < 0:
        raise TinyMLError(f"test_vectors={random_vectors} is negative", where="test_vectors=", fix="use 0 or more")
    runtime = choose_runtime(config)
    gen_dir = Path(config.gen_dir)
    out_dir = Path(config.out_dir)
    models = []
    for m in config.models:
        samples = model_samples(m.tflite)
        models.append(ModelPlan(
            name=m.name, tflite=Path(m.tflite), model=m.model, samples=samples,
            kernels=aot_kernels(m.model, m.name) if runtime == "aot" else (),
            model_c=gen_dir / f"{m.name}_model.c", model_h=gen_dir / f"{m.name}_model.h",
            test_vectors_c=gen_dir / f"{m.name}_test_vectors.c", golden_json=out_dir / "golden" / f"{m.name}.json",
        ))
    if random_vectors == 0 and not any(m.samples for m in models):
        raise TinyMLError("test_vectors=0 and the model lists no samples: the image would test nothing",
                          where="test_vectors=", fix="use test_vectors=1 or more")
    tflm = None
    flags = arm_gcc.firmware_flags(target, Path(project_dir), Path(config.build_root))
    if runtime == "tflm":
        from tinyml_build.runtimes.tflm.arena import parse_option
        from tinyml_build.runtimes.tflm.build import link_libraries, plan_tflm
        from tinyml_build.runtimes.tflm.sources import resolve_sources

        flags = link_libraries(flags)
        sources = resolve_sources(config.op_names(), config.kernels, dict(config.third_party_overrides))
        tflm = plan_tflm(target, sources, [m.name for m in models], Path(project_dir), Path(config.build_root),
                         out_dir, gen_dir, arena or parse_option(), tflm_log,
                         library_required=config.kernels_explicit)
    return FirmwarePlan(
        project_dir=Path(project_dir), target=target, runtime=runtime, models=tuple(models),
        out_dir=out_dir, gen_dir=gen_dir, obj_dir=out_dir / "obj",
        common_dir=Path(config.build_root) / target.name / "_common",
        flags=flags, random_vectors=random_vectors, seed=seed, tflm=tflm, runtime_requested=config.requested_runtime,
    )
