"""Everything one firmware build will do, decided up front in plain Python.

Why a plan: the SCons tool (site_scons/site_tools/firmware.py) should only translate decisions
into builders. Which runtime serves the model, which sources are compiled with which flags,
where each file goes, and which outputs exist are decided here, where tests can check them
without SCons or a cross compiler. The runtime's own part is its plan (runtimes/<name>/plan.py,
through the interface tinyml_build.runtimes describes); nothing here depends on which one it is.

Layout (build_root = build/ unless build_dir= says otherwise):
  <build_root>/<target>/_common/     target-only objects, shared by every model built for the
                                      target: tml_board.h, firmware.ld, platform/, app/, kernels/
  <build_root>/<target>/<models>/    the model-dependent rest: gen/ (generated C), obj/,
                                      golden/, firmware.{elf,bin,hex,map}, size.{txt,json},
                                      manifest.json, compile_commands.json, test.{log,json,xml}
so changing a model rebuilds only what depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyml_build import toolchains
from tinyml_build.config.build_config import BuildConfig
from tinyml_build.config.options import DEFAULT_RANDOM_VECTORS, DEFAULT_SEED, OptionValues
from tinyml_build.config.targets import Target
from tinyml_build.errors import TinyMLError
from tinyml_build.platform import IMAGE, TWIN, TargetPlatform, is_esp
from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
from tinyml_build.runtimes import API_INCLUDE_DIR, RuntimePlan, plan_runtime
from tinyml_build.toolchains.gcc import Flags
from tinyml_build.verification import SOURCE_DIR as APP_SOURCE_DIR
from tinyml_build.verification import app_sources
from tinyml_build.verification.samples import Sample, model_samples


@dataclass(frozen=True)
class ModelPlan:
    name: str  # C name: <name>_model_api
    tflite: Path
    sha256: str
    samples: tuple[Sample, ...]
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
    runtime: RuntimePlan
    models: tuple[ModelPlan, ...]
    out_dir: Path
    gen_dir: Path
    obj_dir: Path
    common_dir: Path
    flags: Flags
    random_vectors: int
    seed: int
    runtime_requested: str = "auto"  # the runtime= option as given (auto chose `runtime`)
    toolchain: str = "arm-none-eabi-gcc"  # the compiler's name (toolchains.MODULES)
    third_party_overrides: tuple[tuple[str, str], ...] = ()  # <name>_path= trees (the golden oracle uses them)

    # -- target-level (shared) files --------------------------------------------------------
    @property
    def platform(self) -> TargetPlatform:
        return TargetPlatform(self.target, self.common_dir, IMAGE, self.toolchain)

    @property
    def has_twin(self) -> bool:
        """ESP targets: `test` runs the image's objects linked for an emulator twin, not the image."""
        return is_esp(self.target)

    @property
    def twin_platform(self) -> TargetPlatform:
        return TargetPlatform(self.target, self.common_dir, TWIN, self.toolchain)

    @property
    def image_format(self) -> str:
        """'esp': esptool's flash image (firmware.bin, no .hex); 'raw': .bin per region and Intel HEX."""
        return "esp" if is_esp(self.target) else "raw"

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
    def include_dirs(self) -> list[Path]:
        """Headers of target-level code: no model-specific folder, so its objects are shared."""
        return [self.board_header.parent, PLATFORM_SOURCE_DIR, APP_SOURCE_DIR, API_INCLUDE_DIR] \
            + self.runtime.target_include_dirs

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

    @property
    def twin_elf(self) -> Path:
        """The test build of an ESP target: the same objects, the emulator twin's platform and layout."""
        return self.output("firmware-twin.elf")

    @property
    def twin_map(self) -> Path:
        return self.output("firmware-twin.map")


def plan_firmware(config: BuildConfig, project_dir: Path, options: OptionValues | None = None) -> FirmwarePlan:
    """The firmware build for a checked BuildConfig; TinyMLError if it cannot be built.

    `options` (the build's OptionValues; defaults without) gives test_vectors= and seed=, and the
    chosen runtime's own options to its planner.
    """
    random_vectors = options.integer("test_vectors") if options else DEFAULT_RANDOM_VECTORS
    seed = options.integer("seed") if options else DEFAULT_SEED
    target = config.target
    if not target.supports.image:
        raise TinyMLError(f"target {target.name} builds no firmware image: {target.image_support_reason}",
                          where=f"target={target.name}", fix="pick a target that builds images (scons -h lists them)")
    if random_vectors < 0:
        raise TinyMLError(f"test_vectors={random_vectors} is negative", where="test_vectors=", fix="use 0 or more")
    gen_dir = Path(config.gen_dir)
    out_dir = Path(config.out_dir)
    models = tuple(ModelPlan(name=m.name, tflite=Path(m.tflite), sha256=m.sha256, samples=model_samples(m.tflite),
                             test_vectors_c=gen_dir / f"{m.name}_test_vectors.c",
                             golden_json=out_dir / "golden" / f"{m.name}.json")
                   for m in config.models)
    if random_vectors == 0 and not any(m.samples for m in models):
        raise TinyMLError("test_vectors=0 and the model lists no samples: the image would test nothing",
                          where="test_vectors=", fix="use test_vectors=1 or more")
    runtime = plan_runtime(config, Path(project_dir), options)
    toolchain = config.toolchain.name if config.toolchain else target.toolchain
    flags = runtime.link_flags(toolchains.firmware_flags(toolchain, target, Path(project_dir), Path(config.build_root)))
    return FirmwarePlan(
        project_dir=Path(project_dir), target=target, runtime=runtime, models=models,
        out_dir=out_dir, gen_dir=gen_dir, obj_dir=out_dir / "obj",
        common_dir=Path(config.build_root) / target.name / "_common",
        flags=flags, random_vectors=random_vectors, seed=seed, runtime_requested=config.requested_runtime,
        toolchain=toolchain, third_party_overrides=tuple(config.third_party_overrides),
    )
