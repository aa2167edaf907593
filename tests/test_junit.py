"""test.xml (tinyml_build/verification/junit.py): the JUnit shape, escaping, and where each kind of
problem lands -- on reports made by hand here; the QEMU tests (test_qemu_platform.py) and the
scons tests (test_firmware_build.py, test_scons_build.py) check the files real runs write."""

import shutil
import xml.etree.ElementTree as ET

import pytest
from junit_schema import cases, check_junit
from tflite_builder import fully_connected_model

from tinyml_build.escape import xml_text
from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.verification import junit, qemu_runner
from tinyml_build.verification import verdict as verdicts
from tinyml_build.verification.golden import Golden, GoldenVector, TensorSpec
from tinyml_build.verification.host_check import (
    CheckReport,
    HostRunError,
    HostTest,
    check_model,
    input_label,
    random_inputs,
    run_program,
)
from tinyml_build.verification.qemu_runner import OutputDifference, RunOutcome, parse_report


def _golden(model: str, vectors: int = 3) -> Golden:
    spec = TensorSpec("x", "int8", (1, 2), 2)
    return Golden(model, "0" * 64, "fixture", 1, (spec,), (spec,),
                  tuple(GoldenVector(f"random seed=1 #{k}", (b"\0\0",), (b"\1\1",)) for k in range(vectors)))


def _result(log: str, verdict: str, stopped=(), differences=(), image=(), problems=None) -> qemu_runner.TestResult:
    outcome = RunOutcome(log, None if stopped else 0, False, False, "", 1.5, ["qemu", "fw.elf"])
    problems = list(stopped) + list(image) + [str(d) for d in differences] if problems is None else problems
    return qemu_runner.TestResult("qemu-m4", not problems, problems, parse_report(log), outcome, outcome.command,
                                  "QEMU 7.2", verdict, list(differences), list(stopped), list(image))


def _model_lines(model: str, vectors, time: bool = True) -> str:
    lines = [f"TML-MODEL name={model} runtime=aot operators=1"]
    lines += [f"TML-VECTOR model={model} index={v} status={status}" for v, status in vectors]
    if time:
        lines.append(f"TML-TIME model={model} unit=qemu_instructions per_inference=2000 runs=1")
    return "\n".join(lines) + "\n"


def test_render_counts_and_shape():
    suites = [junit.Suite("t.a", [junit.Case("vector 0", "t.a", 0.5),
                                  junit.Case("vector 1", "t.a", failure=junit.Problem("mismatch", "byte 3"))], time=2.0,
                          properties={"verdict": "mismatch"}),
              junit.Suite("t.b", [junit.Case("vector 0", "t.b", error=junit.Problem("crash", "fault", "log"))])]
    root = check_junit(junit.render("run", suites, 2.0))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("time")) == ("3", "1", "1", "2")
    found = cases(root)
    assert found[("t.a", "vector 0")].get("time") == "0.5"
    assert "time" not in found[("t.b", "vector 0")].attrib  # not measured: left out, not 0
    failure = found[("t.a", "vector 1")].find("failure")
    assert failure.get("type") == "mismatch" and failure.get("message") == "byte 3" and failure.text == "byte 3"
    assert found[("t.b", "vector 0")].find("error").text == "log"


def test_anything_a_model_or_console_holds_stays_well_formed():
    nasty = 'a<b>&"c\' \x1b[31mred\x00 \x07 \ud800 \ufffe tab\t end\\'
    suites = [junit.Suite(f"t.{nasty}", [junit.Case(f"vector 0: sample {nasty}.npy", f"t.{nasty}",
                                                    error=junit.Problem("crash", nasty, nasty + "\nline 2"))],
                          properties={nasty: nasty})]
    root = check_junit(junit.render(nasty, suites))
    case = next(root.iter("testcase"))
    assert case.get("name") == f"vector 0: sample {xml_text(nasty)}.npy"
    assert "\\x1b[31mred\\x00" in case.get("name") and "\\ud800" in case.get("name") and "<b>&" in case.get("name")
    assert case.find("error").text.endswith("\nline 2")  # newlines kept in text
    assert xml_text("back\\slash") == "back\\\\slash"  # an escape cannot be faked


def test_mismatch_is_a_failure_with_the_first_differing_byte():
    log = _model_lines("m", [(0, "PASS"), (1, "FAIL first_mismatch=0:1"), (2, "PASS")])
    diff = OutputDifference("m", 1, "random seed=1 #1",
                            "output 0: 1 of 2 bytes differ; first at byte 1: 0x05, golden 0x01")
    suites = junit.qemu_suites(_result(log, verdicts.MISMATCH, differences=[diff]), [_golden("m")])
    root = check_junit(junit.render("x", suites))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    failure = cases(root)[("qemu-m4.m", "vector 1: random seed=1 #1")].find("failure")
    assert failure.get("message") == diff.text
    assert "first mismatch at output:byte 0:1" in failure.text
    assert cases(root)[("qemu-m4.m", "vector 0: random seed=1 #0")].get("time") == "0.000002"  # 2000 instructions


def test_a_crash_is_an_error_on_the_vector_it_stopped_in_and_the_rest_did_not_run():
    log = (_model_lines("a", [(0, "PASS"), (1, "PASS")]) + _model_lines("b", [(0, "PASS")], time=False)
           + "*** HardFault\nTML-FAULT exception=3 pc=0x1 lr=0x2 cfsr=0x0 hfsr=0x0\n")
    why = "the firmware crashed: exception 3 at pc=0x1"
    suites = junit.qemu_suites(_result(log, verdicts.CRASH, stopped=[why]),
                               [_golden("a", 2), _golden("b"), _golden("c", 1)])
    root = check_junit(junit.render("x", suites))
    found = cases(root)
    assert all(found[("qemu-m4.a", f"vector {v}: random seed=1 #{v}")].find("*") is None for v in range(2))
    assert found[("qemu-m4.b", "vector 0: random seed=1 #0")].find("*") is None
    error = found[("qemu-m4.b", "vector 1: random seed=1 #1")].find("error")
    assert error.get("type") == "crash" and error.get("message") == why
    assert "TML-FAULT exception=3" in error.text  # the console log's end
    for key in [("qemu-m4.b", "vector 2: random seed=1 #2"), ("qemu-m4.c", "vector 0: random seed=1 #0")]:
        assert found[key].find("error").get("type") == "not-run"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "0", "3")


def test_a_stop_outside_every_vector_adds_a_firmware_run_case():
    log = _model_lines("a", [(0, "PASS")], time=False)  # every vector reported, then a hang in the timing loop
    why = "no final report within 3 s: the firmware hangs (or the timeout is too short)"
    suites = junit.qemu_suites(_result(log, verdicts.HANG, stopped=[why]), [_golden("a", 1)])
    found = cases(check_junit(junit.render("x", suites)))
    assert found[("qemu-m4.a", "vector 0: random seed=1 #0")].find("*") is None
    assert found[("qemu-m4.a", junit.RUN_CASE)].find("error").get("type") == "hang"
    # The model's report was complete (TML-TIME): it stopped setting up the next model, on its first vector.
    log = _model_lines("a", [(0, "PASS")])
    suites = junit.qemu_suites(_result(log, verdicts.CRASH, stopped=["crashed"]), [_golden("a", 1), _golden("b", 1)])
    found = cases(check_junit(junit.render("x", suites)))
    assert found[("qemu-m4.b", "vector 0: random seed=1 #0")].find("error").get("type") == "crash"


def test_set_up_failure_and_image_problems_are_failures():
    log = "TML-MODEL name=m init=FAIL\nTML-RESULT status=FAIL models=1 vectors=2 passed=0 failed=2\n"
    exit_status = "QEMU exit status 0 disagrees with the report (FAIL)"
    suites = junit.qemu_suites(_result(log, verdicts.MISMATCH, image=[exit_status]), [_golden("m", 2)])
    found = cases(check_junit(junit.render("x", suites)))
    assert found[("qemu-m4.m", "vector 0: random seed=1 #0")].find("failure").get("type") == "setup"
    assert found[("qemu-m4.m", junit.RUN_CASE)].find("failure").get("message") == exit_status


def test_host_suites_one_case_per_run():
    report = CheckReport("m", 3, False, 32, 100, False, run_problems={2: ["run 2: output 0 differs (...)"]})
    crashed = HostRunError("generated model 'n' failed on the host (killed by signal SIGSEGV):\nboom", verdicts.CRASH,
                           "AddressSanitizer: boom\n")
    suites = junit.host_suites([HostTest("m", 3, 0, 1.0, report=report), HostTest("n", 2, 0, 0.5, error=crashed)])
    root = check_junit(junit.render("host", suites))
    found = cases(root)
    assert [n for c, n in found if c == "host.m"] == [input_label(r, 0) for r in range(3)]
    assert found[("host.m", input_label(2, 0))].find("failure").get("message") == "run 2: output 0 differs (...)"
    error = found[("host.n", input_label(0, 0))].find("error")
    assert error.get("type") == "crash" and "killed by signal SIGSEGV" in error.get("message")
    assert "AddressSanitizer: boom" in error.text
    assert (root.get("failures"), root.get("errors")) == ("1", "2")
    assert ET.fromstring(junit.render("host", suites)).get("time") is None


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_a_wrong_program_fails_the_runs_it_gets_wrong():
    model = read_model(fully_connected_model(units=3, features=5, seed=1), where="fc.tflite", name="fc")
    program = lower_model(model)
    bias = [a for a in program.arrays if "bias" in a.comment][0]
    bias.values[0] += 5000
    report = check_model(model, runs=4, program=program)
    suites = junit.host_suites([HostTest("fc", 4, 0, 1.0, report=report)])
    found = cases(check_junit(junit.render("host", suites)))
    failed = {name for (_, name), case in found.items() if case.find("failure") is not None}
    assert failed == {input_label(r, 0) for r in report.run_problems} and failed
    assert "first divergence at op #0 FULLY_CONNECTED" in found[("host.fc", sorted(failed)[0])].find("failure").text


@pytest.mark.parametrize("script, verdict, needle", [
    ("kill -SEGV $$", verdicts.CRASH, "killed by signal SIGSEGV"),
    ("echo oops >&2; exit 3", verdicts.CRASH, "exit 3"),
    ("sleep 30", verdicts.HANG, "did not finish on the host within 0.5 s"),
])
def test_a_crashing_or_hanging_check_program_is_a_verdict(tmp_path, script, verdict, needle):
    model = read_model(fully_connected_model(units=3, features=5, seed=1), where="fc.tflite", name="fc")
    exe = tmp_path / "model_check"
    exe.write_text(f"#!/bin/sh\n{script}\n")
    exe.chmod(0o755)
    with pytest.raises(HostRunError) as err:
        run_program(exe, tmp_path, model, random_inputs(model, 2, 0), timeout=0.5)
    assert err.value.verdict == verdict and needle in err.value.what
