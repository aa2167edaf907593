"""The report as one self-contained HTML page: inline CSS, inline SVG bar charts, no script, no
network.

Why escaped at every insertion: tensor names, op names and the model's name come from an untrusted
.tflite; each reaches the page only through tinyml_build.escape.html, so a hostile name is text.
"""

from __future__ import annotations

from tinyml_build.escape import html_text as html
from tinyml_build.reports.fit.report import Chart, Report, Section

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
.status{display:inline-block;min-width:3.5em;text-align:center;border-radius:3px;color:#fff;padding:0 .3em}
.PASS{background:#2a7d2a}.WARN{background:#b8860b}.FAIL{background:#b22222}.NA{background:#777}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.15em .5em;text-align:left}
td.num{text-align:right}svg{display:block;margin:.5em 0}.reason{margin:.3em 0}
"""

BAR_HEIGHT, LABEL_WIDTH, PLOT_WIDTH = 18, 220, 420


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def chart_svg(chart: Chart, index: int) -> str:
    """A horizontal bar chart; the limit (a region's size), when given, sets the scale and is drawn."""
    bars = [(label, float(value)) for label, value in chart.bars]
    top = max([v for _, v in bars] + [float(chart.limit or 0), 1.0])
    height = BAR_HEIGHT * (len(bars) + 1) + 24
    width = LABEL_WIDTH + PLOT_WIDTH + 120
    parts = [f'<svg class="chart" id="chart-{index}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" role="img" aria-label="{html(chart.title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="bold">{html(chart.title)}</text>']
    for row, (label, value) in enumerate(bars):
        y = 24 + row * BAR_HEIGHT
        w = PLOT_WIDTH * value / top
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" font-size="12" text-anchor="end">{html(label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{w:.1f}" height="{BAR_HEIGHT - 4}" fill="#4a7ab5"/>')
        parts.append(f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{y + 13}" font-size="11">'
                     f'{html(_number(int(value) if value.is_integer() else value))} {html(chart.unit)}</text>')
    if chart.limit:
        x = LABEL_WIDTH + PLOT_WIDTH * float(chart.limit) / top
        parts.append(f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 4}" stroke="#b22222" '
                     f'stroke-dasharray="4 2"/><text x="{x - 4:.1f}" y="{height - 6}" font-size="11" '
                     f'text-anchor="end" fill="#b22222">limit {html(_number(int(chart.limit)))} '
                     f'{html(chart.unit)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _section(section: Section, first_chart: int) -> tuple[str, int]:
    step = f"{section.step}. " if isinstance(section.step, int) else ""
    out = [f'<section id="{html(section.key)}"><h2><span class="status {section.status}">{section.status}</span> '
           f'{html(step)}{html(section.title)}</h2>', f'<p class="reason">{html(section.reason)}</p>']
    if section.figures:
        out.append("<table>")
        for name, value in section.figures.items():
            cls = ' class="num"' if isinstance(value, (int, float)) else ""
            out.append(f"<tr><th>{html(name)}</th><td{cls}>{html(_number(value))}</td></tr>")
        out.append("</table>")
    for chart in section.charts:
        out.append(chart_svg(chart, first_chart))
        first_chart += 1
    if section.rows:
        columns = list(section.rows[0])
        out.append("<table><tr>" + "".join(f"<th>{html(c)}</th>" for c in columns) + "</tr>")
        for row in section.rows:
            out.append("<tr>" + "".join(f"<td>{html(_number(row.get(c, '')))}</td>" for c in columns) + "</tr>")
        out.append("</table>")
    out.append("</section>")
    return "\n".join(out), first_chart


def render(report: Report) -> str:
    title = f"{report.model} on {report.target}"
    body = [f"<h1>{html(title)}: <span class=\"status {report.status}\">{report.status}</span></h1>",
            f"<p>runtime {html(report.runtime)}</p><table>"]
    body += [f"<tr><th>{html(what)}</th><td>{html(where)}</td></tr>" for what, where in report.sources.items()]
    body.append("</table>")
    index = 0
    for section in report.sections:
        text, index = _section(section, index)
        body.append(text)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{html(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")


def chart_count(report: Report) -> int:
    """How many <svg> charts render() draws: what a browser test expects to find."""
    return sum(len(s.charts) for s in report.sections)
