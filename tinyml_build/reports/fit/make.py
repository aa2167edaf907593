"""Run the steps in the issue's order and write the report's files.

Why apart from __init__: the option table imports the requirements module of this package at
every build, so the package itself stays import-light.
"""

from pathlib import Path

from tinyml_build.fileio import write_atomic
from tinyml_build.reports.fit import accuracy, compute, html_page, memory, ops, power, requirements, screen, summary
from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import Report

REPORT_FILES = ("report.json", "report.html", "report.txt")


def make_report(inputs: ReportInputs) -> Report:
    sections = (requirements.section(inputs.requirements), screen.section(inputs), memory.flash_section(inputs),
                memory.ram_section(inputs), compute.section(inputs), power.section(inputs), ops.section(inputs),
                accuracy.section(inputs))
    return Report(inputs.target.name, inputs.model_name, inputs.runtime, sections, _sources(inputs))


def _sources(inputs: ReportInputs) -> dict:
    """Where each kind of figure came from, in words: the reader must know what ran where."""
    run = inputs.run
    ran = inputs.not_run if run is None else f"the run on {run.where} (verdict: {run.test.get('verdict', 'unknown')})"
    cycles = inputs.cycles
    timed = ("not estimated (no cycles.json)" if cycles is None else
             f"measured: {cycles.get('measured_source')}" if cycles.get("measured") else
             f"the cycle model ({cycles.get('core')}) over the instruction mix QEMU executed")
    built = ("the sizing link (the image does not fit)" if inputs.overflow
             else "the linked image (size.json)" if inputs.size else "not built")
    return {"flash and RAM": built, "stack, outputs, accuracy": ran, "cycles": timed,
            "model": "the .tflite (tinyml-build inspect)"}


def write_report(report: Report, out_dir) -> list[Path]:
    """report.json, report.html and report.txt (the terminal summary) in `out_dir`; their paths."""
    texts = (report.to_json(), html_page.render(report), summary.render(report))
    paths = [Path(out_dir) / name for name in REPORT_FILES]
    for path, text in zip(paths, texts):
        write_atomic(path, text)
    return paths
