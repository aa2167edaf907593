"""The report's sections (issue 11): each step fails for its own reason, the files are deterministic,
and the model's strings are escaped in HTML, JSON and the terminal.

Sections are made from synthetic build facts (size.json, test.json shapes) around real models, so each
verdict is checked without building; test_fit_boards.py checks the same code through real builds.
"""

import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_DIR, shared_model
from tflite_builder import ModelBuilder

from tinyml_build.analysis.analyze import analyze
from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.model.schema import fb
from tinyml_build.reports.fit import across, html_page, summary
from tinyml_build.reports.fit.inputs import ReportInputs, Run, find_run, load_inputs, overflowed_since
from tinyml_build.reports.fit.make import make_report, write_report
from tinyml_build.reports.fit.power import average_current_ma
from tinyml_build.reports.fit.report import FAIL, NA, PASS, WARN
from tinyml_build.reports.fit.requirements import Requirements
from tinyml_build.reports.size import OVERFLOW_JSON

HELLO = PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite"
HOSTILE = "<script>alert(1)</script>\x1b[2J\nline"


def size_json(flash_used: int, ram_used: int, flash: int = 0x40000, ram: int = 0xC000, arena: int = 32) -> dict:
    """A size.json of the stm32f103's two regions."""
    flash_parts = {"model data": flash_used // 2, "runtime": flash_used // 4, "application": flash_used // 8,
                   "test data": flash_used - flash_used // 2 - flash_used // 4 - flash_used // 8}
    ram_parts = {"arena": arena, "stack": 4096, "heap": 4096, "platform": ram_used - arena - 8192}
    region = {"origin": "0x0", "free": 0}
    return {"target": "stm32f103", "flash": {"total": flash_used, "by_component": flash_parts},
            "ram": {"total": ram_used, "by_component": ram_parts}, "arena": {"region": "ram", "bytes": arena},
            "stack": 4096, "heap": 4096,
            "regions": {"flash": {**region, "size": flash, "used": flash_used, "by_component": flash_parts},
                        "ram": {**region, "size": ram, "used": ram_used, "by_component": ram_parts}}}


def qemu_run(name: str, instructions: int, stack_used: int | None = None) -> Run:
    test = {"models": {name: {"time": {"unit": "qemu_instructions", "per_inference": str(instructions)},
                              "facts": {"arena_used": "32", "arena_reserved": "32"}}}}
    if stack_used is not None:
        test["stack"] = {"used": stack_used, "size": 4096}
    return Run("qemu-m3", test, same_image=False)


def inputs(tflite: Path = HELLO, name: str = "hello_world", target: str = "stm32f103", **changes) -> ReportInputs:
    base = ReportInputs(target=load_target(target), model_name=name, analysis=analyze(load_model(tflite, name=name)),
                        runtime="aot", kernels="reference", requirements=Requirements(),
                        size=size_json(9078, 9268), manifest={"toolchain": "arm-none-eabi-gcc"},
                        run=qemu_run(name, 1915))
    return replace(base, **changes)


def statuses(report) -> dict:
    return {s.key: s.status for s in report.sections}


def test_a_model_that_fits_passes_every_step_it_can_check():
    report = make_report(inputs(requirements=Requirements.combine({"rate_hz": "10", "latency_ms": "1",
                                                                   "power_mw": "5"}, None)))
    # power: the stm32f103's currents were read in a stored copy of DS5792, so a met budget is a PASS
    assert statuses(report) == {"requirements": PASS, "screen": PASS, "flash": PASS, "ram": PASS, "compute": PASS,
                                "power": PASS, "ops": PASS, "accuracy": NA}
    compute = report.section("compute")
    assert compute.figures["latency (us)"] == pytest.approx(1915 / 72, abs=0.1)  # 1,915 instructions at 72 MHz
    assert "lower bound" in compute.reason and "qemu-m3" in compute.figures["method"]


def test_without_requirements_the_checks_say_so():
    report = make_report(inputs())
    assert report.section("requirements").status == NA
    assert "none given" in report.section("requirements").reason
    assert report.section("compute").status == NA and "no latency_ms=" in report.section("compute").reason
    assert report.section("power").status == NA and "no power_mw=" in report.section("power").reason


@pytest.mark.shared_models
def test_a_model_too_big_for_stm32f103_fails_screen_flash_and_ram():
    person = shared_model("person_detect.tflite")
    overflow = size_json(286_026, 64_532, arena=55_296)
    report = make_report(inputs(person, "person_detect", size=overflow, overflow="the image does not fit", run=None,
                                not_run="not measured: no emulator"))
    assert statuses(report)["screen"] == FAIL  # the model alone (300 KB) is larger than the 256 KB flash
    assert statuses(report)["flash"] == FAIL and "23,882 over" in report.section("flash").reason
    assert statuses(report)["ram"] == FAIL and "largest tensors:" in report.section("ram").reason
    row_note = across.does_not_fit(overflow, inputs(person, "person_detect", size=overflow))
    assert row_note.startswith("does not fit: needs 23,882 more bytes of flash and 15,380 more bytes of RAM")
    assert "Conv2d_1_pointwise" in row_note  # the largest activation tensor is named


def test_a_missed_latency_limit_fails_compute():
    report = make_report(inputs(requirements=Requirements.combine({"latency_ms": "0.01"}, None)))
    compute = report.section("compute")
    assert compute.status == FAIL and "misses the 0.01 ms deadline" in compute.reason


def test_measured_cycles_replace_the_lower_bound():
    run = Run("stm32f103", {"models": {"hello_world": {"time": {"unit": "cycles", "per_inference": "15840"}}}}, True)
    compute = make_report(inputs(run=run, requirements=Requirements.combine({"latency_ms": "1"}, None))).section(
        "compute")
    assert compute.figures["kind"] == "measured" and compute.figures["latency (us)"] == 220.0
    assert compute.status == PASS and "DWT" in compute.figures["method"]


def cycles_entry(cycles: int = 4318, measured: bool = False) -> dict:
    """A cycles.json entry (CycleEstimate.as_dict()) of hello_world on stm32f103, per op."""
    return {"core": "cortex-m3", "cycles": 15840 if measured else cycles, "estimated_cycles": cycles,
            "instructions": 1925, "clock_hz": 72_000_000, "latency_us": round(cycles / 72, 1), "measured": measured,
            "measured_source": "board.log" if measured else None, "method": "Estimate, not a measurement: ...",
            "per_class": {"alu": 698}, "notes": ["profiled firmware-profile.elf"],
            "per_op": [{"op": "#0 FULLY_CONNECTED", "instructions": 377, "cycles": 861},
                       {"op": "#1 FULLY_CONNECTED", "instructions": 1367, "cycles": 2999},
                       {"op": "#2 FULLY_CONNECTED", "instructions": 173, "cycles": 432}]}


def test_the_compute_step_takes_the_cycle_model_with_its_per_op_cycles():
    report = make_report(inputs(cycles=cycles_entry(), requirements=Requirements.combine({"latency_ms": "1"}, None)))
    compute = report.section("compute")
    assert compute.figures["kind"] == "estimated" and compute.figures["cycles per inference"] == 4318
    assert compute.figures["latency (us)"] == pytest.approx(4318 / 72, abs=0.1)  # not the 1,915-instruction bound
    assert "profiled firmware-profile.elf" in compute.figures["method"]
    chart = compute.charts[0]
    assert chart.title == "Cycles per op" and dict(chart.bars)["#1 FULLY_CONNECTED"] == 2999
    assert compute.status == PASS and "(estimated)" in compute.reason
    assert "the cycle model (cortex-m3)" in report.sources["cycles"]
    assert report.section("power").figures["energy per inference (uJ)"] == pytest.approx(3.3 * 30.5 * 4318 / 72e3,
                                                                                          rel=1e-3)


def test_cycles_measured_on_the_board_win_over_the_model():
    compute = make_report(inputs(cycles=cycles_entry(measured=True))).section("compute")
    assert compute.figures["kind"] == "measured" and compute.figures["latency (us)"] == 220.0
    assert "board.log" in compute.figures["method"] and "4,318" in compute.figures["method"]


def test_a_run_without_a_time_is_not_measured_and_says_why():
    crashed = Run("qemu-m3", {"verdict": "crash", "models": {}}, same_image=False)
    compute = make_report(inputs(run=crashed)).section("compute")
    assert compute.status == NA and "reported no time per inference (verdict: crash)" in compute.reason


def test_a_rate_faster_than_an_inference_fails_compute():
    report = make_report(inputs(requirements=Requirements.combine({"rate_hz": "100000"}, None)))
    assert report.section("compute").status == FAIL


def test_a_lower_bound_close_to_the_limit_is_a_warning():
    report = make_report(inputs(requirements=Requirements.combine({"latency_ms": "0.04"}, None)))  # 26.6 us
    assert report.section("compute").status == WARN


def test_a_missed_power_budget_fails_power():
    report = make_report(inputs(requirements=Requirements.combine({"power_mw": "0.001", "rate_hz": "1"}, None)))
    power = report.section("power")
    assert power.status == FAIL and "over the 0.001 mW budget" in power.reason
    board = load_target("stm32f103").power
    t_ms = 1915 / 72e6 * 1e3
    expected = board.sleep_ma + (board.run_ma - board.sleep_ma) * t_ms / 1000.0
    assert power.figures["average current (mA)"] == pytest.approx(expected, abs=1e-4)
    assert power.figures["energy per inference (uJ)"] == pytest.approx(board.voltage_v * board.run_ma * t_ms,
                                                                       abs=1e-3)


def test_a_short_battery_life_fails_power():
    report = make_report(inputs(requirements=Requirements.combine(
        {"rate_hz": "1000", "battery_mah": "100", "life_days": "365"}, None)))
    assert report.section("power").status == FAIL and "short of 365 days" in report.section("power").reason


def test_average_current_follows_the_guide_formula():
    assert average_current_ma(10.0, 0.0, 1.0, 10.0) == pytest.approx(1.0)
    assert average_current_ma(10.0, 1.0, 5.0, 10.0) == pytest.approx(5.5)
    assert average_current_ma(10.0, 1.0, 20.0, 10.0) == 10.0  # slower than the period: never sleeps
    assert average_current_ma(10.0, 1.0, 2.0, None) == 10.0  # back to back


def test_a_target_without_power_data_says_so():
    report = make_report(inputs(target="qemu-m3", requirements=Requirements.combine({"power_mw": "1"}, None)))
    assert report.section("power").status == NA and "no power data for qemu-m3" in report.section("power").reason
    assert "FPGA prototyping board" in report.section("power").reason  # the target file's no_power_data


def _with_unverified_currents(target):
    """The target with both its currents marked as not read in any copy of the datasheet."""
    power = target.power
    return replace(target, power=replace(
        power, run=replace(power.run, verified=False, read_in=None, note="written from memory"),
        sleep=replace(power.sleep, verified=False, read_in=None, note="written from memory")))


def test_the_power_step_cites_each_current_and_passes_only_on_verified_ones():
    budget = Requirements.combine({"power_mw": "5", "rate_hz": "10"}, None)
    unverified_f103 = _with_unverified_currents(load_target("stm32f103"))
    unverified = make_report(replace(inputs(requirements=budget), target=unverified_f103)).section("power")
    assert unverified.status == WARN and "within the 5 mW budget" in unverified.reason
    assert "run current and sleep current of the target file are UNVERIFIED" in unverified.reason
    assert unverified.figures["verified"].startswith("no: run current and sleep current")
    assert unverified.figures["run current from"].startswith("DS5792")
    assert "[UNVERIFIED; written from memory" in unverified.figures["run current from"]
    assert "Stop mode" in unverified.figures["sleep current from"]

    verified = make_report(inputs(requirements=budget)).section("power")  # the shipped file: read in DS5792
    assert verified.status == PASS and "UNVERIFIED" not in verified.reason
    assert verified.figures["verified"].startswith("yes")
    assert "[verified, read in a text conversion of st.com's stm32f103ze.pdf" in verified.figures["run current from"]
    assert verified.figures["average power (mW)"] == unverified.figures["average power (mW)"]

    missed = Requirements.combine({"power_mw": "0.001", "rate_hz": "10"}, None)
    assert make_report(replace(inputs(requirements=missed), target=unverified_f103)).section("power").status == FAIL
    row = across.row_from_report(make_report(replace(inputs(requirements=budget), target=unverified_f103)))
    assert row.meets_power == "yes"  # the fit table checks the budget; report.json says how far to trust it


def test_the_esp32_currents_cite_the_copies_they_were_read_in():
    power = load_target("esp32").power
    assert (power.run_ma, power.sleep_ma, power.unverified) == (68.0, 0.8, ())
    assert power.run.value == "upper end of a range" and "30 mA ~ 68 mA" in power.run.conditions
    assert power.run.read_in.endswith("esp32-d0wd-v3/data-sheet-english/page-30.html")
    assert "Light-sleep" in power.sleep.conditions and power.sleep.read_in


@pytest.mark.parametrize("name, run_ma, sleep_ma, table", [
    ("stm32f103", 30.5, 0.035, "Table 18"), ("stm32f407", 40.0, 0.45, "Table 20"),
    ("stm32u585", 13.5, 0.1, "Table 38"), ("esp32s3", 65.9, 0.24, "Table 5-9"), ("esp32c3", 28.0, 0.13, "Table 6-6"),
    ("stm32h743", 110.0, 1.27, "Table 130")])
def test_the_datasheet_currents_are_verified_and_cite_their_tables(name, run_ma, sleep_ma, table):
    power = load_target(name).power
    assert (power.run_ma, power.sleep_ma, power.unverified) == (run_ma, sleep_ma, ())
    assert power.run.table.startswith(table) and power.run.read_in and power.sleep.read_in


def test_a_stack_near_its_reservation_warns_and_an_absent_figure_is_not_measured():
    report = make_report(inputs(run=qemu_run("hello_world", 1915, stack_used=4000)))
    assert report.section("ram").status == WARN and "4,000" in report.section("ram").reason
    ram = make_report(inputs()).section("ram")
    assert ram.figures["stack high-water"] == "not measured"
    assert "reports no stack high-water mark" in ram.figures["stack from"]


def test_the_ram_step_shows_the_models_own_stack_mark_and_an_unchecked_run_still_counts():
    run = qemu_run("hello_world", 1915, stack_used=3000)  # the whole program's deepest: set-up included
    run.test["models"]["hello_world"]["stack"] = {"used": 404, "size": 16384}
    ram = make_report(inputs(run=run)).section("ram")
    assert ram.figures["stack high-water"] == 404 and "this model's inferences" in ram.figures["stack from"]
    assert ram.status == PASS
    run.test["models"]["hello_world"].pop("stack")
    assert make_report(inputs(run=run)).section("ram").figures["stack high-water"] == 3000  # the fallback
    unchecked = Run("qemu-m3", {"verdict": "unchecked", "stack": {"used": 420, "size": 16384}, "models": {
        "hello_world": {"checked": False, "vectors": 1, "stack": {"used": 404, "size": 16384},
                        "time": {"unit": "qemu_instructions", "per_inference": "1915"}}}}, same_image=True)
    report = make_report(inputs(run=unchecked))  # test_vectors=0: no verdict on the outputs, time and stack still
    assert report.section("ram").figures["stack high-water"] == 404
    assert report.section("compute").figures["cycles per inference"] == 1915


def test_accuracy_comes_from_the_run_when_the_firmware_reports_it():
    run = qemu_run("hello_world", 1915)
    run.test["accuracy"] = {"hello_world": {  # the fields verification/float_reference.py writes
        "mae": 0.01, "rmse": 0.02, "max_abs_error": 0.05, "cosine_similarity": 0.999, "relative_l2": 0.03,
        "reference": "hello_world_float.tflite", "interpreter": "tflite-micro", "inputs": "angles.npy",
        "samples": 8, "available": 8}}
    section = make_report(inputs(run=run)).section("accuracy")
    assert section.status == PASS and section.figures["cosine_similarity"] == 0.999
    assert section.figures["max_abs_error"] == 0.05 and section.figures["inputs"] == "angles.npy"
    run.test["accuracy"]["hello_world"]["cosine_similarity"] = 0.5
    assert make_report(inputs(run=run)).section("accuracy").status == WARN
    run.test["accuracy"]["hello_world"] = {"reference": "hello_world_float.tflite", "error": "vector 2 not reported"}
    failed = make_report(inputs(run=run)).section("accuracy")
    assert failed.status == NA and "vector 2 not reported" in failed.reason


def test_a_runtime_lacking_an_op_fails_the_op_step():
    section = make_report(inputs(aot_refusal="aot has no kernel for FOO")).section("ops")
    assert section.status == FAIL and "only tflm builds this model" in section.reason
    ok = make_report(inputs(runtime="tflm")).section("ops")
    assert ok.status == PASS and ok.rows[0]["tflm kernel"] == "reference"


def test_report_json_is_deterministic_and_holds_no_absolute_path(tmp_path):
    first = make_report(inputs(requirements=Requirements.combine({"rate_hz": "10"}, None))).to_json()
    second = make_report(inputs(requirements=Requirements.combine({"rate_hz": "10"}, None))).to_json()
    assert first == second
    assert str(PROJECT_DIR) not in first and str(Path.home()) not in first
    data = json.loads(first)
    assert [s["key"] for s in data["sections"]] == ["requirements", "screen", "flash", "ram", "compute", "power", "ops",
                                                    "accuracy"]
    paths = write_report(make_report(inputs()), tmp_path)
    assert [p.name for p in paths] == ["report.json", "report.html", "report.txt"]


def _hostile_model(path: Path) -> Path:
    """A FULLY_CONNECTED model whose tensor names and a custom op's name are markup and escapes."""
    b = ModelBuilder(description=HOSTILE)
    x = b.tensor(HOSTILE + "in", "int8", [1, 8], scale=0.05, zero_point=0)
    w = b.tensor("w", "int8", [4, 8], data=np.ones((4, 8), np.int8), scale=0.02, zero_point=0)
    y = b.tensor(HOSTILE + "out", "int8", [1, 4], scale=0.1, zero_point=0)
    z = b.tensor("<img src=x onerror=alert(2)>", "int8", [1, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, -1], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="<b onmouseover=alert(3)>"), [y], [z])
    b.inputs, b.outputs = [x], [z]
    path.write_bytes(b.build())
    return path


def test_hostile_names_are_escaped_in_html_json_and_the_terminal(tmp_path):
    model = _hostile_model(tmp_path / "evil.tflite")
    size = size_json(400_000, 60_000)
    report = make_report(inputs(model, "evil", size=size, overflow="does not fit"))
    assert HOSTILE in report.section("ram").reason  # the largest tensors are named, raw, in the data
    page = html_page.render(report)
    for raw in ("<script>", "<img", "<b onmouseover", "\x1b"):
        assert raw not in page
    assert "&lt;b onmouseover=alert(3)&gt;" in page  # the custom op's name, shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the tensor name in the RAM step's reason
    assert "<script" not in page.lower() and "onerror=alert(2)>" not in page
    text = summary.render(report)
    assert "\x1b" not in text
    document = report.to_json()
    assert "\x1b" not in document and "\n<script" not in document
    assert json.loads(document)["sections"][6]["rows"][0]["op"] in ("<b onmouseover=alert(3)>", "FULLY_CONNECTED")
    note = across.does_not_fit(size, inputs(model, "evil", size=size))
    assert HOSTILE in note
    row = across.row_from_report(report, note)
    table = across.render_table([row])
    assert "\x1b" not in table and "<script>alert(1)</script>\\x1b" in table  # one line, escape shown
    assert "\x1b" not in across.render_json("evil", [row])


def test_every_chart_is_an_svg_in_the_page():
    report = make_report(inputs())
    page = html_page.render(report)
    assert page.count("<svg") == html_page.chart_count(report) == 3  # flash, RAM, per-op
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_requirements_are_checked_and_options_win_over_model_yaml():
    req = Requirements.combine({"latency_ms": "5"}, {"latency_ms": 50, "rate_hz": 2})
    assert req.latency_ms == 5 and req.rate_hz == 2
    assert req.sources == {"latency_ms": "option", "rate_hz": "model.yaml"}
    assert req.deadline_ms == 5
    for bad in ("0", "-1", "nan", "inf", "fast"):
        with pytest.raises(TinyMLError, match="not a positive number"):
            Requirements.combine({"rate_hz": bad}, None)
    assert math.isclose(Requirements.combine({"rate_hz": "4"}, None).period_ms, 250.0)


def test_a_board_without_an_emulator_takes_its_run_from_its_stand_in(tmp_path):
    board = load_target("stm32f103")
    run, why = find_run(board, tmp_path)
    assert run is None and "was not run" in why and "report" in why
    (tmp_path / "stand-in").mkdir()
    (tmp_path / "stand-in" / "test.json").write_text(json.dumps({"target": "qemu-m3", "verdict": "pass"}))
    run, _ = find_run(board, tmp_path)
    assert run.target == "qemu-m3" and not run.same_image
    assert run.where == "stm32f103's objects linked with qemu-m3's platform layer (a stand-in with the same arch flags)"
    assert find_run(load_target("qemu-m3"), tmp_path)[0] is None  # an emulated target's own run only


def test_an_image_that_does_not_fit_is_reported_from_the_gates_measurement_alone(tmp_path):
    """The gate's measurement (size-overflow.json) and nothing an earlier image left in the folder."""
    board, stale = load_target("stm32f103"), size_json(9078, 9268)
    (tmp_path / "stand-in").mkdir()
    (tmp_path / "stand-in" / "test.json").write_text(json.dumps(
        {"target": "qemu-m3", "verdict": "pass", "stack": {"used": 400, "size": 4096}}))
    (tmp_path / "size.json").write_text(json.dumps(stale))
    (tmp_path / "cycles.json").write_text(json.dumps({"hello_world": {"cycles": 4318}}))
    assert not overflowed_since(tmp_path, 0.0)
    measured = size_json(290_000, 30_000)  # only the test vectors (36,250 B) put it over the 256 KB flash
    (tmp_path / OVERFLOW_JSON).write_text(json.dumps({"error": "the image does not fit stm32f103", "size": measured}))
    assert overflowed_since(tmp_path, time.time()) and not overflowed_since(tmp_path, time.time() + 60)
    taken = load_inputs(board, HELLO, "hello_world", tmp_path, Requirements(), "aot", "reference")
    assert taken.size == stale and taken.run is not None and taken.cycles is not None  # a good build's folder
    gated = load_inputs(board, HELLO, "hello_world", tmp_path, Requirements(), "aot", "reference", does_not_fit=True)
    assert gated.size == measured and gated.overflow == "the image does not fit stm32f103"
    assert gated.run is None and gated.cycles is None and gated.manifest is None
    report = make_report(gated)
    assert statuses(report)["flash"] == FAIL and statuses(report)["ram"] == PASS
    flash = report.section("flash").reason
    assert "(27,856 over; largest components: model data 145,000 B, runtime 72,500 B, application 36,250 B)" in flash
    assert "test vectors alone put it over: test_vectors=0" in flash
    beyond = make_report(replace(gated, size=size_json(300_000, 30_000))).section("flash").reason
    assert "37,856 over" in beyond and "test_vectors" not in beyond  # 37,500 B of test vectors are not enough
    for key in ("compute", "accuracy"):
        assert report.section(key).status == NA
        assert report.section(key).reason.startswith("not run: the image does not fit stm32f103")
    assert report.section("ram").figures["stack high-water"] == "not measured"


def test_power_data_in_a_target_file_is_checked(tmp_path):
    text = (PROJECT_DIR / "targets" / "stm32f103.yaml").read_text()
    bad = tmp_path / "stm32f103.yaml"
    bad.write_text(text.replace("sleep_ma: 0.035", "sleep_ma: 99.0"))
    with pytest.raises(TinyMLError, match=r"power\.sleep_ma: sleep_ma \(99\) is above run_ma"):
        load_target(bad)
    bad.write_text(text.replace("run_ma: 30.5", "run_ma: -1.0"))
    with pytest.raises(TinyMLError, match=r"power\.run_ma"):
        load_target(bad)
    run, sleep = text.split("  sleep:\n")
    without_read_in = run[:run.index("    read_in:")] + run[run.index("    note:"):]
    bad.write_text(without_read_in + "  sleep:\n" + sleep)
    with pytest.raises(TinyMLError, match=r"power\.run\.read_in: a verified figure says where it was read"):
        load_target(bad)
    unverified_sleep = sleep.replace("    verified: true\n", "    verified: false\n")[:sleep.index("    read_in:")]
    bad.write_text(run + "  sleep:\n" + unverified_sleep)
    with pytest.raises(TinyMLError, match=r"power\.sleep\.note: an unverified figure says why"):
        load_target(bad)
    bad.write_text(text + "no_power_data: none found\n")
    with pytest.raises(TinyMLError, match=r"no_power_data: a target with power: data has no reason"):
        load_target(bad)


def test_model_yaml_requirements_are_checked(tmp_path):
    from tinyml_build.model.catalog import load_model as load_catalog_model

    folder = tmp_path / "hello_world"
    folder.mkdir()
    for item in (PROJECT_DIR / "models" / "hello_world").iterdir():
        if item.is_file():
            (folder / item.name).write_bytes(item.read_bytes())
    yaml_text = (folder / "model.yaml").read_text()
    (folder / "model.yaml").write_text(yaml_text + "requirements: {rate_hz: 10, latency_ms: 0.5}\n")
    meta = load_catalog_model(folder).metadata["requirements"]
    assert Requirements.combine({}, meta).deadline_ms == 0.5
    (folder / "model.yaml").write_text(yaml_text + "requirements: {rate_hz: -10}\n")
    with pytest.raises(TinyMLError, match="requirements.rate_hz"):
        load_catalog_model(folder)
    (folder / "model.yaml").write_text(yaml_text + "requirements: {latency: 3}\n")
    with pytest.raises(TinyMLError, match="requirements.latency"):
        load_catalog_model(folder)
