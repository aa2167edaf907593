"""test.xml: a test run as JUnit XML, the report format CI systems read.

Why: CI shows failing tests from a JUnit file without anyone reading test.log. Shape (the
common JUnit schema, as Jenkins, GitLab and GitHub test reporters read it):

    <testsuites name="tinyml_build test qemu-m4" tests= failures= errors= skipped= time=>
      <testsuite name="qemu-m4.kws" tests= failures= errors= skipped= time=>
        <properties><property name="verdict" value="mismatch"/>...</properties>
        <testcase classname="qemu-m4.kws" name="vector 3: random seed=1234 #0" time=>
          <failure type="mismatch" message="output 0: 1 of 12 bytes differ; first at byte 5: ...">...</failure>
        </testcase>
        ...
      </testsuite>
    </testsuites>

One testsuite per model, one testcase per test vector (the golden data's vectors, in order: the
names only change when the model's samples, test_vectors= or seed= do); a model built without test
vectors has one testcase, "fixed input (zero points)", <skipped> when it ran (nothing was checked).
A <failure> is a vector the program computed wrongly, with the differing outputs and their first differing byte; an
<error> is a vector a crash or a hang kept from finishing, with the reason and the end of the
console log. A problem outside every vector (a fault in the timing loop, a wrong exit status)
adds a testcase named "firmware run" to the model it happened in. Testcase times are the
model's measured time per inference on the emulated core (QEMU -icount: one instruction per
ns), suite times the run's host seconds. Every text goes through escape.xml_text, and
ElementTree escapes the rest, so any model or console output gives a well-formed file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tinyml_build.escape import xml_text
from tinyml_build.verification import verdict as verdicts

LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000
RUN_CASE = "firmware run"


@dataclass(frozen=True)
class Problem:
    kind: str  # the element's type attribute: mismatch, setup, invoke, crash, hang, not-run, ...
    message: str  # one line
    text: str = ""  # details: every differing output, the console log's end


@dataclass
class Case:
    name: str
    classname: str
    time: float | None = None
    failure: Problem | None = None  # the program finished and this case is wrong
    error: Problem | None = None  # the program did not finish this case
    skipped: str | None = None  # ran but checked nothing (a model built without test vectors): why


@dataclass
class Suite:
    name: str
    cases: list[Case] = field(default_factory=list)
    time: float | None = None
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return sum(1 for c in self.cases if c.failure is not None and c.error is None)

    @property
    def errors(self) -> int:
        return sum(1 for c in self.cases if c.error is not None)

    @property
    def skipped(self) -> int:
        return sum(1 for c in self.cases if c.skipped is not None and c.failure is None and c.error is None)


def _seconds(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"


def _counts(element: ET.Element, suites: list[Suite]) -> None:
    element.set("tests", str(sum(len(s.cases) for s in suites)))
    element.set("failures", str(sum(s.failures for s in suites)))
    element.set("errors", str(sum(s.errors for s in suites)))
    element.set("skipped", str(sum(s.skipped for s in suites)))


def render(name: str, suites: list[Suite], time: float | None = None) -> str:
    """The JUnit XML text (UTF-8, with an XML declaration) of `suites`."""
    root = ET.Element("testsuites", name=xml_text(name))
    _counts(root, suites)
    if time is not None:
        root.set("time", _seconds(time))
    for suite in suites:
        element = ET.SubElement(root, "testsuite", name=xml_text(suite.name))
        _counts(element, [suite])
        if suite.time is not None:
            element.set("time", _seconds(suite.time))
        if suite.properties:
            properties = ET.SubElement(element, "properties")
            for key, value in suite.properties.items():
                ET.SubElement(properties, "property", name=xml_text(key), value=xml_text(value))
        for case in suite.cases:
            testcase = ET.SubElement(element, "testcase", classname=xml_text(case.classname), name=xml_text(case.name))
            if case.time is not None:  # left out where nothing measured it
                testcase.set("time", _seconds(case.time))
            for tag, problem in (("error", case.error), ("failure", case.failure if case.error is None else None)):
                if problem is not None:
                    child = ET.SubElement(testcase, tag, type=xml_text(problem.kind), message=xml_text(problem.message))
                    child.text = xml_text(problem.text or problem.message)
            if case.skipped is not None and case.failure is None and case.error is None:
                ET.SubElement(testcase, "skipped", message=xml_text(case.skipped))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def title(target: str, models) -> str:
    """The <testsuites> name of one test run: 'tinyml_build test qemu-m4 kws+hello_world'."""
    return f"tinyml_build test {target} {'+'.join(models)}"


def log_tail(text: str, lines: int = LOG_TAIL_LINES, chars: int = LOG_TAIL_CHARS) -> str:
    """The end of a console log: its last `lines` lines, at most `chars` characters."""
    tail = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return tail[-chars:]


# ---------------------------------------------------------------------------------------------
# `scons target=<qemu target> ... test`: one QEMU run of an image


def _inference_seconds(time_facts: dict[str, str], clock_hz: int | None) -> float | None:
    """A model's TML-TIME per inference in seconds of the emulated (or real) core's time."""
    try:
        value = int(time_facts.get("per_inference", ""))
    except ValueError:
        return None
    unit = time_facts.get("unit")
    if unit == "qemu_instructions":
        return value * 1e-9  # -icount shift=0: one instruction is 1 ns of emulated time
    if unit == "cycles" and clock_hz:
        return value / clock_hz
    return None


def _stop_position(report, goldens) -> str | None:
    """The model an unfinished run stopped in: the last one the firmware announced (TML-MODEL), or
    the next one when that model's report was complete (TML-TIME): it stopped setting that one up."""
    names = [g.model for g in goldens]
    reached = [i for i, name in enumerate(names) if name in report.models]
    if not reached:
        return names[0] if names else None
    last = reached[-1]
    if report.models[names[last]].time and last + 1 < len(names):
        return names[last + 1]
    return names[last]


def qemu_suites(result, goldens, clock_hz: int | None = None) -> list[Suite]:
    """One Suite per model of an image, from qemu_runner's TestResult and the build's golden data
    (in the image's model order)."""
    report, outcome = result.report, result.outcome
    finished = not result.stopped
    differences: dict[tuple[str, int | None], list[str]] = {}
    for d in result.differences:
        differences.setdefault((d.model, d.vector), []).append(d.text)
    stop = None
    if not finished:
        reason = result.stopped[0]
        qemu_said = outcome.stderr.strip() and report.fault is None and not outcome.timed_out  # why QEMU ended
        stop = Problem(result.verdict, reason,
                       f"{reason}\n\nEnd of the console log (test.log):\n{log_tail(outcome.output)}"
                       + (f"\n\nQEMU's error output:\n{log_tail(outcome.stderr, 10)}" if qemu_said else ""))
    stopped_in = _stop_position(report, goldens) if stop is not None else None
    suites = []
    for g in goldens:
        name = f"{result.target}.{g.model}"
        m = report.models.get(g.model)
        seconds = _inference_seconds(m.time, clock_hz) if m is not None else None
        suite = Suite(name, time=outcome.seconds,
                      properties={"target": result.target, "model": g.model, "verdict": result.verdict,
                                  "qemu": result.qemu_version, "oracle": g.reference,
                                  "oracle_tflm_commit": g.oracle.get("tflm_commit", "unknown")})
        if m is not None and m.time.get("per_inference"):
            suite.properties[f"{m.time.get('unit', 'time')}_per_inference"] = m.time["per_inference"]
        setup_failed = m is not None and (m.facts.get("init") == "FAIL" or (finished and not m.vectors))
        for v, vector in enumerate(g.vectors):
            case = Case(f"vector {v}: {vector.label}", name, seconds)
            reported = m.vectors.get(v) if m is not None else None
            found = differences.get((g.model, v), [])
            if reported is None and not finished:
                if g.model == stopped_in:
                    case.error, stopped_in = stop, None  # the vector it stopped in
                else:
                    case.error = Problem("not-run", f"not run: the firmware stopped before it ({result.verdict})")
            elif m is None:
                case.failure = Problem("mismatch", f"model {g.model} is not in the firmware's report")
            elif setup_failed:
                case.failure = Problem("setup", f"model {g.model} could not be set up (init() or its tensor shapes; "
                                                "see test.log)", log_tail(outcome.output))
            elif reported is not None and "invoke" in reported:
                case.failure = Problem("invoke", f"invoke() returned status {reported['invoke']}")
            elif found or (reported is not None and reported.get("status") != "PASS"):
                own = ""
                if reported is not None and reported.get("status") != "PASS":
                    own = "the firmware's own comparison failed" + (
                        f" (first mismatch at output:byte {reported['first_mismatch']})"
                        if reported.get("first_mismatch") else "")
                case.failure = Problem("mismatch", found[0] if found else own,
                                       "\n".join(found + ([own] if own else [])))
            suite.cases.append(case)
        if not g.vectors:  # built without test vectors: one fixed-input run, reported as skipped
            suite.cases.append(_fixed_input_case(name, seconds, m.vectors.get(0) if m is not None else None,
                                                 finished, differences.get((g.model, None), [])))
        run_problems = result.image_problems if not suites else []  # the image as a whole: on the first model
        if g.model == stopped_in:  # it stopped in this model, outside every vector (e.g. its timing loop)
            suite.cases.append(Case(RUN_CASE, name, error=stop))
            stopped_in = None
        elif run_problems:
            suite.cases.append(Case(RUN_CASE, name, failure=Problem("run", run_problems[0], "\n".join(run_problems))))
        suites.append(suite)
    unexplained = result.verdict not in (verdicts.PASS, verdicts.UNCHECKED)
    if suites and unexplained and not any(x.failures or x.errors for x in suites):
        # a problem none of the above places (it should not happen): the file still shows the failure
        problem = stop or Problem("run", result.problems[0] if result.problems else result.verdict,
                                  "\n".join(result.problems))
        suites[0].cases.append(Case(RUN_CASE, suites[0].name, error=problem if stop else None,
                                    failure=None if stop else problem))
    return suites


FIXED_INPUT_CASE = "fixed input (zero points)"


def _fixed_input_case(classname: str, seconds, reported: dict | None, finished: bool, found: list[str]) -> Case:
    """The testcase of a model built without test vectors: skipped when it ran (its outputs were not
    checked), a failure when it did not run to the end of its fixed input."""
    case = Case(FIXED_INPUT_CASE, classname, seconds)
    if reported is not None and reported.get("status") == "NOCHECK" and not found:
        case.skipped = "ran; outputs not checked (built with test_vectors=0 and no samples)"
    elif finished:
        case.failure = Problem("invoke" if reported and "invoke" in reported else "mismatch",
                               found[0] if found else "the fixed-input run did not report NOCHECK", "\n".join(found))
    else:
        case.error = Problem("not-run", "not run: the firmware stopped before it")
    return case


# ---------------------------------------------------------------------------------------------
# `scons target=host ... runtime=aot test`: the aot C compiled and run on the build machine


def host_suites(tests) -> list[Suite]:
    """One Suite per model from host_check's HostTest results; one testcase per seeded run."""
    from tinyml_build.verification.host_check import input_label

    suites = []
    for test in tests:
        name = f"host.{test.model}"
        oracle = test.summary()["oracle"]
        suite = Suite(name, time=test.seconds, properties={"target": "host", "model": test.model,
                                                            "verdict": test.verdict, "seed": str(test.seed),
                                                            "oracle": oracle.get("name", "unknown"),
                                                            "oracle_tflm_commit": oracle.get("tflm_commit", "unknown")})
        for run in range(test.runs):
            case = Case(input_label(run, test.seed), name)
            if test.error is not None:  # one program runs every run: none of them could be compared
                text = f"{test.error.what}\n\nEnd of the program's error output:\n{log_tail(test.error.output)}"
                case.error = Problem(test.verdict, test.error.what.splitlines()[0], text)
            else:
                found = test.report.run_problems.get(run, [])
                if found:
                    case.failure = Problem(verdicts.MISMATCH, found[0], "\n".join(found))
            suite.cases.append(case)
        suites.append(suite)
    return suites
