"""The runtime=tflm part of a firmware build, decided up front in plain Python.

Why a plan: like tinyml_build.image.plan, every choice (which upstream files, which flags,
which object goes where, which QEMU machine measures the arena) is made here, where tests can
check it without SCons; site_scons/site_tools/tflm.py only turns it into builders.

Objects (build_root/<target>/_common/ is shared by every model built for the target):
  _common/tflm/core/<tree>/<path>.o        TFLM framework core + the project's platform glue:
                                            compiled once per target, for every kernel set
  _common/tflm/<kernels>/<tree>/<path>.o   the kernel files and library sources of one kernel
                                            set (only those some model built so far needed)
  _common/tflm/probe/tml_arena_probe.o     the arena probe's application
  (_common/tflm-log/... the same for tflm_log=on, so switching does not rebuild the other)
  <out>/obj/<name>_tflm_api.o, <name>_model_data.o, <name>_model.o    per model
  <out>/probe/arena_probe.{elf,map,log}, <out>/arena.json               the arena measurement
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.targets import Target, emulated_stand_in
from tinyml_build.errors import TinyMLError
from tinyml_build.platform import TWIN, TargetPlatform, is_esp, xtensa_libm
from tinyml_build.runtimes.tflm import api
from tinyml_build.runtimes.tflm.arena import ArenaOption, probe_capacity
from tinyml_build.runtimes.tflm.sources import GLUE_DIR, TflmSources, load_lock
from tinyml_build.toolchains import arm_gcc
from tinyml_build.toolchains import gcc as gnu

# What every upstream file is compiled with (TFLM's Makefile: COMMON_FLAGS, CXXFLAGS).
TFLM_DEFINES = (
    "TF_LITE_STATIC_MEMORY",  # no dynamic allocation anywhere in TFLM
    "FLATBUFFERS_LOCALE_INDEPENDENT=0",  # TFLM's flatbuffers patch makes it the default; explicit for unpatched trees
)
# TFLM's own warning set (CC_WARNINGS, minus -Wshadow which TFLM leaves off for GCC), so upstream
# code compiles as quietly here as in TFLM's CI; the project's own code keeps the project's set.
UPSTREAM_WARNINGS = ("-Wsign-compare", "-Wdouble-promotion", "-Wunused-variable", "-Wunused-function", "-Wswitch",
                     "-Wvla", "-Wall", "-Wextra", "-Wmissing-field-initializers", "-Wstrict-aliasing",
                     "-Wno-unused-parameter", "-Wno-type-limits")
# tflm_log=off (default): TFLM's error strings are left out (TFLM's BUILD_TYPE=release does the same,
# without also dropping asserts as we keep them). Why off: every error TFLM can report on a
# validated image happens at set-up, and the build already set the very same objects up in the
# arena probe; the strings cost ~11 KB of flash (a third of a hello_world image).
STRIP_LOG_DEFINE = "TF_LITE_STRIP_ERROR_STRINGS"
# Bit-exact with tflite-micro on the host (x86-64: no fused multiply-add): GCC's default for GNU C/C++
# contracts a*b+c into one vfma on FPU targets, which rounds once instead of twice.
NO_FP_CONTRACTION = ("-ffp-contract=off",)
NO_UNWIND = ("-fno-unwind-tables", "-fno-asynchronous-unwind-tables")  # no .ARM.exidx: no exceptions anyway
PROBE_APP = GLUE_DIR / "tml_arena_probe.c"


@dataclass(frozen=True)
class TflmFlags:
    """Compile flags of the tflm objects, on top of the target's arch flags."""

    upstream_common: tuple[str, ...]  # C and C++ upstream files (code generation, warnings)
    glue_common: tuple[str, ...]  # the project's own tflm code (wrapper, glue, probe)
    core_defines: tuple[str, ...]
    kernel_defines: tuple[str, ...]  # core defines + the kernel set's (CMSIS_NN, ...)
    core_optimization: str  # TFLM: -Os for the framework
    kernel_optimization: str  # TFLM: -O2 for kernels and third-party kernel libraries
    path_maps: tuple[str, ...] = ()  # -ffile-prefix-map for the checkout, build folder and upstream trees

    def as_dict(self) -> dict:
        return {"upstream_common": list(self.upstream_common), "glue_common": list(self.glue_common),
                "path_maps": list(self.path_maps),
                "core_defines": list(self.core_defines), "kernel_defines": list(self.kernel_defines),
                "core_optimization": self.core_optimization, "kernel_optimization": self.kernel_optimization}


@dataclass(frozen=True)
class ModelFiles:
    name: str
    api_cc: Path  # gen/<name>_tflm_api.cc
    model_data_cc: Path  # gen/<name>_model_data.cc (made by SConstruct's ModelData)
    descriptor_c: Path  # gen/<name>_model.c


@dataclass(frozen=True)
class TflmPlan:
    sources: TflmSources
    flags: TflmFlags
    common_dir: Path  # build_root/<target>/_common/tflm, or .../tflm-log for tflm_log=on
    out_dir: Path
    gen_dir: Path
    resolver_label: str  # gen/<label>_op_resolver.h serves every model of the image
    models: tuple[ModelFiles, ...]
    arena: ArenaOption
    log: bool  # tflm_log=on: TFLM's error messages are compiled in
    probe_target: Target  # the emulated target whose QEMU machine runs the probe
    probe_capacity: int
    probe_platform: TargetPlatform  # the probe target's platform layer (its own _common/ folder)
    library_required: bool = True  # kernels= was explicit: an image linking none of the library fails
    # files compiled from a Debian source package (clang-xtensa: newlib's expf, tanhf...), for manifest.json
    system_sources: dict | None = None
    kernels_note: str = ""  # why the default kernel set gave way, or what the library is built as (BuildConfig)

    name = "tflm"
    scons_builder = "TflmRuntime"  # site_scons/site_tools/tflm.py

    # -- the runtime plan interface (tinyml_build.runtimes.RuntimePlan) ------------------------
    @property
    def target_include_dirs(self) -> list[Path]:
        return []  # the tflm objects get their own include folders (site_tools/tflm.py)

    @property
    def probe_script(self) -> Path:
        """The probe's linker script. An emulator twin's probe takes the twin's relaxed script: the
        twin's RAM is not the chip's (QEMU gives it 2 GB), and the probe's one large arena plus a
        model held in the same RAM region (ESP32-S3: model and arena in DRAM) must not fail the
        chip's fit check before the arena is even measured; the image itself is checked against the chip."""
        if self.probe_platform.variant == TWIN:
            return self.probe_platform.sizing_linker_script
        return self.probe_platform.linker_script

    def link_flags(self, flags: arm_gcc.Flags) -> arm_gcc.Flags:
        return link_libraries(flags)

    def manifest_sources(self) -> list[Path]:
        return project_files()

    def manifest_settings(self, project_dir: Path, build_root: Path) -> dict:
        return self.settings(project_dir, build_root)

    def model_headers(self) -> list[Path]:
        return [self.gen_dir / f"{m.name}_model_data.h" for m in self.models]

    @property
    def kernel_library(self) -> tuple[str, str | None, bool] | None:
        """(kernels=, object path fragment, required) of the optimized library for the size report's
        link-time proof; None with reference kernels."""
        return (self.kernels, self.library_marker, self.library_required) if self.sources.library else None

    # -----------------------------------------------------------------------------------------
    @property
    def kernels(self) -> str:
        return self.sources.kernels

    def core_object(self, source: Path) -> Path:
        tree, rel = self.sources.origin(source)
        return self.common_dir / "core" / tree / Path(rel).with_suffix(".o")

    def kernel_object(self, source: Path) -> Path:
        tree, rel = self.sources.origin(source)
        return self.common_dir / self.kernels / tree / Path(rel).with_suffix(".o")

    @property
    def kernel_marker(self) -> str:
        """Path fragment of this kernel set's objects, e.g. '/_common/tflm/cmsis-nn/'."""
        return f"/_common/{self.common_dir.name}/{self.kernels}/"

    @property
    def library_marker(self) -> str | None:
        """Path fragment of the optimized library's objects (for the link-time proof)."""
        lib = self.sources.library
        return f"{self.kernel_marker}{lib.library}/" if lib else None

    @staticmethod
    def glue_defines(target: Target) -> tuple[str, ...]:
        """Defines of the kernel set's own glue (TflmSources.glue_files): the target's clock, which
        tml_esp_timer.c turns timer ticks into microseconds with."""
        return (f"TML_ESP_TIMER_CLOCK_HZ={target.clock_hz}u",)

    @property
    def probe_object(self) -> Path:
        return self.common_dir / "probe" / f"{PROBE_APP.stem}.o"

    @property
    def probe_dir(self) -> Path:
        return self.out_dir / "probe"

    @property
    def probe_models_c(self) -> Path:
        return self.gen_dir / "probe" / api.PROBE_FILE_NAME

    @property
    def probe_log(self) -> Path:
        return self.probe_dir / "arena_probe.log"

    @property
    def arena_json(self) -> Path:
        return self.out_dir / "arena.json"

    @property
    def include_dirs(self) -> list[Path]:
        """Upstream include folders, then the glue's own."""
        return list(self.sources.include_dirs) + [GLUE_DIR]

    def settings(self, project_dir: Path, build_root: Path) -> dict:
        """What manifest.json records about the tflm runtime; machine paths become <name> placeholders."""
        places = sorted([(str(tree), f"<{name}>") for name, tree in self.sources.trees.items()]
                        + [(str(Path(build_root).resolve()), "<build>"),
                           (str(Path(project_dir).resolve()), "<project>")],
                        key=lambda kv: -len(kv[0]))

        def clean(value):
            if isinstance(value, list):
                return [clean(v) for v in value]
            for old, new in places:
                value = value.replace(old, new)
            return value

        flags = {key: clean(value) for key, value in self.flags.as_dict().items()}
        lock = load_lock()
        return {
            "kernels": self.kernels,
            "kernels_reason": self.kernels_note or ("kernels= given" if self.library_required
                                                    else "the target's default kernels"),
            "log": self.log,
            "arena": {"option": "auto" if self.arena.fixed is None else self.arena.fixed,
                      "headroom": self.arena.describe_headroom(), "probe_target": self.probe_target.name},
            # 'cache' trees were verified against the lock's digest; 'explicit' ones are used as given.
            "third_party": {name: {"resolved": self.sources.how[name], "commit": lock.get(name).commit,
                                   "pinned_digest": lock.get(name).digest} for name in sorted(self.sources.trees)},
            "tflm_flags": flags,
            "upstream_files": sorted("/".join(self.sources.origin(p)) for p in
                                     self.sources.core + self.sources.kernel_files + self.sources.library_files
                                     + self.sources.glue_files),
            **({"system_sources": self.system_sources} if self.system_sources else {}),
        }


def link_libraries(flags: arm_gcc.Flags) -> arm_gcc.Flags:
    """The target's link flags plus libm (TFLM calls round/roundf/expf/... as TFLM's own link does)."""
    from dataclasses import replace

    libraries = list(flags.libraries)
    if not libraries:  # a toolchain that links no library (clang-xtensa): its runtime support has the math
        return flags
    if "-lm" not in libraries:
        at = libraries.index("-lgcc") if "-lgcc" in libraries else len(libraries)
        libraries.insert(at, "-lm")
    return replace(flags, libraries=tuple(libraries))


def project_files() -> list[Path]:
    """The project's own tflm sources and headers (for manifest.json)."""
    return sorted(p for p in GLUE_DIR.rglob("*") if p.suffix in (".c", ".cc", ".h"))


def tflm_flags(target: Target, sources: TflmSources, project_dir: Path, build_root: Path,
               log: bool = False) -> TflmFlags:
    maps = arm_gcc.prefix_maps(project_dir, build_root) + sources.prefix_maps()
    defines = TFLM_DEFINES + (() if log else (STRIP_LOG_DEFINE,))
    return TflmFlags(
        upstream_common=arm_gcc.CODE_GENERATION + UPSTREAM_WARNINGS + NO_UNWIND + NO_FP_CONTRACTION,
        glue_common=arm_gcc.CODE_GENERATION + arm_gcc.WARNINGS + NO_UNWIND + NO_FP_CONTRACTION,
        path_maps=maps,
        core_defines=defines,
        kernel_defines=defines + tuple(sources.defines),
        core_optimization=gnu.FRAMEWORK_OPTIMIZATION,  # every toolchain's policy
        kernel_optimization=gnu.KERNEL_OPTIMIZATION,
    )


def probe_target_for(target: Target, targets_dir: Path) -> Target:
    """The emulated target that runs the arena probe: the target itself, else the emulated target
    with exactly the same arch flags (the same objects run there: same code, same allocations)."""
    probe = emulated_stand_in(target, targets_dir)
    if probe is not None:
        return probe
    raise TinyMLError(f"arena=auto measures the arena by running the image in QEMU, and neither {target.name} nor any "
                      f"emulated target with its arch flags ({' '.join(target.arch_flags)}) has an emulator",
                      where=f"target={target.name}",
                      fix="pass arena=<bytes> (run the image on the board and read its TML-MODEL arena_used line), "
                          "or add an emulated target with the same arch flags to targets/")


def probe_platform(target: Target, probe: Target, build_root: Path) -> TargetPlatform:
    """The probe target's platform layer: the target's own when it runs the probe, else under the
    target's _common/ folder (building stm32f103 writes nothing into build/qemu-m3/). With the
    target's toolchain, so that for the target itself it equals the image's platform and its objects
    are declared once."""
    common = Path(build_root) / target.name / "_common"
    if is_esp(target):  # no QEMU models the chip: the probe runs on the emulator twin, as `test` does
        return TargetPlatform(target, common, TWIN, toolchain=target.toolchain)
    return TargetPlatform(probe, common if probe.name == target.name else common / "probe-platform" / probe.name,
                          toolchain=probe.toolchain)


def plan_tflm(target: Target, sources: TflmSources, model_names: list[str], project_dir: Path, build_root: Path,
              out_dir: Path, gen_dir: Path, arena: ArenaOption, log: bool = False,
              targets_dir: Path | None = None, library_required: bool = True, kernels_note: str = "") -> TflmPlan:
    targets_dir = (Path(targets_dir) if targets_dir
                   else target.path.parent if target.path else Path(project_dir) / "targets")
    probe = probe_target_for(target, targets_dir)
    models = tuple(ModelFiles(name=n, api_cc=gen_dir / api.api_file_name(n),
                              model_data_cc=gen_dir / f"{n}_model_data.cc",
                              descriptor_c=gen_dir / api.descriptor_file_name(n)) for n in model_names)
    return TflmPlan(sources=sources, flags=tflm_flags(target, sources, project_dir, build_root, log),
                    common_dir=Path(build_root) / target.name / "_common" / ("tflm-log" if log else "tflm"),
                    out_dir=Path(out_dir),
                    gen_dir=Path(gen_dir), resolver_label="_".join(model_names), models=models, arena=arena, log=log,
                    library_required=library_required, kernels_note=kernels_note,
                    probe_target=probe, probe_capacity=probe_capacity(probe),
                    probe_platform=probe_platform(target, probe, Path(build_root)))


def plan(config, project_dir: Path, options=None) -> TflmPlan:
    """The tflm plan of a checked BuildConfig (runtime=tflm): resolves the pinned sources for its ops;
    `options` (OptionValues) gives arena=, arena_headroom= and tflm_log= (defaults without)."""
    from tinyml_build.runtimes.tflm.arena import parse_option
    from tinyml_build.runtimes.tflm.sources import resolve_sources

    arena = parse_option(options.text("arena"), options.text("arena_headroom")) if options else parse_option()
    log = options.flag("tflm_log") if options else False
    if log:
        _check_log_supported(config)

    sources = resolve_sources(config.op_names(), config.kernels, dict(config.third_party_overrides))
    toolchain = config.toolchain.name if config.toolchain else config.target.toolchain
    planned = plan_tflm(config.target, sources, [m.name for m in config.models], Path(project_dir),
                     Path(config.build_root), Path(config.out_dir), Path(config.gen_dir), arena, log,
                     library_required=config.kernels_explicit, kernels_note=config.kernels_note)
    if not xtensa_libm.needed(toolchain):
        return planned
    from dataclasses import replace

    return replace(planned, system_sources=xtensa_libm.describe(xtensa_libm.find_tarball()))


def _check_log_supported(config) -> None:
    """tflm_log=on formats TFLM's messages with the C library's vsnprintf; the Xtensa build links no C
    library (its runtime support has no stdio), so there the option cannot apply: refused, not a link error."""
    toolchain = config.toolchain.name if config.toolchain else config.target.toolchain
    if xtensa_libm.needed(toolchain):
        raise TinyMLError(f"tflm_log=on cannot apply on target {config.target.name} ({toolchain}): TFLM formats "
                          "its messages with vsnprintf, and the Xtensa build links no C library (its runtime "
                          "support has no stdio)", where="tflm_log=on",
                          fix="build with tflm_log=off (the default); tflm_log=on works on esp32c3 and Cortex-M")
