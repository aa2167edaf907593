"""The platform layer and the QEMU runner on a hand-written model: pass, mismatch, crash, hang.

Every emulated target runs the same fixture (fixtures/firmware/add_one_model.c); the failure
variants prove that the runner turns each way a firmware can go wrong into a failed test with
a useful message, and that exit statuses and instruction counts are exact.
"""

import dataclasses
import shutil

import pytest
from firmware_testlib import FixtureBuilder, add_one_golden
from junit_schema import cases, check_junit

from tinyml_build.config.targets import Emulator, load_target
from tinyml_build.errors import ToolchainError
from tinyml_build.verification import junit
from tinyml_build.verification.qemu_runner import parse_report, qemu_command, run_test

EMULATED = ("qemu-m3", "qemu-m4", "qemu-m7", "qemu-m33", "qemu-m55", "stm32f407")


def _junit(result, golden, target="qemu-m4"):
    """The run's test.xml, checked against the JUnit shape: {testcase name: its failure/error or None}."""
    root = check_junit(junit.render("fixture", junit.qemu_suites(result, [golden])))
    found = cases(root)
    assert {c for c, _ in found} == {f"{target}.add_one"}
    return {name: next(iter(case), None) for (_, name), case in found.items()}

pytestmark = [
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed "
                       "(sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed "
                       "(sudo apt-get install qemu-system-arm)"),
    pytest.mark.qemu,
]


@pytest.fixture(scope="module")
def builder(tmp_path_factory):
    return FixtureBuilder(tmp_path_factory.mktemp("fixture-images"))


@pytest.mark.parametrize("name", EMULATED)
def test_fixture_passes_on_every_emulated_target(builder, name):
    golden = add_one_golden()
    target = load_target(name)
    result = run_test(target, builder.image(name, "good", golden), [golden], timeout=60)
    assert result.ok, result.problems
    model = result.report.models["add_one"]
    assert model.facts["operators"] == "1" and model.facts["arena_reserved"] == "32"
    assert [model.vectors[i]["status"] for i in range(3)] == ["PASS"] * 3
    assert model.time["unit"] == "qemu_instructions" and int(model.time["per_inference"]) > 0
    assert result.report.result == {"status": "PASS", "models": "1", "vectors": "3", "passed": "3", "failed": "0",
                                    "unchecked": "0"}
    stack = result.summary()["stack"]  # painted by every start-up, measured after the run
    assert 0 < stack["used"] < stack["size"], stack
    assert result.verdict == "pass" and result.summary()["exit_status"] == 0
    assert list(_junit(result, golden, name).items()) == [(f"vector {k}: fixture #{k}", None) for k in range(3)]
    # Semihosting targets end QEMU with the status; the STM32 image parks and the runner stops QEMU.
    assert result.outcome.exit_code == (0 if target.console.is_semihosting else None)
    if name == "stm32f407":
        assert "netduinoplus2" in result.command  # the unmodified STM32 ELF, on the F405 machine


@pytest.mark.parametrize("name", ["qemu-m4", "stm32f407"])
def test_instruction_counts_are_exact_and_repeatable(builder, name):
    golden = add_one_golden()

    def count(loop: int) -> int:
        elf = builder.image(name, f"loop{loop}", golden, defines=[f"ADD_ONE_LOOP={loop}"])
        result = run_test(load_target(name), elf, [golden], timeout=60)
        assert result.ok, result.problems
        return int(result.report.models["add_one"].time["per_inference"])

    base, loop = count(1), count(20_001)
    # 20,000 more iterations of a 2-instruction loop (subs; bne) is 40,000 more instructions: the
    # SysTick-derived count is exact to the instruction (averaging leaves at most 1-2 of rounding).
    assert abs((loop - base) - 40_000) <= 2, (base, loop)
    assert 50 < base < 200  # the fixture's own 16-element loop and call overhead
    assert count(20_001) == loop  # deterministic from run to run


@pytest.mark.parametrize("name", ["qemu-m4", "qemu-m33"])
def test_the_stack_mark_moves_with_the_stack_a_model_needs(builder, name):
    golden = add_one_golden()

    def stack_used(variant: str, defines=()) -> int:
        result = run_test(load_target(name), builder.image(name, variant, golden, defines=defines), [golden],
                          timeout=60)
        assert result.ok, result.problems
        stack = result.summary()["stack"]
        assert stack["size"] == load_target(name).stack_size, stack
        return stack["used"]

    base, deep = stack_used("good"), stack_used("stack4k", ["ADD_ONE_STACK_BYTES=4096"])
    # invoke() now fills a 4 KB buffer on the stack: the mark is that buffer below invoke's call chain
    # (main -> run_model -> run_vector -> invoke), which is no deeper than the base image's deepest
    # path (its printf) plus a few words.
    assert 4096 < deep <= base + 4096 + 64, (base, deep)
    assert deep - base > 3072, (base, deep)
    assert 64 < base < 2048, base  # start-up, main, the printf and the fixture's own frames


def test_an_image_without_test_vectors_runs_a_fixed_input_unchecked(builder):
    empty = dataclasses.replace(add_one_golden(), vectors=())
    result = run_test(load_target("qemu-m4"), builder.image("qemu-m4", "nocheck", empty), [empty], timeout=60)
    model = result.report.models["add_one"]
    assert model.vectors == {0: {"model": "add_one", "index": "0", "status": "NOCHECK", "input": "zero_point"}}
    assert model.outputs == {(0, 0): "01" * 16}  # zero point 0 in, + 1 out: the fixed input is what main.c says
    assert int(model.time["per_inference"]) > 0 and result.summary()["stack"]["used"] > 0
    assert result.report.result["status"] == "NOCHECK" and result.outcome.exit_code == 4
    assert result.ok and result.verdict == "unchecked"  # nothing failed, and nothing was proven
    summary = result.summary()
    assert summary["status"] == "NOCHECK" and summary["exit_status"] == 6
    assert summary["models"]["add_one"]["checked"] is False and summary["models"]["add_one"]["vectors"] == 0
    root = check_junit(junit.render("fixture", junit.qemu_suites(result, [empty])))
    assert root.get("skipped") == "1" and root.get("failures") == "0" and root.get("errors") == "0"
    (case,) = root.iter("testcase")
    assert case.get("name") == junit.FIXED_INPUT_CASE and case.find("skipped") is not None


def test_a_firmware_claiming_a_check_it_cannot_have_made_fails(builder):
    """An image with test vectors reports PASS; a runner told the model has none must not accept it."""
    good = add_one_golden()
    empty = dataclasses.replace(good, vectors=())
    result = run_test(load_target("qemu-m4"), builder.image("qemu-m4", "good", good), [empty], timeout=60)
    assert not result.ok and result.verdict == "mismatch", result.problems
    assert any("expected NOCHECK" in p for p in result.problems), result.problems


def test_a_wrong_output_fails_in_the_firmware_and_on_the_host(builder):
    bad = add_one_golden(corrupt=True)
    result = run_test(load_target("qemu-m4"), builder.image("qemu-m4", "corrupt", bad), [bad], timeout=60)
    assert not result.ok
    assert result.outcome.exit_code == 1
    assert result.report.models["add_one"].vectors[2]["status"] == "FAIL"
    assert result.report.models["add_one"].vectors[2]["first_mismatch"] == "0:5"
    assert any("1 failing of 3" in p for p in result.problems), result.problems
    assert any("1 of 16 bytes differ; first at byte 5" in p for p in result.problems), result.problems
    assert result.verdict == "mismatch" and result.summary()["exit_status"] == 3
    report = _junit(result, bad)
    assert report["vector 0: fixture #0"] is None and report["vector 1: fixture #1"] is None
    failure = report["vector 2: fixture #2"]
    assert failure.tag == "failure" and failure.get("type") == "mismatch"
    assert failure.get("message").startswith("output 0: 1 of 16 bytes differ; first at byte 5: ")


def test_the_host_comparison_does_not_trust_the_firmware(builder):
    good, bad = add_one_golden(), add_one_golden(corrupt=True)
    result = run_test(load_target("qemu-m4"), builder.image("qemu-m4", "good", good), [bad], timeout=60)
    assert result.report.result["status"] == "PASS"  # the firmware compared against its own (correct) copy
    assert not result.ok
    assert result.problems == ["model add_one vector 2 (fixture #2) output 0: 1 of 16 bytes differ; first at byte 5: "
                               f"0x{add_one_golden().vectors[2].outputs[0][5]:02x}, golden "
                               f"0x{bad.vectors[2].outputs[0][5]:02x}"]


@pytest.mark.parametrize("name", ["qemu-m4", "qemu-m33", "stm32f407"])
def test_a_hardfault_prints_the_fault_registers(builder, name):
    golden = add_one_golden()
    target = load_target(name)
    result = run_test(target, builder.image(name, "crash", golden, defines=["ADD_ONE_CRASH"]), [golden], timeout=60)
    assert not result.ok
    assert result.report.fault is not None and result.report.fault["exception"] == "3"
    assert any("crashed: exception 3" in p for p in result.problems), result.problems
    log = result.outcome.output
    assert "*** HardFault (exception 3)" in log and "pc " in log and "CFSR" in log
    assert "BFAR f0000000" in log  # the faulting address of the bad store
    if target.console.is_semihosting:
        assert result.outcome.exit_code == 3  # SYS_EXIT_EXTENDED carries statuses beyond 0/1
    assert result.verdict == "crash" and result.summary()["exit_status"] == 4
    report = _junit(result, golden, name)
    error = report["vector 0: fixture #0"]  # add_one faults in its first invoke()
    assert error.tag == "error" and error.get("type") == "crash" and "crashed: exception 3" in error.get("message")
    assert "TML-FAULT exception=3" in error.text and "BFAR f0000000" in error.text  # the log's end
    assert [report[f"vector {k}: fixture #{k}"].get("type") for k in (1, 2)] == ["not-run", "not-run"]


def test_a_hang_is_stopped_by_the_timeout(builder):
    golden = add_one_golden()
    elf = builder.image("qemu-m4", "hang", golden, defines=["ADD_ONE_HANG"])
    result = run_test(load_target("qemu-m4"), elf, [golden], timeout=3)
    assert not result.ok and result.outcome.timed_out
    assert any("no final report within 3 s" in p for p in result.problems)
    assert result.verdict == "hang" and result.summary()["exit_status"] == 5
    error = _junit(result, golden)["vector 0: fixture #0"]
    assert error.tag == "error" and error.get("type") == "hang" and "no final report within 3 s" in error.get("message")


def test_init_failure_exits_with_status_2(builder):
    golden = add_one_golden()
    elf = builder.image("qemu-m3", "init-fails", golden, defines=["ADD_ONE_INIT_FAILS"])
    result = run_test(load_target("qemu-m3"), elf, [golden], timeout=60)
    assert not result.ok and result.outcome.exit_code == 2
    assert "init() returned error" in result.outcome.output
    assert result.verdict == "mismatch"  # the firmware finished and reports every vector as failed
    report = _junit(result, golden, "qemu-m3")
    assert {e.tag for e in report.values()} == {"failure"} and {e.get("type") for e in report.values()} == {"setup"}


def test_runaway_output_is_cut_off(builder):
    golden = add_one_golden()
    result = run_test(load_target("qemu-m4"), builder.image("qemu-m4", "good", golden), [golden], timeout=60,
                      max_output=200)
    assert not result.ok and result.outcome.truncated
    assert any("more than 200 bytes" in p for p in result.problems)
    assert result.verdict == "hang"
    kinds = [None if e is None else e.get("type") for e in _junit(result, golden).values()]
    stop = kinds.index("hang")  # the vector the output was cut in (reads arrive in chunks of any size)
    assert kinds == [None] * stop + ["hang"] + ["not-run"] * (len(kinds) - stop - 1), kinds


def test_missing_qemu_names_the_apt_command(builder):
    target = dataclasses.replace(load_target("qemu-m4"), emulator=Emulator("qemu-system-nonexistent", "mps2-an386"))
    with pytest.raises(ToolchainError) as err:
        run_test(target, "firmware.elf", [add_one_golden()])
    assert "sudo apt-get install qemu-system-arm" in str(err.value)


def test_command_lines():
    m4 = qemu_command(load_target("qemu-m4"), "fw.elf")
    assert m4[:3] == ["qemu-system-arm", "-machine", "mps2-an386"]
    assert "shift=0,align=off,sleep=off" in m4 and "enable=on,target=native,chardev=console" in m4
    f407 = qemu_command(load_target("stm32f407"), "fw.elf")
    assert "netduinoplus2" in f407 and "chardev:console" in f407 and "-semihosting-config" not in f407


def test_report_parser_ignores_noise():
    report = parse_report("boot\nTML-MODEL name=a operators=3\nxTML-RESULT status=PASS\n"
                          "TML-VECTOR model=a index=0 status=PASS\nTML-OUTPUT model=a vector=0 output=0 hex=ff00\n"
                          "TML-RESULT status=PASS models=1 vectors=1 passed=1 failed=0\n")
    assert report.models["a"].facts == {"name": "a", "operators": "3"}
    assert report.models["a"].outputs == {(0, 0): "ff00"}
    assert report.result["passed"] == "1"
