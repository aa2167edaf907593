"""The `tinyml-build fit` table: one row per board, from each board's Report.

Why from the Report: the table is a digest of the same sections report.json holds (flash, RAM,
compute, power), so a row and the board's report.html can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tinyml_build.escape import json_text, terminal
from tinyml_build.reports.fit.compute import human_time
from tinyml_build.reports.fit.memory import largest_tensors
from tinyml_build.reports.fit.report import FAIL, NA, PASS, WARN, Report

_YES_NO = {PASS: "yes", WARN: "yes", FAIL: "NO", NA: "-"}


@dataclass(frozen=True)
class FitRow:
    target: str
    flash: str  # yes / NO / -
    ram: str
    latency: str  # "26.6 us @ 72 MHz (lower bound)" or why not
    meets_latency: str  # yes / NO / - (no requirement or no figure)
    meets_power: str
    energy_uj: float | None  # per inference, None when unknown
    note: str  # "does not fit: needs N more bytes of RAM (largest tensors: ...)", a build error, or ""
    report: str = ""  # the board's report.html, relative to the project
    latency_us: float | None = None  # the latency as a number, None when unknown

    def as_dict(self) -> dict:
        return asdict(self)


def does_not_fit(size: dict | None, inputs=None) -> str:
    """'does not fit: needs N more bytes of RAM (largest tensors: ...)' from the measured regions."""
    if not size:
        return ""
    needs = []
    for name, region in size.get("regions", {}).items():
        over = region["used"] - region["size"]
        if over > 0:
            kind = "RAM" if name in _data_regions(inputs) else "flash"
            needs.append(f"{over:,} more bytes of {kind}" + ("" if name.lower() == kind.lower() else f" ({name})"))
    if not needs:
        return ""
    text = "does not fit: needs " + " and ".join(needs)
    if inputs is not None and any("RAM" in n for n in needs):
        text += f" (largest tensors: {largest_tensors(inputs)})"
    return text


def _data_regions(inputs) -> set[str]:
    if inputs is None:
        return {"ram"}
    return {r.name for r in inputs.target.memory if r.data}


def row_from_report(report: Report, note: str = "", link: str = "") -> FitRow:
    compute, power = report.section("compute"), report.section("power")
    figures = compute.figures
    latency = (f"{human_time(figures['latency (us)'])} @ {figures['clock (MHz)']:g} MHz ({figures['kind']})"
               if isinstance(figures.get("latency (us)"), float) else "not measured")
    meets_latency = _YES_NO[compute.status] if "deadline (ms)" in figures else "-"
    checked_power = power.status in (PASS, WARN, FAIL)  # WARN: a budget met on unverified currents
    energy = power.figures.get("energy per inference (uJ)")
    return FitRow(report.target, _YES_NO[report.section("flash").status], _YES_NO[report.section("ram").status],
                  latency, meets_latency, _YES_NO[power.status] if checked_power else "-",
                  energy if isinstance(energy, float) else None, note, link,
                  figures["latency (us)"] if isinstance(figures.get("latency (us)"), float) else None)


def failed_row(target: str, note: str) -> FitRow:
    return FitRow(target, "-", "-", "-", "-", "-", None, note)


def _cell(row: FitRow, key: str) -> str:
    value = getattr(row, key)
    if key == "energy_uj":
        return "-" if value is None else f"{value:g}"
    return terminal(value)


COLUMNS = (("target", "target"), ("flash", "flash"), ("ram", "RAM"), ("latency", "latency"),
           ("meets_latency", "latency ok"), ("meets_power", "power ok"), ("energy_uj", "uJ/inference"))


def render_table(rows: list[FitRow]) -> str:
    """The table, one row per board, its note (why not, or a does-not-fit line) under it."""
    cells = [[label for _, label in COLUMNS]] + [[_cell(r, key) for key, _ in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index and rows[index - 1].note:
            lines.append(f"    {terminal(rows[index - 1].note)}")
        if index and rows[index - 1].report:
            lines.append(f"    report: {terminal(rows[index - 1].report)}")
    return "\n".join(lines) + "\n"


def render_json(model: str, rows: list[FitRow]) -> str:
    return json_text({"model": model, "targets": [r.as_dict() for r in rows]}, indent=1, sort_keys=False) + "\n"
