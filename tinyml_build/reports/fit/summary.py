"""The report as terminal text: one line per step (status, title, reason), then its figures.

Why escaped: reasons and figures quote the model's own strings (tensor names), which must never
become terminal control sequences or lines of their own.
"""

from tinyml_build.escape import terminal
from tinyml_build.reports.fit.report import Report


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(report: Report, figures: bool = True) -> str:
    lines = [f"report: {terminal(report.model)} on {terminal(report.target)} (runtime {terminal(report.runtime)}): "
             f"{report.status}"]
    for what, where in report.sources.items():
        lines.append(f"  {terminal(what)} from {terminal(where)}")
    for s in report.sections:
        step = f"{s.step}." if isinstance(s.step, int) else "-"
        lines.append(f"{step:>3} {s.status:<4} {terminal(s.title)}: {terminal(s.reason)}")
        if figures:
            for name, value in s.figures.items():
                lines.append(f"         {terminal(name)}: {terminal(_value(value))}")
    return "\n".join(lines) + "\n"
