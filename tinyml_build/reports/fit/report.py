"""The report's shape: one Section per step, each PASS / WARN / FAIL / NA with its figures and reason.

Why a plain data shape: report.json, report.html, the terminal summary and the `fit` table are all
views of these objects, so they cannot disagree; every step module only fills a Section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinyml_build.escape import json_text

PASS, WARN, FAIL, NA = "PASS", "WARN", "FAIL", "NA"
STATUSES = (PASS, WARN, FAIL, NA)
_SEVERITY = {NA: 0, PASS: 1, WARN: 2, FAIL: 3}


def worst(*statuses: str) -> str:
    """The most severe status (FAIL > WARN > PASS > NA)."""
    return max(statuses, key=_SEVERITY.__getitem__) if statuses else NA


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: (label, value) bars against an optional limit (a region's size)."""

    title: str
    unit: str
    bars: tuple[tuple[str, float], ...]
    limit: float | None = None

    def as_dict(self) -> dict:
        return {"title": self.title, "unit": self.unit, "bars": [[label, value] for label, value in self.bars],
                "limit": self.limit}


@dataclass(frozen=True)
class Section:
    step: int | str  # 0..6 as in the issue, "accuracy" for the accuracy section
    key: str  # requirements, screen, flash, ram, compute, power, ops, accuracy
    title: str
    status: str
    reason: str
    figures: dict = field(default_factory=dict)  # name -> number or text, in display order
    charts: tuple[Chart, ...] = ()
    rows: tuple[dict, ...] = ()  # a table (ops: one row per op)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")

    def as_dict(self) -> dict:
        data = {"step": self.step, "key": self.key, "title": self.title, "status": self.status,
                "reason": self.reason, "figures": dict(self.figures)}
        if self.charts:
            data["charts"] = [c.as_dict() for c in self.charts]
        if self.rows:
            data["rows"] = [dict(r) for r in self.rows]
        return data


@dataclass(frozen=True)
class Report:
    target: str
    model: str
    runtime: str
    sections: tuple[Section, ...]
    sources: dict = field(default_factory=dict)  # where figures came from: image, run, cycle estimate

    @property
    def status(self) -> str:
        return worst(*(s.status for s in self.sections))

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def as_dict(self) -> dict:
        return {"format": "tinyml_build report 1", "target": self.target, "model": self.model,
                "runtime": self.runtime, "status": self.status, "sources": dict(self.sources),
                "sections": [s.as_dict() for s in self.sections]}

    def to_json(self) -> str:
        """Deterministic: keys in a fixed order, no timestamps or absolute paths."""
        return json_text(self.as_dict(), indent=1, sort_keys=False) + "\n"
