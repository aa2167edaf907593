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
from tinyml_build.verification.samples import AccuracyRequest, Sample, model_reference, model_samples


@dataclass(frozen=True)
class ModelPlan:
    name: str  # C name: <name>_model_api
    tflite: Path
    sha256: str
    samples: tuple[Sample, ...]
    test_vectors_c: Path
    golden_json: Path
    accuracy: AccuracyRequest | None = None  # measure the target's outputs against a float model

    @property
    def golden_inputs(self) -> list[Path]:
        """Files the golden data is computed from besides the .tflite: samples, float reference, dataset."""
        extra = [] if self.accuracy is None else [self.accuracy.reference] + (
            [self.accuracy.dataset] if self.accuracy.dataset else [])
        return [s.path for s in self.samples] + extra

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
    random_vectors: int  # 0 with no samples: the model runs on a fixed input, outputs unchecked (main.c)
    seed: int
    runtime_requested: str = "auto"  # the runtime= option as given (auto chose `runtime`)
    toolchain: str = "arm-none-eabi-gcc"  # the compiler's name (toolchains.MODULES)
    profile_ops: bool = False  # profile_ops=on: compiled with TML_PROFILE_OPS (aot calls tml_profile_op)
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
    reference, dataset = None, None
    if options:
        reference, dataset = (_given_file(options, name, Path(project_dir)) for name in ("reference", "dataset"))
    if (reference or dataset) and len(config.models) > 1:
        raise TinyMLError(f"{'reference' if reference else 'dataset'}= applies to one model; this image has "
                          f"{len(config.models)}", where="reference=" if reference else "dataset=",
                          fix="build the model alone to measure its accuracy")
    models = []
    for m in config.models:
        samples = model_samples(m.tflite)
        request = _accuracy_request(reference or model_reference(m.tflite), dataset, samples, bool(reference))
        models.append(ModelPlan(name=m.name, tflite=Path(m.tflite), sha256=m.sha256, samples=samples,
                                test_vectors_c=gen_dir / f"{m.name}_test_vectors.c",
                                golden_json=out_dir / "golden" / f"{m.name}.json", accuracy=request))
    models = tuple(models)
    runtime = plan_runtime(config, Path(project_dir), options)
    toolchain = config.toolchain.name if config.toolchain else target.toolchain
    toolchains.check_math_library(toolchain, runtime.manifest_sources(), runtime.name, target.name)
    flags = runtime.link_flags(toolchains.firmware_flags(toolchain, target, Path(project_dir), Path(config.build_root)))
    return FirmwarePlan(
        project_dir=Path(project_dir), target=target, runtime=runtime, models=models,
        out_dir=out_dir, gen_dir=gen_dir, obj_dir=out_dir / "obj",
        common_dir=Path(config.build_root) / target.name / "_common",
        flags=flags, random_vectors=random_vectors, seed=seed, runtime_requested=config.requested_runtime,
        toolchain=toolchain, profile_ops=bool(options and options.flag("profile_ops")),
        third_party_overrides=tuple(config.third_party_overrides),
    )


def _given_file(options: OptionValues, name: str, project_dir: Path) -> Path | None:
    """The file a path option names (relative to the project folder, where scons runs), None when empty."""
    text = options.text(name)
    if not text:
        return None
    path = Path(text).expanduser()
    path = path if path.is_absolute() else project_dir / path
    if not path.is_file():
        raise TinyMLError(f"{name}={text}: no such file", where=f"{name}=",
                          fix="give the path of an existing file" + (" (.npy or .npz)" if name == "dataset" else
                                                                     " (a float .tflite)"))
    return path


def _accuracy_request(reference: Path | None, dataset: Path | None, samples, explicit: bool) -> AccuracyRequest | None:
    """What the model's accuracy is measured with: a float reference and inputs (dataset= or the
    samples); None when either is missing and nobody asked for the measurement on the command line."""
    if reference is None:
        if dataset is not None:
            raise TinyMLError("dataset= needs a float reference to compare with, and the model has none",
                              where="dataset=", fix="give reference=FLOAT.tflite (or add `reference:` to model.yaml)")
        return None
    if dataset is None and not samples:
        if explicit:
            raise TinyMLError("reference= needs inputs to compare on: the model lists no samples",
                              where="reference=", fix="give dataset=FILE.npy (or .npz with inputs and labels)")
        return None
    return AccuracyRequest(reference, dataset)
