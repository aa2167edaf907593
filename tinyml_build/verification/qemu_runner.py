"""Run a test firmware image in QEMU and decide pass/fail from what it prints.

Why a runner: QEMU by itself neither stops on a hang nor knows what the firmware checked.
This module starts the target's QEMU machine with deterministic timing (`-icount shift=0`:
one instruction = 1 ns of emulated time, which the firmware's SysTick turns into an
instruction count), collects the console with a time limit and an output limit, parses the
report (main.c documents its `TML-` lines) and compares every output byte with the golden
data on the host as well, so a firmware bug in its own comparison cannot hide a mismatch.

Semihosting targets end QEMU with the firmware's exit status; UART targets (the STM32 image on
netduinoplus2) cannot, so the runner stops QEMU once the final TML-RESULT (or TML-FAULT) line
has arrived.

    python -m tinyml_build.verification.qemu_runner --target qemu-m4 build/qemu-m4/kws/firmware.elf \\
        build/qemu-m4/kws/golden/*.json

Exits like `scons ... test` (verification/verdict.py): 0 pass, 2 an error before the run, 3 mismatch,
4 crash, 5 hang, 6 ran but some model's outputs were not checked (built without test vectors); --json
and --junit write test.json and test.xml. test.json has the stack high-water mark (`stack`).
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.config.options import DEFAULT_QEMU_TIMEOUT
from tinyml_build.config.targets import Target, load_target
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.escape import json_text, terminal
from tinyml_build.verification import verdict as verdicts
from tinyml_build.verification.golden import Golden
from tinyml_build.verification.unwritten_outputs import differing_bytes

DEFAULT_TIMEOUT = float(DEFAULT_QEMU_TIMEOUT)
DEFAULT_MAX_OUTPUT = 4 << 20  # bytes of console output before the run counts as runaway
ICOUNT = "shift=0,align=off,sleep=off"
APT_PACKAGES = {"qemu-system-arm": "qemu-system-arm", "qemu-system-riscv32": "qemu-system-misc",
                "qemu-system-xtensa": "qemu-system-misc"}
APT_COMMAND = "sudo apt-get install qemu-system-arm"
_GRACE = 10.0  # seconds QEMU gets to exit after the final line


def qemu_command(target: Target, elf: str | Path, qemu: str | None = None) -> list[str]:
    """The QEMU command line that runs `elf` on the target's emulated machine."""
    if target.emulator is None:
        raise TinyMLError(f"target {target.name} has no emulator to run tests in", where=f"target={target.name}",
                          fix="build it without `test` and flash it, or test on a qemu-* target")
    argv = [qemu or target.emulator.qemu, "-machine", target.emulator.machine]
    if target.emulator.cpu:
        argv += ["-cpu", target.emulator.cpu]
    argv += ["-display", "none", "-monitor", "none", "-nodefaults", "-icount", ICOUNT,
             "-chardev", "stdio,id=console,signal=off"]
    if target.emulator.twin:
        from tinyml_build.platform import twin_qemu_arguments

        argv += twin_qemu_arguments(target)
    elif target.console.is_semihosting:
        argv += ["-semihosting-config", "enable=on,target=native,chardev=console", "-serial", "null"]
    else:
        argv += ["-serial", "chardev:console"]
    return argv + ["-kernel", str(elf)]


def find_qemu(target: Target) -> str:
    if target.emulator is None:
        raise TinyMLError(f"target {target.name} has no emulator", where=f"target={target.name}")
    found = shutil.which(target.emulator.qemu)
    if found is None:
        fallback = "qemu-system-arm" if target.isa == "arm" else "qemu-system-misc"
        package = APT_PACKAGES.get(target.emulator.qemu, fallback)
        raise ToolchainError(f"{target.emulator.qemu} not found on PATH (needed to run tests)",
                             fix=f"install it: sudo apt-get install {package}")
    return found


def qemu_version(qemu: str) -> str:
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.splitlines()[0].strip() if out else "unknown"


@dataclass
class RunOutcome:
    output: str
    exit_code: int | None  # None when the runner stopped QEMU
    timed_out: bool
    truncated: bool
    stderr: str
    seconds: float
    command: list[str] = field(default_factory=list)  # the QEMU command line that ran


def run_qemu(argv: list[str], timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT,
             stop_after_final_line: bool = False) -> RunOutcome:
    """Run QEMU with a time limit and an output limit; stops it after the final line if asked."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file)
        except OSError as err:
            raise ToolchainError(f"cannot start {argv[0]}: {err}", fix=f"install it: {APT_COMMAND}") from None
        received = bytearray()
        timed_out = truncated = closed = False
        final_seen_at = None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                now = time.monotonic()
                if now - start > timeout:
                    timed_out = True
                    break
                if final_seen_at is not None and (stop_after_final_line or now - final_seen_at > _GRACE):
                    break
                if not selector.select(timeout=0.2):
                    if proc.poll() is not None:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    closed = True  # QEMU is exiting: its output ends a moment before the process does
                    break
                received += chunk
                if len(received) > max_output:
                    truncated = True
                    break
                if final_seen_at is None and _has_final_line(received):
                    final_seen_at = time.monotonic()
        exit_code = proc.poll()
        if exit_code is None:
            if closed or (final_seen_at is not None and not stop_after_final_line):
                try:
                    exit_code = proc.wait(timeout=_GRACE)
                except subprocess.TimeoutExpired:
                    pass
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                exit_code = None
        proc.stdout.close()
        size = err_file.seek(0, os.SEEK_END)
        err_file.seek(max(0, size - 65536))  # the end: the plugin's lines and QEMU's last words
        stderr = err_file.read(65536).decode("utf-8", "replace")
    return RunOutcome(received.decode("utf-8", "replace").replace("\r\n", "\n"), exit_code, timed_out, truncated,
                      stderr, time.monotonic() - start, list(argv))


def run_image(target: Target, elf: str | Path, timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT,
              extra_args=()) -> RunOutcome:
    """Run `elf` on the target's QEMU machine (qemu_command, then `extra_args`); semihosting targets
    end QEMU themselves, UART targets are stopped once the final TML-RESULT or TML-FAULT line arrived."""
    argv = qemu_command(target, elf, find_qemu(target)) + list(extra_args)
    return run_qemu(argv, timeout, max_output, stop_after_final_line=not exits_itself(target))


def plugin_options(target: Target, elf: str | Path) -> list[str]:
    """QEMU options that load the project's instruction-count plugin, for twins whose own timer cannot
    count instructions exactly (the Xtensa twin: CCOUNT follows a model clock); else none."""
    if not (target.emulator and target.emulator.twin):
        return []
    from tinyml_build.platform import twin_counting

    skip = twin_counting(target)
    if skip is None:
        return []
    from tinyml_build.fileio import user_cache_dir
    from tinyml_build.verification import icount_plugin

    plugin = icount_plugin.build_plugin(user_cache_dir() / "qemu-plugins")
    return ["-plugin", icount_plugin.plugin_argument(plugin, Path(elf), skip_symbols=skip or None),
            *icount_plugin.LOG_OPTIONS]


def apply_plugin_counts(report: Report, stderr: str) -> list[str]:
    """Replace each model's firmware-side time with the plugin's exact count (one report per model,
    in the firmware's order); the problems when the plugin's lines do not match the models."""
    from tinyml_build.verification import icount_plugin

    counts = icount_plugin.parse_reports(stderr)
    timed = [m for m in report.models.values() if m.time]
    if len(counts) != len(timed):
        return [f"the instruction-count plugin reported {len(counts)} model(s), the firmware timed {len(timed)}"]
    for model, count in zip(timed, counts):
        if count.windows == 0:
            return [f"the instruction-count plugin saw no timed inference of model {model.name}"]
        exact = icount_plugin.per_inference(count)
        model.time = {**model.time, "unit": "qemu_instructions", "per_inference": str(exact),
                      "counted_by": "plugin", "windows": str(count.windows)}
    return []


def exits_itself(target: Target) -> bool:
    """Whether the firmware ends QEMU with its exit status (semihosting consoles and twins)."""
    return target.console.is_semihosting or bool(target.emulator and target.emulator.twin)


def _has_final_line(received: bytearray) -> bool:
    for marker in (b"TML-RESULT ", b"TML-FAULT "):
        at = received.find(marker)
        if at >= 0 and received.find(b"\n", at) >= 0:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# The report


NOCHECK = "NOCHECK"  # TML-VECTOR / TML-RESULT status of a model run on its fixed input, outputs unchecked
NOT_READY_STATUS = 3  # tml_model_api.h's TML_NOT_READY, as TML-VECTOR's invoke= reports it
_FIRMWARE_EXIT = {"PASS": 0, NOCHECK: 4}  # main.c's exit status for each final status (others: non-zero)


def _fields(line: str) -> dict[str, str]:
    out = {}
    for item in line.split()[1:]:
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
    return out


@dataclass
class ModelReport:
    name: str
    facts: dict[str, str] = field(default_factory=dict)  # TML-MODEL fields
    vectors: dict[int, dict[str, str]] = field(default_factory=dict)  # TML-VECTOR fields by index
    outputs: dict[tuple[int, int], str] = field(default_factory=dict)  # (vector, output) -> hex
    time: dict[str, str] = field(default_factory=dict)  # TML-TIME fields
    stack: dict[str, str] = field(default_factory=dict)  # TML-STACK model=.. fields: used, size


@dataclass
class Report:
    models: dict[str, ModelReport] = field(default_factory=dict)
    result: dict[str, str] | None = None
    fault: dict[str, str] | None = None
    stack: dict[str, str] | None = None  # TML-STACK fields: used, size (bytes)


def parse_report(text: str) -> Report:
    """The TML- lines of the firmware's console output."""
    report = Report()

    def model(name: str) -> ModelReport:
        return report.models.setdefault(name, ModelReport(name))

    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("TML-"):
            continue
        kind = line.split(" ", 1)[0]
        f = _fields(line)
        if kind == "TML-MODEL" and "name" in f:
            model(f["name"]).facts = f
        elif kind == "TML-VECTOR" and "model" in f and f.get("index", "").isdigit():
            model(f["model"]).vectors[int(f["index"])] = f
        elif kind == "TML-OUTPUT" and "model" in f and f.get("vector", "").isdigit() and f.get("output", "").isdigit():
            model(f["model"]).outputs[(int(f["vector"]), int(f["output"]))] = f.get("hex", "")
        elif kind == "TML-TIME" and "model" in f:
            model(f["model"]).time = f
        elif kind == "TML-STACK" and "model" in f:
            model(f["model"]).stack = f
        elif kind == "TML-STACK":
            report.stack = f
        elif kind == "TML-RESULT":
            report.result = f
        elif kind == "TML-FAULT":
            report.fault = f
    return report


@dataclass(frozen=True)
class OutputDifference:
    """One way a model's reported outputs differ from the golden ones."""

    model: str
    vector: int | None  # None: about the model as a whole
    label: str  # the vector's label in the golden data
    text: str  # e.g. "output 0: 1 of 16 bytes differ; first at byte 5: 0x12, golden 0x02"

    def __str__(self) -> str:
        if self.vector is None:
            return f"model {self.model}: {self.text}"
        return f"model {self.model} vector {self.vector} ({self.label}) {self.text}"


def compare_with_golden(report: Report, goldens: list[Golden]) -> list[OutputDifference]:
    """Every difference between the reported outputs and the golden ones."""
    found = []
    for g in goldens:
        m = report.models.get(g.model)
        if m is None:
            found.append(OutputDifference(g.model, None, "", "not in the firmware's report"))
            continue
        if not g.vectors:  # built without test vectors: the firmware must say it ran them unchecked
            status = m.vectors.get(0, {}).get("status")
            if status != NOCHECK:
                found.append(OutputDifference(g.model, None, "", f"ran on its fixed input with status {status}, "
                                              f"expected {NOCHECK} (outputs not checked)"))
        for v, vector in enumerate(g.vectors):
            found.extend(OutputDifference(g.model, v, vector.label, text)
                         for text in _vector_differences(m, v, vector))
    return found


def stack_mark(fields: dict[str, str] | None) -> dict[str, int] | None:
    """A TML-STACK line's high-water mark as numbers ({"used", "size"} bytes), None if unreported."""
    fields = fields or {}
    if not (fields.get("used", "").isdigit() and fields.get("size", "").isdigit()):
        return None
    return {"used": int(fields["used"]), "size": int(fields["size"])}


def _vector_differences(m: ModelReport, v: int, vector) -> list[str]:
    """How the outputs `m` reports for vector v differ from the golden ones (vector: a GoldenVector; the
    bytes its care masks leave out are not compared), one text each. A vector the oracle stopped must
    be reported stopped (ready=no: TML_NOT_READY) and one it ran must not be."""
    reported = m.vectors.get(v, {})
    not_ready = reported.get("invoke") == str(NOT_READY_STATUS)
    if vector.stopped:
        if reported.get("ready") == "no":
            return []
        how = ("the firmware's test vectors did not expect it (they differ from golden.json)" if not_ready
               else f"invoke() returned status {reported['invoke']}" if "invoke" in reported
               else "invoke() ran the model" if reported.get("ready") == "yes" else "the firmware reported no stop")
        return [f"the oracle stopped this invoke (kTfLiteAbort: a CIRCULAR_BUFFER not ready); {how}"]
    if not_ready:
        return ["invoke() returned TML_NOT_READY; the oracle ran this invoke to the end"]
    texts = [] if reported.get("ready") != "yes" else [
        "the firmware's test vectors expect a stop here (they differ from golden.json, which has none)"]
    for o, expected in enumerate(vector.outputs):
        got_hex = m.outputs.get((v, o))
        if got_hex is None:
            texts.append(f"output {o}: not reported")
            continue
        try:
            got = bytes.fromhex(got_hex)
        except ValueError:
            texts.append(f"output {o}: unreadable hex in the report")
            continue
        if got != expected:
            diff = differing_bytes(got, expected, vector.care_of(o)) if len(got) == len(expected) else None
            if diff is None:
                texts.append(f"output {o}: {len(got)} bytes, golden has {len(expected)}")
            elif diff:
                texts.append(f"output {o}: {len(diff)} of {len(got)} bytes differ; first at byte {diff[0]}: "
                             f"0x{got[diff[0]]:02x}, golden 0x{expected[diff[0]]:02x}")
    return texts


@dataclass
class TestResult:
    target: str
    ok: bool
    problems: list[str]
    report: Report
    outcome: RunOutcome
    command: list[str]
    qemu_version: str
    verdict: str = verdicts.PASS  # tinyml_build.verification.verdict: pass, mismatch, crash or hang
    differences: list[OutputDifference] = field(default_factory=list)  # the host-side comparison's findings
    stopped: list[str] = field(default_factory=list)  # why the firmware did not finish (crash, hang)
    image_problems: list[str] = field(default_factory=list)  # exit status or model count wrong
    accuracy: dict[str, dict] = field(default_factory=dict)  # model -> float_reference.target_accuracy

    def summary(self) -> dict:
        models = {}
        for name, m in sorted(self.report.models.items()):
            passed = sum(1 for v in m.vectors.values() if v.get("status") == "PASS")
            unchecked = any(v.get("status") == NOCHECK for v in m.vectors.values())
            models[name] = {"facts": dict(sorted(m.facts.items())), "time": dict(sorted(m.time.items())),
                            "vectors": 0 if unchecked else len(m.vectors), "passed": passed,
                            "checked": not unchecked, "stack": stack_mark(m.stack)}
        status = {verdicts.PASS: "PASS", verdicts.UNCHECKED: NOCHECK}.get(self.verdict, "FAIL")
        return {
            "target": self.target,
            "status": status,
            "verdict": self.verdict,
            "exit_status": verdicts.EXIT_STATUS[self.verdict],
            "problems": self.problems,
            "exit_code": self.outcome.exit_code,
            "timed_out": self.outcome.timed_out,
            "seconds": round(self.outcome.seconds, 2),
            "qemu": self.qemu_version,
            "command": [Path(self.command[0]).name] + self.command[1:-1] + [Path(self.command[-1]).name],
            "models": models,
            "result": self.report.result,
            "fault": self.report.fault,
            "stack": stack_mark(self.report.stack),
            "accuracy": dict(sorted(self.accuracy.items())),
        }


def run_test(target: Target, elf: str | Path, goldens: list[Golden], timeout: float = DEFAULT_TIMEOUT,
             max_output: int = DEFAULT_MAX_OUTPUT) -> TestResult:
    """Run the image and check it: firmware verdict, exit status, every output byte, no fault/hang."""
    extra = plugin_options(target, elf)
    outcome = run_image(target, elf, timeout, max_output, extra_args=extra)
    report = parse_report(outcome.output)
    stopped = []  # why the firmware did not finish
    if extra and report.result is not None:
        stopped += apply_plugin_counts(report, outcome.stderr)
    if report.fault is not None:
        f = report.fault
        stopped.append(f"the firmware crashed: exception {f.get('exception')} at pc={f.get('pc')} lr={f.get('lr')} "
                       f"(CFSR {f.get('cfsr')}, HFSR {f.get('hfsr')}); fault registers are in the log")
    if outcome.timed_out:
        stopped.append(f"no final report within {timeout:g} s: the firmware hangs (or the timeout is too short)")
    if outcome.truncated:
        stopped.append(f"more than {max_output:,} bytes of console output: stopped")
    if report.result is None and report.fault is None and not outcome.timed_out and not outcome.truncated:
        detail = outcome.stderr.strip().splitlines()[-3:] if outcome.stderr.strip() else []
        stopped.append("the firmware stopped without its final TML-RESULT line (exit status "
                       f"{outcome.exit_code})" + (": " + " | ".join(detail) if detail else ""))
    unchecked = [g.model for g in goldens if not g.vectors]
    final_status = report.result.get("status") if report.result is not None else None
    reported_failing = []
    if report.result is not None and final_status != ("PASS" if not unchecked else NOCHECK):
        reported_failing.append(f"the firmware reports {report.result.get('failed', '?')} failing of "
                                f"{report.result.get('vectors', '?')} test vectors (status {final_status})")
    image = []  # about the image as a whole
    if exits_itself(target) and report.result is not None:
        expected_exit = _FIRMWARE_EXIT.get(final_status)  # None: a failure, any status but these
        if (outcome.exit_code != expected_exit if expected_exit is not None
                else outcome.exit_code in _FIRMWARE_EXIT.values()):
            image.append(f"QEMU exit status {outcome.exit_code} disagrees with the report ({final_status})")
    differences = []
    if report.result is not None:
        reported = int(report.result.get("models", "0") or 0)
        if reported != len(goldens):
            image.append(f"the image ran {reported} model(s), the build made golden data for {len(goldens)}")
        differences = compare_with_golden(report, goldens)
    problems = stopped + reported_failing + image + [str(d) for d in differences]
    if report.fault is not None:
        concluded = verdicts.CRASH
    elif outcome.timed_out or outcome.truncated:
        concluded = verdicts.HANG
    elif report.result is None:
        concluded = verdicts.CRASH
    elif problems:
        concluded = verdicts.MISMATCH
    else:
        concluded = verdicts.UNCHECKED if unchecked else verdicts.PASS
    return TestResult(target.name, not problems, problems, report, outcome, outcome.command,
                      qemu_version(outcome.command[0]), concluded, differences, stopped, image,
                      measure_accuracy(report, goldens) if report.result is not None else {})


def measure_accuracy(report: Report, goldens: list[Golden]) -> dict[str, dict]:
    """Each model with a float reference: the target's outputs scored against it (float_reference)."""
    from tinyml_build.verification.float_reference import target_accuracy

    found = {}
    for g in goldens:
        if g.accuracy is not None and g.model in report.models:
            found[g.model] = target_accuracy(g.accuracy, report.models[g.model].outputs)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyml_build.verification.qemu_runner",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="target name or targets/*.yaml path")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--max-output", type=int, default=DEFAULT_MAX_OUTPUT)
    parser.add_argument("--log", help="write the console output here")
    parser.add_argument("--json", help="write the verdict as JSON here")
    parser.add_argument("--junit", help="write the JUnit XML report here")
    parser.add_argument("elf")
    parser.add_argument("golden", nargs="+", help="golden/<model>.json files from the build")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
        goldens = [Golden.from_json(Path(g).read_text()) for g in args.golden]
        result = run_test(target, args.elf, goldens, args.timeout, args.max_output)
    except TinyMLError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(terminal(result.outcome.output, keep_newlines=True))
    if args.log:
        Path(args.log).write_text(result.outcome.output)
    if args.json:
        Path(args.json).write_text(json_text(result.summary(), indent=1) + "\n")
    if args.junit:
        from tinyml_build.verification import junit

        suites = junit.qemu_suites(result, goldens, target.clock_hz)
        Path(args.junit).write_text(junit.render(junit.title(target.name, [g.model for g in goldens]), suites,
                                                  result.outcome.seconds))
    for problem in result.problems:
        print(f"FAIL: {terminal(problem)}", file=sys.stderr)
    if result.verdict == verdicts.UNCHECKED:
        print("ran, outputs not checked: the image has no test vectors (test_vectors=0)", file=sys.stderr)
    return verdicts.EXIT_STATUS[result.verdict]


if __name__ == "__main__":
    sys.exit(main())
