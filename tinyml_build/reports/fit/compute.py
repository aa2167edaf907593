"""Step 4: compute and real time -- the latency at the target's clock, and whether it meets the
requirements.

Why pluggable: the figure has several sources of different trust (a DWT cycle count on silicon, a
board's console log given as measured=, the cycle model over QEMU's executed-instruction mix, QEMU's
bare instruction count). `ESTIMATORS` is tried in order and the first that knows wins; each says its
method, so the report states how much to trust the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import FAIL, NA, PASS, WARN, Chart, Section

MEASURED, ESTIMATED, LOWER_BOUND = "measured", "estimated", "lower bound"


@dataclass(frozen=True)
class Estimate:
    cycles: int  # per inference
    kind: str  # MEASURED, ESTIMATED or LOWER_BOUND
    method: str  # one sentence: how the figure was obtained
    per_op: tuple[tuple[str, int], ...] = ()  # (op label, cycles), when the source knows


def _run_time(inputs: ReportInputs, unit: str) -> int | None:
    """The run's TML-TIME per inference when it is in `unit`."""
    if inputs.run is None:
        return None
    time = inputs.run.model(inputs.model_name).get("time") or {}
    if time.get("unit") != unit:
        return None
    try:
        return int(time.get("per_inference"))
    except (TypeError, ValueError):
        return None


def dwt_cycles(inputs: ReportInputs) -> Estimate | None:
    """Cycles the DWT counted on silicon: measured, so it wins over any estimate."""
    count = _run_time(inputs, "cycles")
    if count is None:
        return None
    return Estimate(count, MEASURED, f"DWT cycle count per inference on {inputs.run.where}")


def cycle_model(inputs: ReportInputs) -> Estimate | None:
    """cycles.json: the per-core cycle model (flash wait states included) over the instruction mix QEMU
    executed, per op when profiled with op markers; measured=LOG's counts when given (they win there)."""
    entry = inputs.cycles
    if entry is None or entry.get("cycles") is None:
        return None
    per_op = tuple((str(op["op"]), int(op["cycles"])) for op in entry.get("per_op") or ())
    method = str(entry.get("method", ""))
    notes = [str(n) for n in entry.get("notes") or ()]
    if entry.get("measured"):
        source = entry.get("measured_source") or "a board's log"
        return Estimate(int(entry["cycles"]), MEASURED, f"cycles counted on the board ({source}); "
                        f"the cycle model gave {int(entry.get('estimated_cycles', 0)):,}", per_op)
    return Estimate(int(entry["cycles"]), ESTIMATED, " ".join([method, *(f"Note: {n}." for n in notes)]), per_op)


def qemu_instructions(inputs: ReportInputs) -> Estimate | None:
    """QEMU's instruction count: every instruction takes at least one cycle, so a lower bound."""
    count = _run_time(inputs, "qemu_instructions")
    if count is None:
        return None
    return Estimate(count, LOWER_BOUND, f"QEMU instructions per inference on {inputs.run.where}: 1 instruction = "
                                        "1 cycle lower bound without the cycle model (run `report`, which "
                                        "makes cycles.json; wait states and multi-cycle instructions come on top)")


# Tried in order, the first that knows wins: cycles counted on silicon, then cycles.json (measured=
# there, else the cycle model), then the QEMU lower bound (a build that made no cycle estimate).
ESTIMATORS: list[Callable[[ReportInputs], Estimate | None]] = [dwt_cycles, cycle_model, qemu_instructions]


def estimate(inputs: ReportInputs) -> Estimate | None:
    for estimator in ESTIMATORS:
        result = estimator(inputs)
        if result is not None:
            return result
    return None


def human_time(us: float) -> str:
    """12.3 us, or 1.23 ms from a millisecond on."""
    return f"{us:,.1f} us" if us < 1000 else f"{us / 1000:,.2f} ms"


def latency_ms(inputs: ReportInputs, est: Estimate) -> float | None:
    clock = inputs.target.clock_hz
    return 1000.0 * est.cycles / clock if clock else None


def _macs_chart(inputs: ReportInputs) -> Chart:
    """Per-op work (MACs): the split of time when no source gives per-op cycles."""
    ops = inputs.analysis.ops
    return Chart("MACs per op (per-op cycles come from `report`'s profiling image)", "MACs",
                 tuple((f"#{o.index} {o.name}", o.macs) for o in ops))


def section(inputs: ReportInputs) -> Section:
    est = estimate(inputs)
    chart = _macs_chart(inputs)
    if est is None:
        why = inputs.not_run or "not measured: the image was not run"
        if inputs.run is not None:
            why = (f"not measured: the run on {inputs.run.where} reported no time per inference "
                   f"(verdict: {inputs.run.test.get('verdict', 'unknown')})")
        if inputs.size is None:
            why = "not measured: no image (it does not fit)" if inputs.overflow else why
        return Section(4, "compute", "Compute and real time", NA, why, {"MACs": inputs.analysis.macs}, (chart,))
    ms = latency_ms(inputs, est)
    clock = inputs.target.clock_hz
    figures = {"cycles per inference": est.cycles, "kind": est.kind, "method": est.method,
               "clock (MHz)": clock / 1e6 if clock else "none",
               "latency (us)": round(ms * 1000.0, 1) if ms is not None else "n/a"}
    if est.per_op:
        chart = Chart("Cycles per op", "cycles", est.per_op)
    if ms is None:
        return Section(4, "compute", "Compute and real time", NA, "the target has no clock rate", figures, (chart,))
    deadline = inputs.requirements.deadline_ms
    shown = f"{human_time(ms * 1000.0)} at {clock / 1e6:g} MHz ({est.kind})"
    if deadline is None:
        return Section(4, "compute", "Compute and real time", NA,
                       f"{shown}; no latency_ms= or rate_hz= requirement to check against", figures, (chart,))
    figures["deadline (ms)"] = round(deadline, 3)
    if ms > deadline:
        return Section(4, "compute", "Compute and real time", FAIL,
                       f"{shown} misses the {deadline:g} ms deadline by {ms - deadline:.3f} ms", figures, (chart,))
    if est.kind == LOWER_BOUND and ms * 2 > deadline:
        return Section(4, "compute", "Compute and real time", WARN,
                       f"{shown} is within 2x of the {deadline:g} ms deadline and only a lower bound", figures,
                       (chart,))
    return Section(4, "compute", "Compute and real time", PASS, f"{shown} meets the {deadline:g} ms deadline",
                   figures, (chart,))
