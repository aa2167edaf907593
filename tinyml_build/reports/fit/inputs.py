"""What a report is made from: the target, the model's analysis, the linked image's size facts, the
build's manifest, that run's test.json where the model ran in an emulator (or on a stand-in of a
board without one) and the cycle estimate (cycles.json).

Why gathered here: every step reads the same facts, and each fact may be missing for an honest
reason (no emulator for the target, a parallel feature not in this build, an image that does not fit);
the steps then say "not measured" with that reason instead of guessing. Files are read as OPTIONAL
JSON fields: test.json's `stack` and `accuracy` are used when the run reports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.analysis.analyze import Analysis, analyze
from tinyml_build.config.targets import Target
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.reports.fit.requirements import Requirements
from tinyml_build.reports.size import OVERFLOW_JSON


@dataclass(frozen=True)
class Run:
    """A run of the model in an emulator: its test.json, and on which target it ran."""

    target: str
    test: dict
    same_image: bool  # False: a stand-in (verification/image_profile.stand_in_for) ran the image's objects
    label: str = ""  # what ran, in words, when more than the target's name (an ISA twin, a stand-in)

    @property
    def where(self) -> str:
        return self.label or self.target

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
    cycles: dict | None = None  # the model's entry of cycles.json (CycleEstimate.as_dict()), when estimated
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


def find_run(target: Target, out_dir: Path) -> tuple[Run | None, str]:
    """The run to take time, stack and outputs from: the image's own test.json, else its stand-in's
    (the image's objects linked for the emulated target with the same arch flags); otherwise None and
    why, with the fix."""
    from tinyml_build.verification.image_profile import STAND_IN_DIR

    own = read_json(Path(out_dir) / "test.json")
    emulator = target.emulator
    if own is not None:
        label = (f"{target.name}'s objects on an {target.isa} ISA twin ({emulator.qemu} -M {emulator.machine}), "
                 "not a model of the chip" if emulator is not None and emulator.twin else "")
        return Run(target.name, own, True, label), ""
    stand_in = read_json(Path(out_dir) / STAND_IN_DIR / "test.json")
    if emulator is None and stand_in is not None:
        ran_on = str(stand_in.get("target", "its stand-in"))
        return Run(ran_on, stand_in, False, f"{target.name}'s objects linked with {ran_on}'s platform layer "
                                            "(a stand-in with the same arch flags)"), ""
    return None, f"not measured: the image was not run (run `scons target={target.name} model=... report`)"


def model_cycles(out_dir: Path, model_name: str) -> dict | None:
    """The model's cycle estimate from cycles.json (the `cycles` builder), when the build made one."""
    entry = (read_json(Path(out_dir) / "cycles.json") or {}).get(model_name)
    return entry if isinstance(entry, dict) else None


def overflowed_since(out_dir: Path, started: float) -> bool:
    """Whether this build's link or budget gate found that the image does not fit: it left its
    measurement (reports/size.py OVERFLOW_JSON) after `started` (time.time() before the build)."""
    path = Path(out_dir) / OVERFLOW_JSON
    return path.is_file() and path.stat().st_mtime >= started - 1  # file systems keep whole seconds


def load_inputs(target: Target, tflite: Path, model_name: str, out_dir: Path, requirements: Requirements,
                runtime: str, kernels: str, aot_refusal: str = "", does_not_fit: bool = False) -> ReportInputs:
    """The inputs of one target x model report from its build folder (`out_dir`).

    `does_not_fit`: this build stopped at the budget gate, so only its measurement (OVERFLOW_JSON) is
    taken; size.json, manifest.json, test.json and cycles.json in the folder are an earlier image's."""
    out_dir = Path(out_dir)
    model = load_model(tflite, name=model_name)
    if does_not_fit:
        measured = read_json(out_dir / OVERFLOW_JSON) or {}
        return ReportInputs(target=target, model_name=model_name, analysis=analyze(model), runtime=runtime,
                            kernels=kernels, requirements=requirements, size=measured.get("size"),
                            overflow=measured.get("error") or "the image does not fit", not_run=(
                                f"not run: the image does not fit {target.name} (steps 2 and 3), so it was neither "
                                "run nor profiled"), aot_refusal=aot_refusal)
    run, not_run = find_run(target, out_dir)
    return ReportInputs(target=target, model_name=model_name, analysis=analyze(model), runtime=runtime,
                        kernels=kernels, requirements=requirements, size=read_json(out_dir / "size.json"),
                        manifest=read_json(out_dir / "manifest.json"), run=run, not_run=not_run,
                        cycles=model_cycles(out_dir, model_name), aot_refusal=aot_refusal)
