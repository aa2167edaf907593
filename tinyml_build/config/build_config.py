"""One build's choices (target, models, runtime, kernels, output folder), checked up front.

SConstruct hands the options here; everything a user can get wrong is caught before SCons builds
anything, with one message naming the bad value and the valid ones; an option that cannot affect
the build is refused (or, from a config file, noted). Plain Python so it is tested without SCons.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from tinyml_build import toolchains
from tinyml_build.analysis import op_inventory
from tinyml_build.config import targets
from tinyml_build.config.aliases import check_requested
from tinyml_build.config.model_facts import ModelFacts, model_facts
from tinyml_build.config.options import (
    AOT_IMAGE,
    AOT_MODELS,
    AUTO,
    CYCLES,
    EXPORT,
    IMAGE,
    REPORT,
    RUNTIME,
    RUNTIME_CHOICES,
    SERIAL,
    TEST,
    TFLM,
    OptionValues,
    check_applicable,
)
from tinyml_build.errors import TinyMLError
from tinyml_build.escape import terminal
from tinyml_build.model import catalog as model_catalog
from tinyml_build.model.naming import model_c_name
from tinyml_build.resources import find_named, search_dirs
from tinyml_build.toolchains import ToolchainChoice

NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class ModelInput:
    name: str  # C identifier used in generated code
    tflite: Path
    facts: ModelFacts  # digest, ops, aot kernels: checked and cached (config/model_facts.py)

    @property
    def sha256(self) -> str:
        return self.facts.sha256


@dataclass(frozen=True)
class BuildConfig:
    target: "targets.Target"
    models: tuple[ModelInput, ...]
    runtime: str | None  # "aot" or "tflm" (runtime=auto is decided in resolve()); None: sources only
    kernels: str
    build_root: Path
    requested_runtime: str = "auto"  # as the user gave it
    runtime_reason: str = ""  # why runtime=auto chose `runtime`
    third_party_overrides: tuple[tuple[str, str], ...] = ()  # (lock name, path) from the <name>_path= options
    kernels_explicit: bool = False  # kernels= was given (else the target's default)
    kernels_note: str = ""  # why the target's default kernel set was not used, or what the library is built as
    notes: tuple[str, ...] = ()  # options from a config file that have no effect on this build
    toolchain: "ToolchainChoice | None" = None  # the compiler of a firmware image (None: no image)

    @property
    def builds_image(self) -> bool:
        """A firmware image (and its reports); else the target only gets generated sources or the host check."""
        return self.target.supports.image

    @property
    def kernels_banner(self) -> str:
        """'cmsis-nn', 'reference (...why not the target's default...)', or n/a when no runtime uses it."""
        if self.runtime != "tflm":
            return NOT_APPLICABLE
        return f"{self.kernels} ({self.kernels_note})" if self.kernels_note else self.kernels

    @property
    def runtime_banner(self) -> str:
        """'tflm', 'tflm (auto: ...)', or 'n/a' for a target that only gets generated sources."""
        if self.runtime is None:
            return NOT_APPLICABLE
        return self.runtime if self.requested_runtime != AUTO else f"{self.runtime} (auto: {self.runtime_reason})"

    @property
    def toolchain_banner(self) -> str:
        """' toolchain=<name>' for targets with a choice of compilers (ESP32), else nothing."""
        if self.toolchain is None or len(toolchains.candidates(self.target)) < 2:
            return ""
        return f" toolchain={self.toolchain.name}"

    def banner(self, display_root: Path | None = None) -> str:
        """The one line every build starts with: what the user asked for, as it is in effect."""
        return terminal(f"tinyml_build: target={self.target.name} model={self.model_label} "
                        f"runtime={self.runtime_banner} kernels={self.kernels_banner}{self.toolchain_banner} -> "
                        f"{_shown(self.out_dir, display_root)}")

    def sources_only_note(self, display_root: Path | None = None) -> str | None:
        """Why this target gets only generated sources (None when it gets an image or a host check)."""
        if self.target.supports.image or self.target.supports.test:
            return None
        return (f"target {self.target.name} builds no firmware image yet ({self.target.source}: supports.image is "
                f"false; {self.target.image_support_reason}): only the model array and the op resolver were "
                f"generated, in {_shown(self.gen_dir, display_root)}")

    @property
    def model_label(self) -> str:
        """Folder name for this set of models: 'kws', or 'kws+hello_world' for several in one image."""
        return "+".join(m.name for m in self.models)

    @property
    def out_dir(self) -> Path:
        return self.build_root / self.target.name / self.model_label

    @property
    def gen_dir(self) -> Path:
        return self.out_dir / "gen"

    def op_names(self) -> list[str]:
        """Union of the ops of every model in the image, sorted."""
        return sorted({name for m in self.models for name in m.facts.op_names})

    def op_uses(self) -> list:
        """Union of the (op, tensor types) uses of every model in the image (op_inventory.OpUse), sorted."""
        return sorted({use for m in self.models for use in m.facts.uses()})


def _shown(path: Path, root: Path | None) -> Path:
    """`path` relative to `root` (the project) when inside it, for messages."""
    try:
        return path.relative_to(root) if root is not None else path
    except ValueError:
        return path


def all_targets(project_dir: Path) -> list[str]:
    """Every target name: the project's own targets/ and the built-in ones."""
    return sorted({n for d in search_dirs(project_dir, "targets") for n in targets.list_targets(d)})


def all_models(project_dir: Path) -> list[str]:
    """Every catalog model name: the project's own models/ and the built-in ones."""
    return sorted({n for d in search_dirs(project_dir, "models") for n in model_catalog.list_models(d)})


def _choice(option: str, value: str, valid) -> str:
    if value not in valid:
        raise TinyMLError(f"unknown {option} '{value}'", where=f"{option}=",
                          fix=f"use one of: {', '.join(valid)}")
    return value


def choose_runtime(requested: str, op_names: list[str], kernels: str, overrides=None, env=None,
                   board: "targets.Target | None" = None, toolchain: ToolchainChoice | None = None,
                   exporting: bool = False) -> tuple[str, str]:
    """(runtime, reason): runtime=auto is tflm when its upstream sources resolve for these ops and
    kernels (never downloading) and the toolchain compiles C++, otherwise aot -- except on the host
    target, which runs aot only; runtime=tflm never falls back: a missing source is the resolver's
    error, which names the three ways to provide it, and a C-only toolchain is one error naming
    runtime=aot."""
    from tinyml_build.runtimes.tflm.sources import missing_reason, resolve_sources

    if requested == "aot":
        return "aot", "runtime=aot"
    if requested == AUTO and board is not None and board.is_host:
        return "aot", "the host target runs aot only"
    if requested == AUTO and exporting:
        return "aot", ("`export` vendors runtime=aot unless runtime=tflm is asked for (no upstream code to vendor, "
                       "no arena probe to run)")
    if board is not None and board.family == "esp32":
        why = _esp_tflm_refusal(board, toolchain, env)
        if requested == AUTO:  # aot is the smaller and faster image on every ESP target
            return "aot", why or "ESP targets: runtime=auto builds aot (the smaller, faster image)"
        if why is not None:
            raise TinyMLError(f"runtime=tflm cannot be built for target {board.name}: {why}", where="runtime=tflm",
                              fix="use runtime=aot (it builds this model for the target, bit-exact with TFLM)")
    if toolchain is not None and not toolchains.supports_cxx(toolchain.name):
        why = f"{toolchain.name} compiles C only and TFLM is C++"
        if requested == AUTO:
            return "aot", why
        others = [name for name in toolchains.candidates(board) if toolchains.supports_cxx(name)]
        raise TinyMLError(f"runtime=tflm cannot be built for target {board.name}: {why}", where="runtime=tflm",
                          fix="use runtime=aot (it builds this model for the target)"
                              + (f", or install a C++ toolchain for it ({', '.join(others)}: Espressif's GCC from "
                                 "ESP-IDF) and put it on PATH" if others else ""))
    if requested == "tflm":
        resolve_sources(op_names, kernels, overrides, env)  # raises the resolver's message
        return "tflm", "runtime=tflm"
    why_not = missing_reason(op_names, kernels, overrides, env)
    if why_not is None:
        return "tflm", "TFLM sources resolve"
    return "aot", f"no TFLM sources: {why_not.splitlines()[0]}"


ESP_NN = "esp-nn"
# Toolchains whose runtime=tflm build for ESP targets is done and tested (clang++-22 with libc++'s
# headers): the ESP32-C3's RISC-V one (over picolibc) and the Xtensa one of the ESP32/ESP32-S3 (over
# newlib's headers, with the project's xtensa_rt and newlib's expf); ESP-NN's or TFLM's reference
# kernels on each.
ESP_TFLM_TOOLCHAINS = {"riscv64-unknown-elf-gcc": "esp32c3", "clang-xtensa": "esp32, esp32s3"}
# Chips for which ESP-IDF compiles ESP-NN's SIMD assembly (*_esp32s3.S, *_esp32p4.S) instead of its
# portable C. The project builds the portable C everywhere (LLVM 22 knows neither the S3's EE.*
# instructions nor an esp32s3 cpu, and the twin would not run them): on these chips the banner and
# manifest.json say that the image is not ESP-IDF's optimized ESP-NN.
ESP_NN_ASSEMBLY_CHIPS = ("esp32s3", "esp32p4")


def _esp_tflm_refusal(board, toolchain: ToolchainChoice | None, env=None) -> str | None:
    """Why runtime=tflm is not built for this ESP target (None when it is): Espressif's GCC is not
    done, a package may be missing."""
    if toolchain is None or toolchain.name not in ESP_TFLM_TOOLCHAINS:
        name = toolchain.name if toolchain is not None else board.toolchain
        done = "it is built with " + " and ".join(f"{n} ({t})" for n, t in ESP_TFLM_TOOLCHAINS.items())
        if not toolchains.supports_cxx(name):
            return f"{name} compiles C only and TFLM is C++ ({done})"
        return f"TFLM is not built for ESP targets with {name} ({done})"
    return toolchains.cxx_unavailable(toolchain.name, (env if env is not None else os.environ).get("PATH"))


def _esp_kernels(board, kernels: str, note: str) -> tuple[str, str]:
    """ESP-NN's kernels are built for the ESP32 family only: on another target kernels=esp-nn is refused.
    On every ESP chip they are ESP-NN's portable C (bit-exact with TFLM's reference kernels on kws and
    hello_world on the RISC-V and Xtensa twins: tests/test_esp_tflm.py; the default's fallbacks are
    _default_kernels_for's); on a chip whose ESP-IDF build takes ESP-NN's SIMD assembly instead the
    note says so."""
    if kernels == ESP_NN and board.family != "esp32":
        raise TinyMLError(f"kernels={ESP_NN} is for the ESP32 family, not target {board.name} (cpu {board.cpu})",
                          where=f"kernels={ESP_NN}",
                          fix=f"use kernels={op_inventory.REFERENCE}" + (", or kernels=cmsis-nn on a Cortex-M"
                                                                          if board.isa == "arm" else ""))
    if kernels == ESP_NN and board.cpu in ESP_NN_ASSEMBLY_CHIPS:
        return kernels, (f"ESP-NN's portable C, not ESP-IDF's {board.cpu} SIMD assembly, which LLVM 22 "
                         "cannot assemble")
    return kernels, note


def _default_kernels_for(op_names: list[str], kernels: str, explicit: bool,
                         refusals: list[tuple[str, str]] = ()) -> tuple[str, str]:
    """(kernels, note): the target's default optimized set falls back to reference when it has a
    kernel for none of the model's ops (it would link nothing) or cannot prepare one of the model's op
    uses (analysis/kernel_limits.py); an explicit kernels= is kept (_check_library_refusals refuses it
    then), and the link-time check stops the build with the reason."""
    if explicit or kernels == op_inventory.REFERENCE:
        return kernels, ""
    refused = [reason for library, reason in refusals if library == kernels]
    if refused:
        return op_inventory.REFERENCE, f"the target's {kernels} cannot run {refused[0].split(';')[0]}"
    if any(kernels in op_inventory.OPS[name].optimized for name in op_names if name in op_inventory.OPS):
        return kernels, ""
    return op_inventory.REFERENCE, f"the target's {kernels} has no kernel for {', '.join(op_names)}"


def _check_library_refusals(kernels: str, refusals: list[tuple[str, str]]) -> None:
    """An explicit kernels=<library> whose Prepare refuses an op of the model: a build-time error
    instead of a firmware that fails at start-up."""
    refused = [reason for library, reason in refusals if library == kernels]
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise TinyMLError(f"kernels={kernels} cannot run this model: {refused[0]}{more}", where="kernels=",
                          fix=f"use kernels={op_inventory.REFERENCE} (TFLM's reference kernels run it) or runtime=aot")


def _check_reference_refusals(inputs, kernels: str, requested: str, chosen: str, reason: str) -> tuple[str, str]:
    """An op use TFLM's reference kernels refuse (analysis/reference_limits.py) -- unless the build's
    kernel library replaces that op's kernel: runtime=auto builds aot when aot takes every model,
    otherwise a build-time error instead of a firmware that stops at start-up."""
    from tinyml_build.analysis.reference_limits import refusal

    refused = [(m, why) for m in inputs for op, why in m.facts.reference_refusals
               if kernels not in op_inventory.OPS[op].optimized]
    if not refused:
        return chosen, reason
    aot_builds = all(m.facts.aot_kernels is not None for m in inputs)
    if requested == AUTO and aot_builds:
        return "aot", f"TFLM's reference kernels cannot run {refused[0][1].split(';')[0]}"
    what, fix = refusal([r for _m, r in refused], aot_builds)
    raise TinyMLError(what, where=str(refused[0][0].tflite), fix=fix)


def resolve(project_dir: Path, target: str, model: str, runtime: str = "auto", kernels: str = "",
            build_dir: str = "build", third_party_overrides=None, env=None, toolchain: str = AUTO,
            exporting: bool = False) -> BuildConfig:
    """Turn the option strings into a checked BuildConfig; raises TinyMLError on any bad value.

    `third_party_overrides` maps lock names to explicit source trees (the <name>_path= options);
    `env` is the environment the resolver reads TINYML_<NAME>_PATH from (default os.environ).
    """
    project_dir = Path(project_dir)
    if not target:
        raise TinyMLError("no target given", where="target=",
                          fix=f"pass target=<name>; targets: {', '.join(all_targets(project_dir))}")
    if not model:
        raise TinyMLError("no model given", where="model=",
                          fix=f"pass model=<name or path.tflite>; models: "
                              f"{', '.join(all_models(project_dir))}")
    board = targets.load_target(target, find_named(project_dir, "targets", f"{target}.yaml"))
    runtime = _choice("runtime", runtime or AUTO, RUNTIME_CHOICES)
    kernels_option = kernels
    kernels = _choice("kernels", kernels, op_inventory.KERNEL_CHOICES) if kernels else board.default_kernels

    build_root = Path(build_dir)
    if not build_root.is_absolute():
        build_root = project_dir / build_root
    make_folder(build_root, "build_dir", build_dir)
    inputs = []
    for value in (v.strip() for v in model.split(",") if v.strip()):
        entry = model_catalog.resolve_model(value, find_named(project_dir, "models", value), base_dir=project_dir)
        name = model_c_name(entry.name)
        facts = model_facts(entry.tflite, name, cache_root=build_root)  # corrupt or unbuildable: fails here
        if runtime == "aot":
            facts.check_aot()  # an op or dtype runtime=aot lacks fails now, naming runtime=tflm
        inputs.append(ModelInput(name, entry.tflite, facts))
    names = [m.name for m in inputs]
    if len(set(names)) != len(names):
        raise TinyMLError(f"the same model name appears twice in model={model}", where="model=",
                          fix="list each model once")
    overrides = {k: str(v) for k, v in (third_party_overrides or {}).items() if v}
    op_names = sorted({name for m in inputs for name in m.facts.op_names})
    explicit = bool(kernels_option)
    refusals = [r for m in inputs for r in m.facts.library_refusals]
    kernels, kernels_note = _default_kernels_for(op_names, kernels, explicit, refusals)
    kernels, kernels_note = _esp_kernels(board, kernels, kernels_note)
    compiler = None
    if board.supports.image:
        compiler = toolchains.choose(board, toolchain or AUTO, (env if env is not None else os.environ).get("PATH"))
    if board.supports.image or board.supports.test:
        chosen, reason = choose_runtime(runtime, op_names, kernels, overrides, env, board, compiler, exporting)
    else:
        chosen, reason = None, "the target only gets generated sources"
    if chosen == "tflm":
        _check_library_refusals(kernels, refusals)
        chosen, reason = _check_reference_refusals(inputs, kernels, runtime, chosen, reason)
    return BuildConfig(target=board, models=tuple(inputs), runtime=chosen, kernels=kernels, build_root=build_root,
                       requested_runtime=runtime, runtime_reason=reason,
                       third_party_overrides=tuple(sorted(overrides.items())), kernels_explicit=explicit,
                       kernels_note=kernels_note, toolchain=compiler)


def make_folder(folder: Path, option: str, given: str, example: str = "build") -> None:
    """Make the folder an option names now: a path under a file, or one the user may not write,
    would otherwise fail at the first write inside SCons with an OSError and a stack."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = "it is a file" if folder.is_file() else exc.strerror or str(exc)
        raise TinyMLError(f"{option}={given}: cannot make the folder {folder}: {problem}", where=f"{option}=",
                          fix=f"give a folder you can write (made if missing), e.g. {option}={example}") from None


def from_options(project_dir: Path, values: OptionValues, options, requested=(), env=None,
                 lock_dependencies=()) -> BuildConfig:
    """The BuildConfig for checked option values and the requested aliases (e.g. 'test', 'gen').

    Options the user set that cannot affect this build are refused (command line) or become
    notes (config file); `test` on a target that cannot run one is refused here, before any output.
    """
    check_requested(requested, project_dir)
    config = resolve(project_dir, values.text("target"), values.text("model"), values.text("runtime"),
                     values.text("kernels"), values.text("build_dir"),
                     third_party_overrides=values.path_overrides(lock_dependencies), env=env,
                     toolchain=values.text("toolchain"), exporting="export" in requested)
    board = config.target
    if "test" in requested and not board.supports.test:
        raise TinyMLError(f"target {board.name} cannot run `test`: {board.test_support_reason}", where="test",
                          fix="build without `test`, or use a target that runs in an emulator (scons -h lists them)")
    if "flash" in requested and not (board.supports.image and board.family == "esp32"):
        raise TinyMLError(f"target {board.name} has no `flash` alias (it is for ESP targets, through esptool)",
                          where="flash", fix="build the image and write firmware.bin/.hex with your probe's tool "
                                             "(st-flash, openocd, pyocd)" if board.supports.image else
                          "use an ESP target, or a target that builds images")
    if "cycles" in requested:
        if not board.supports.image:
            raise TinyMLError(f"target {board.name} cannot run `cycles`: it builds no firmware image", where="cycles",
                              fix="use a target that builds images (scons -h lists them)")
        from tinyml_build.verification.image_profile import stand_in_for

        stand_in_for(board)  # profiled on its own emulator or a stand-in's: refused now when there is none
    if "monitor" in requested and not (board.supports.image and board.console.is_uart):
        raise TinyMLError(f"target {board.name} has no serial console to monitor", where="monitor",
                          fix="`monitor` reads boards with a UART console (stm32*, esp32*); emulated targets: `test`")
    if "monitor" in requested and not values.text("port"):
        raise TinyMLError("`monitor` needs the board's serial port", where="monitor",
                          fix="add port=/dev/ttyUSB0 (or the board's device)")
    produces = board.supports.image or board.supports.test
    tflm_arena_auto = config.runtime == "tflm" and values.text("arena").strip().lower() == "auto"
    scopes = {
        TFLM: None if config.runtime == "tflm" else
        (f"target {board.name} only gets generated sources" if config.runtime is None
         else "runtime=aot compiles the model with its own kernels, without TFLM" if config.requested_runtime == "aot"
         else f"runtime=auto chose aot ({config.runtime_reason}), which does not use TFLM"),
        RUNTIME: None if produces else
        f"target {board.name} only gets generated sources ({board.image_support_reason})",
        IMAGE: None if board.supports.image else
        f"target {board.name} builds no firmware image ({board.image_support_reason})",
        TEST: None if ("test" in requested and produces) or tflm_arena_auto else "nothing runs in QEMU in this build",
        SERIAL: None if ("flash" in requested and board.family == "esp32") or "monitor" in requested else
        "nothing is flashed or monitored in this build",
        CYCLES: None if "cycles" in requested or "report" in requested else
        "no cycle estimate (`cycles` or `report`) is made in this build",
        EXPORT: None if "export" in requested else "nothing is exported in this build",
        AOT_IMAGE: None if config.runtime == "aot" and board.supports.image else
        (f"target {board.name} builds no firmware image" if not board.supports.image
         else "per-op markers are in the aot program only; runtime=tflm has none"),
        AOT_MODELS: None if config.runtime == "aot" and board.supports.image and len(config.models) > 1 else
        ("runtime=tflm gives every model its own arena" if config.runtime != "aot"
         else f"target {board.name} builds no firmware image" if not board.supports.image
         else "one model has no other to share its arena with"),
        REPORT: None if "report" in requested and board.supports.image else
        "nothing is reported in this build" if "report" not in requested else
        f"target {board.name} builds no firmware image to report on ({board.image_support_reason})",
    }
    notes = check_applicable(values, options, scopes)
    from dataclasses import replace

    return replace(config, notes=tuple(notes))
