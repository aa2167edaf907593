"""`scons ... report` and `tinyml-build fit` through real builds: the options of scope `report`, the
three report files, the table across boards (reusing the builds), and a model too big for a board as a
"does not fit" row instead of a linker error.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, shared_model
from tflite_builder import fully_connected_model

from tinyml_build.reports.fit.across import render_json, render_table
from tinyml_build.reports.fit.boards import fit_boards, run_scons

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                                reason="qemu-system-arm not installed (sudo apt-get install qemu-system-arm)")


def scons(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], capture_output=True, text=True, cwd=PROJECT_DIR,
                          env=dict(os.environ))


def test_requirement_options_are_checked_and_only_apply_to_report(tmp_path):
    refused = scons("target=qemu-m3", "model=hello_world", "runtime=aot", "rate_hz=10", f"build_dir={tmp_path}")
    assert refused.returncode != 0 and "rate_hz=10 has no effect on this build" in refused.stdout + refused.stderr
    bad = scons("target=qemu-m3", "model=hello_world", "runtime=aot", "latency_ms=-3", "report",
                f"build_dir={tmp_path}")
    assert bad.returncode != 0 and "latency_ms=-3 is not a positive number" in bad.stdout + bad.stderr
    host = scons("target=host", "model=hello_world", "runtime=aot", "power_mw=3", "report", f"build_dir={tmp_path}")
    assert host.returncode != 0 and "builds no firmware image to report on" in host.stdout + host.stderr
    several = scons("target=qemu-m3", "model=hello_world,kws", "runtime=aot", "report", f"build_dir={tmp_path}")
    assert several.returncode != 0 and "`report` covers one model, not 2" in several.stdout + several.stderr
    for result in (refused, bad, host, several):
        assert "Traceback" not in result.stdout + result.stderr


@needs_arm
@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
def test_report_alias_writes_json_html_and_a_summary(tmp_path):
    result = scons("target=qemu-m3", "model=hello_world", "runtime=aot", "report", "latency_ms=0.001",
                   f"build_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    out = tmp_path / "qemu-m3" / "hello_world"
    data = json.loads((out / "report.json").read_text())
    compute = next(s for s in data["sections"] if s["key"] == "compute")
    assert compute["status"] == "FAIL" and "misses the 0.001 ms deadline" in compute["reason"]
    # the cycle model, per op, from the profiling image beside the product image (no profile_ops=on)
    assert compute["figures"]["kind"] == "estimated" and "firmware-profile.elf" in compute["figures"]["method"]
    per_op = dict(compute["charts"][0]["bars"])
    assert list(per_op) == ["#0 FULLY_CONNECTED", "#1 FULLY_CONNECTED", "#2 FULLY_CONNECTED"]
    assert sum(per_op.values()) <= compute["figures"]["cycles per inference"]
    assert (out / "firmware-profile.elf").is_file()
    assert "profile_ops" not in json.loads((out / "manifest.json").read_text())["settings"]  # the product image
    ram = next(s for s in data["sections"] if s["key"] == "ram")
    stack = json.loads((out / "test.json").read_text())["models"]["hello_world"]["stack"]["used"]
    assert ram["figures"]["stack high-water"] == stack > 0 and "this model's inferences" in ram["figures"]["stack from"]
    assert re.search(r"^ 4\. FAIL Compute and real time: ", result.stdout, re.M)
    assert (out / "report.html").read_text().count("<svg") == 3  # flash, RAM, cycles per op
    assert (out / "report.txt").read_text().startswith("report: hello_world on qemu-m3 (runtime aot): FAIL")


@needs_arm
@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
def test_an_unchecked_image_is_reported_with_its_time_and_stack(tmp_path):
    """test_vectors=0 (no test vectors, verdict unchecked): `report` alone goes on to the report; `test`
    still ends with the unchecked exit status."""
    result = scons("target=qemu-m3", "model=hello_world", "runtime=aot", "test_vectors=0", "report",
                   f"build_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    data = json.loads((tmp_path / "qemu-m3" / "hello_world" / "report.json").read_text())
    sections = {s["key"]: s for s in data["sections"]}
    assert isinstance(sections["ram"]["figures"]["stack high-water"], int)
    assert sections["compute"]["figures"]["kind"] == "estimated"
    assert "(verdict: unchecked)" in data["sources"]["stack, outputs, accuracy"]
    tested = scons("target=qemu-m3", "model=hello_world", "runtime=aot", "test_vectors=0", "report", "test",
                   f"build_dir={tmp_path}")
    assert tested.returncode == 6, tested.stdout[-2000:]


class Recorder:
    """run_scons that keeps each build's output, to see what a second `fit` rebuilt."""

    def __init__(self):
        self.outputs = []

    def __call__(self, project, arguments):
        result = run_scons(project, arguments)
        self.outputs.append(result.output)
        return result


@needs_arm
@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
def test_fit_table_across_boards_reuses_the_builds(tmp_path):
    first = Recorder()
    rows = fit_boards(PROJECT_DIR, "hello_world", ["stm32f103", "qemu-m3", "host"], {"latency_ms": "1", "rate_hz": "10",
                      "power_mw": "5"}, runtime="aot", build_dir=str(tmp_path), scons=first)
    by_target = {r.target: r for r in rows}
    f103 = by_target["stm32f103"]
    assert (f103.flash, f103.ram, f103.meets_latency, f103.meets_power) == ("yes", "yes", "yes", "yes")
    assert "@ 72 MHz (estimated)" in f103.latency and f103.energy_uj > 0 and f103.latency_us > 0
    report = json.loads((tmp_path / "stm32f103" / "hello_world" / "report.json").read_text())
    assert "stm32f103's objects linked with qemu-m3's platform layer" in report["sources"]["stack, outputs, accuracy"]
    assert "the cycle model (cortex-m3)" in report["sources"]["cycles"]
    compute = next(s for s in report["sections"] if s["key"] == "compute")
    assert compute["figures"]["kind"] == "estimated" and compute["charts"][0]["title"] == "Cycles per op"
    assert by_target["qemu-m3"].meets_power == "-"  # no power data for an FPGA board model
    assert "no firmware image" in by_target["host"].note
    table = render_table(rows)
    assert table.splitlines()[0].split()[:3] == ["target", "flash", "RAM"]
    assert json.loads(render_json("hello_world", rows))["targets"][0]["target"] == "stm32f103"
    again = Recorder()
    assert fit_boards(PROJECT_DIR, "hello_world", ["stm32f103", "qemu-m3"], {"latency_ms": "1", "rate_hz": "10",
                      "power_mw": "5"}, runtime="aot", build_dir=str(tmp_path), scons=again) == rows[:2]
    assert not any(re.search(r"\] (CC|CXX|LINK) ", output) for output in again.outputs)  # nothing rebuilt


@needs_arm
@pytest.mark.slow
@pytest.mark.shared_models
def test_a_model_too_big_for_the_board_is_a_row_not_a_linker_error(tmp_path):
    person = shared_model("person_detect.tflite")
    rows = fit_boards(PROJECT_DIR, str(person), ["stm32f103"], {}, runtime="aot", build_dir=str(tmp_path))
    row = rows[0]
    assert (row.flash, row.ram) == ("NO", "NO")
    assert re.match(r"does not fit: needs [\d,]+ more bytes of flash and [\d,]+ more bytes of RAM \(largest tensors: "
                    r"MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6 36,864 B", row.note), row.note
    data = json.loads((tmp_path / "stm32f103" / "person_detect" / "report.json").read_text())
    statuses = {s["key"]: s["status"] for s in data["sections"]}
    assert statuses["screen"] == statuses["flash"] == statuses["ram"] == "FAIL"


def _report(out) -> dict:
    data = json.loads((out / "report.json").read_text())
    return {s["key"]: s for s in data["sections"]} | {"sources": data["sources"]}


@needs_arm
@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
def test_report_is_written_when_the_image_does_not_fit_and_never_mixes_builds(tmp_path):
    """`scons ... report` on an image too big for the board: the report still comes (flash and RAM FAIL
    with what takes the room, the run's steps not run), scons fails with one line naming report.html;
    the earlier good build's size.json, test.json and cycles.json in the same folder are not taken, and
    the next good build replaces the failed build's report."""
    model = tmp_path / "fc.tflite"
    args = ("target=stm32f103", f"model={model}", "runtime=aot", "report", "latency_ms=5", f"build_dir={tmp_path}")
    out = tmp_path / "stm32f103" / "fc"
    model.write_bytes(fully_connected_model(units=4, features=8))
    good = scons(*args)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr
    first = _report(out)
    assert first["flash"]["status"] == first["ram"]["status"] == first["compute"]["status"] == "PASS"
    # 6 x 50,000 int8 weights for the 256 KB flash, a 50,000 B input for the 48 KB RAM
    model.write_bytes(fully_connected_model(units=6, features=50_000))
    big = scons(*args)
    output = big.stdout + big.stderr
    assert big.returncode == 2 and "Traceback" not in output
    assert output.rstrip().splitlines()[-1] == (
        "scons: *** the image does not fit stm32f103: the report says by how much and what takes the room "
        f"(steps 4, 5 and accuracy not run): {out / 'report.html'}")
    assert re.search(r"^ 2\. FAIL Flash: does not fit: flash needs [\d,]+ B of 262,144 \([\d,]+ over; largest "
                     r"components: test data [\d,]+ B, model data 300,\d+ B", output, re.M), output[-3000:]
    stale = [out / "size.json", out / "cycles.json", *out.glob("*/test.json")]  # the good build's, not taken
    assert len(stale) == 3 and all(path.is_file() for path in stale)
    sections = _report(out)
    assert sections["ram"]["status"] == "FAIL" and "largest tensors: input 50,000 B" in sections["ram"]["reason"]
    assert sections["ram"]["figures"]["stack high-water"] == "not measured"
    for key in ("compute", "accuracy"):
        assert sections[key]["status"] == "NA" and sections[key]["reason"].startswith(
            "not run: the image does not fit stm32f103"), sections[key]
    assert "not run" in sections["power"]["reason"]
    assert sections["sources"]["flash and RAM"] == "the sizing link (the image does not fit)"
    assert (out / "report.txt").read_text().startswith("report: fc on stm32f103 (runtime aot): FAIL")
    model.write_bytes(fully_connected_model(units=4, features=8))  # the first build's inputs again
    again = scons(*args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert _report(out) == first


def test_fit_command_line_prints_json_and_refuses_bad_requirements(capsys):
    from tinyml_build.cli import main

    assert main(["fit", "hello_world", "--targets", "host", "--json", "--project", str(PROJECT_DIR)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["targets"][0]["target"] == "host" and "no firmware image" in data["targets"][0]["note"]
    assert main(["fit", "hello_world", "--targets", "host", "--rate_hz", "-1", "--project", str(PROJECT_DIR)]) == 2
    assert "rate_hz=-1 is not a positive number" in capsys.readouterr().err
    assert main(["fit", "hello_world", "--targets", " ", "--project", str(PROJECT_DIR)]) == 2
