"""report.html in a real headless browser (Debian's chromium; setup.sh installs it, the test skips
without it): the page loads with no console message (it has no script and allows none), every chart is
an <svg> in the rendered DOM, hostile names stay text, and a screenshot renders.
"""

import re
import shutil
import subprocess

import pytest
from test_fit_report import HOSTILE, _hostile_model, inputs, size_json

from tinyml_build.reports.fit import html_page
from tinyml_build.reports.fit.make import make_report
from tinyml_build.reports.fit.requirements import Requirements

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (sudo apt-get install chromium)")


def chromium(page, *flags) -> subprocess.CompletedProcess:
    """Headless chromium on a local file; --no-sandbox as CI containers run as root."""
    return subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
                           "--v=0", *flags, page.as_uri()], capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_the_console_check_sees_a_page_that_logs(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>')
    assert any('"boom"' in line for line in console_messages(chromium(bad, "--dump-dom").stderr))


def test_report_html_renders_every_chart_without_console_errors(tmp_path):
    model = _hostile_model(tmp_path / "evil.tflite")
    report = make_report(inputs(model, "evil", size=size_json(400_000, 60_000), overflow="does not fit",
                                requirements=Requirements.combine({"rate_hz": "10", "power_mw": "1"}, None)))
    page = tmp_path / "report.html"
    page.write_text(html_page.render(report), encoding="utf-8")
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    assert len(re.findall(r"<svg\b", dom.stdout)) == html_page.chart_count(report) == 3
    assert "<script" not in dom.stdout and "onerror=" not in dom.stdout.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout  # the hostile tensor name, as text
    assert HOSTILE.split("\x1b")[0].replace("<", "&lt;").replace(">", "&gt;") in dom.stdout
    shot = tmp_path / "report.png"
    result = chromium(page, f"--screenshot={shot}", "--window-size=1100,2600", "--hide-scrollbars")
    assert result.returncode == 0 and shot.stat().st_size > 10_000, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
