"""What a report is made from: the target, the model's analysis, the linked image's size facts, the
build's manifest and, where the model ran in an emulator, that run's test.json.

Why gathered here: every step reads the same facts, and each fact may be missing for an honest
reason (no emulator for the target, a parallel feature not in this build, an image that does not fit);
the steps then say "not measured" with that reason instead of guessing. Files are read as OPTIONAL
JSON fields: test.json's `stack` and `accuracy` are used when the firmware reports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.analysis.analyze import Analysis, analyze
from tinyml_build.config.targets import Target, list_targets, load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.reports.fit.requirements import Requirements
from tinyml_build.reports.size import OVERFLOW_JSON


@dataclass(frozen=True)
class Run:
    """A run of the model in an emulator: its test.json, and on which target it ran."""

    target: str
    test: dict
    same_image: bool  # False: an emulated twin of the same core ran its own image of the same model
    label: str = ""  # what ran, in words, when more than the target's name (an ESP target's ISA twin)

    @property
    def where(self) -> str:
        if self.label:
            return self.label
        return self.target if self.same_image else f"{self.target} (same core, its own image)"

    def model(self, name: str) -> dict:
        return (self.test.get("models") or {}).get(name) or {}


@dataclass(frozen=True)
class ReportInputs:
    target: Target
    model_name: str  # the model's C name, as test.json and size.json name it
    analysis: Analysis
    runtime: str
    kernels: str
    requirements: Requirements
    size: dict | None = None  # size.json, or the measurement of an image that does not fit
    overflow: str = ""  # the budget error's text when the image does not fit
    manifest: dict | None = None
    run: Run | None = None
    not_run: str = ""  # why there is no run, with the fix
    aot_refusal: str = ""  # why runtime=aot cannot build the model ('' when it can)


def read_json(path: Path) -> dict | None:
    """A JSON file's object, or None when absent; TinyMLError when present but unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TinyMLError(f"cannot read {path.name}: {err}", where=str(path),
                          fix="build again: the file is written by the build") from None
    if not isinstance(data, dict):
        raise TinyMLError(f"{path.name} is not a JSON object", where=str(path), fix="build again")
    return data


def model_yaml_requirements(tflite: Path) -> dict | None:
    """model.yaml's `requirements:` block when the model comes from the catalog (a folder with one)."""
    from tinyml_build.model import catalog

    if not (Path(tflite).parent / catalog.METADATA_FILE).is_file():
        return None
    return catalog.load_model(Path(tflite).parent, check_sha256=False).metadata.get("requirements")


def emulated_twin(target: Target, targets_dir: Path | None) -> Target | None:
    """An emulated target with the same core and arch flags that runs its own image (not an ESP
    ISA twin): the model's time and stack there are the same code's on the same core."""
    if targets_dir is None or not Path(targets_dir).is_dir():
        return None
    for name in list_targets(targets_dir):
        other = load_target(name, targets_dir)
        if (other.name != target.name and other.emulator is not None and not other.emulator.twin
                and other.supports.test and other.cpu == target.cpu and other.arch_flags == target.arch_flags
                and other.toolchain == target.toolchain):
            return other
    return None


def find_run(target: Target, out_dir: Path, twin: Target | None, twin_dir: Path | None, sha256: str,
             runtime: str, kernels: str = "") -> tuple[Run | None, str]:
    """The run to take time and stack from: the target's own test.json, else the twin's when it ran
    the same model (same sha256) with the same runtime and kernels; otherwise None and why, with the fix."""
    own = read_json(Path(out_dir) / "test.json")
    if own is not None:
        emulator = target.emulator
        label = (f"{target.name}'s objects on an {target.isa} ISA twin ({emulator.qemu} -M {emulator.machine}), "
                 "not a model of the chip" if emulator is not None and emulator.twin else "")
        return Run(target.name, own, True, label), ""
    if target.emulator is not None:
        return None, f"not measured: the image was not run (add `test`, or run `scons target={target.name} ... report`)"
    if twin is None:
        return None, (f"not measured: no emulator for {target.name} and no emulated target with its core "
                      f"({target.cpu}, {' '.join(target.arch_flags)}); flash the image and read its TML-TIME line")
    fix = f"run `scons target={twin.name} model=... test` (same {target.cpu} core), or use `tinyml-build fit`"
    test = read_json(Path(twin_dir) / "test.json") if twin_dir else None
    manifest = read_json(Path(twin_dir) / "manifest.json") if twin_dir else None
    if test is None or manifest is None:
        return None, f"not measured: no emulator for {target.name}; {fix}"
    shas = {m.get("sha256") for m in manifest.get("models") or []}
    twin_kernels = ((manifest.get("settings") or {}).get("tflm") or {}).get("kernels", "")
    if sha256 not in shas or manifest.get("runtime") != runtime or (runtime == "tflm" and twin_kernels != kernels):
        return None, (f"not measured: {twin.name}'s last run was of another model, runtime or kernel library "
                      f"({manifest.get('runtime')}{', ' + twin_kernels if twin_kernels else ''}); {fix}")
    return Run(twin.name, test, False), ""


def load_inputs(target: Target, tflite: Path, model_name: str, out_dir: Path, requirements: Requirements,
                runtime: str, kernels: str, targets_dir: Path | None = None, build_root: Path | None = None,
                aot_refusal: str = "") -> ReportInputs:
    """The inputs of one target x model report from its build folder (`out_dir`)."""
    out_dir = Path(out_dir)
    model = load_model(tflite, name=model_name)
    size, overflow = read_json(out_dir / "size.json"), ""
    if size is None:
        measured = read_json(out_dir / OVERFLOW_JSON)
        if measured is not None:
            size, overflow = measured.get("size"), measured.get("error", "")
    twin = emulated_twin(target, targets_dir) if target.emulator is None else None
    twin_dir = Path(build_root) / twin.name / out_dir.name if twin is not None and build_root else None
    run, not_run = find_run(target, out_dir, twin, twin_dir, model.sha256, runtime, kernels)
    return ReportInputs(target=target, model_name=model_name, analysis=analyze(model), runtime=runtime,
                        kernels=kernels, requirements=requirements, size=size, overflow=overflow,
                        manifest=read_json(out_dir / "manifest.json"), run=run, not_run=not_run,
                        aot_refusal=aot_refusal)
