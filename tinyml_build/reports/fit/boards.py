"""`tinyml-build fit MODEL --targets ...`: build (and where possible run) one model for several boards
and digest each board's report into a row.

Why through scons: each board's image, test run and report are the ordinary build's outputs in the
ordinary build folder, so a second `fit` (or a later `scons ... report`) reuses them and the object
cache; nothing here builds anything itself. An image that does not fit stops scons at its budget gate,
which writes the report from the gate's measurement (site_tools/report.py); its row is made from the
same inputs here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config import build_config, targets
from tinyml_build.errors import TinyMLError
from tinyml_build.reports.fit.across import FitRow, does_not_fit, failed_row, row_from_report
from tinyml_build.reports.fit.inputs import load_inputs, model_yaml_requirements, overflowed_since
from tinyml_build.reports.fit.make import make_report
from tinyml_build.reports.fit.requirements import REQUIREMENTS, Requirements
from tinyml_build.resources import search_dirs


@dataclass(frozen=True)
class SconsResult:
    status: int
    output: str


def run_scons(project_dir: Path, arguments: list[str]) -> SconsResult:
    """scons with the package's build description in `project_dir`, output captured."""
    from tinyml_build.resources import scons_dir

    folder = scons_dir()
    command = [sys.executable, "-m", "SCons", "-Q", "-f", str(folder / "SConstruct"), f"--site-dir={folder}",
               *arguments]
    done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True)
    return SconsResult(done.returncode, done.stdout + done.stderr)


def target_names(project_dir: Path, given: str) -> list[str]:
    """`all` (every target file of the project and the package, sorted) or a comma-separated list."""
    if given.strip() == "all":
        return sorted({name for folder in search_dirs(project_dir, "targets") for name in targets.list_targets(folder)})
    names = [n.strip() for n in given.split(",") if n.strip()]
    if not names:
        raise TinyMLError("no targets given", where="--targets", fix="e.g. --targets stm32f103,stm32f407 or all")
    return names


def _error_line(output: str) -> str:
    """The build's own message: its first `scons: ***` line, else its last line."""
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("scons: *** ") for line in lines if line.startswith("scons: ***")]
    return (errors or lines or ["no output"])[0]


def fit_boards(project_dir: Path, model: str, names: list[str], requirements: dict[str, str], runtime: str = "auto",
               build_dir: str = "build", scons: Callable[[Path, list[str]], SconsResult] = run_scons,
               progress: Callable[[str], None] | None = None) -> list[FitRow]:
    """One FitRow per target name, in the order given."""
    project_dir = Path(project_dir)
    if Path(model).suffix == ".tflite" and Path(model).is_file():
        model = str(Path(model).resolve())
    wanted = Requirements.combine({k: v for k, v in requirements.items() if v}, None)  # checked before building
    options = [f"{k}={v:g}" for k, v in wanted.given().items() if k in REQUIREMENTS]
    common = [f"model={model}", f"runtime={runtime}", f"build_dir={build_dir}"]
    rows = []
    for name in names:
        if progress:
            progress(name)
        try:
            config = build_config.resolve(project_dir, name, model, runtime, "", build_dir)
        except TinyMLError as err:
            rows.append(failed_row(name, f"cannot build: {err.what}"))
            continue
        board = config.target
        if len(config.models) != 1:
            raise TinyMLError("`fit` takes one model", where="MODEL", fix="give one model name or .tflite path")
        if not board.supports.image:
            rows.append(failed_row(name, f"no firmware image for this target ({board.image_support_reason})"))
            continue
        started = time.time()
        result = scons(project_dir, [f"target={name}", *common, *options, "report"])
        stopped_at_gate = result.status != 0 and overflowed_since(config.out_dir, started)
        if result.status != 0 and not stopped_at_gate:
            rows.append(failed_row(name, f"build failed: {_error_line(result.output)}"))
            continue
        model_entry = config.models[0]
        refusal = model_entry.facts.aot_refusal
        inputs = load_inputs(board, model_entry.tflite, model_entry.name, config.out_dir,
                             Requirements.combine(requirements, model_yaml_requirements(model_entry.tflite)),
                             config.runtime, config.kernels, aot_refusal=refusal[0] if refusal else "",
                             does_not_fit=stopped_at_gate)
        report = make_report(inputs)  # the same report scons wrote (at its exit when the image does not fit)
        note = does_not_fit(inputs.size, inputs) if inputs.overflow else ""
        rows.append(row_from_report(report, note, _relative(config.out_dir / "report.html", project_dir)))
    return rows


def _relative(path: Path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
