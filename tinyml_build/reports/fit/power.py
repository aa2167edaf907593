"""Step 5: power -- energy per inference, average current and battery life.

Why this formula: a duty-cycled MCU runs an inference, then sleeps until the next, so
I_avg = I_idle + (I_inference - I_idle) * t_inference / T_period with the datasheet's run and
sleep currents (targets/<name>.yaml `power:`, which cites the table and conditions). A budget met
with a current nobody read in a copy of the datasheet is a WARN, not a PASS: the step shows each
figure's citation and says which are unverified.
"""

from __future__ import annotations

from tinyml_build.reports.fit import compute
from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import FAIL, NA, PASS, WARN, Section


def average_current_ma(run_ma: float, sleep_ma: float, t_inference_ms: float, period_ms: float | None) -> float:
    """I_avg = I_idle + (I_run - I_idle) * t / T; back-to-back inferences (no period) draw I_run."""
    if period_ms is None or t_inference_ms >= period_ms:
        return run_ma
    return sleep_ma + (run_ma - sleep_ma) * t_inference_ms / period_ms


def section(inputs: ReportInputs) -> Section:
    power, req = inputs.target.power, inputs.requirements
    if power is None:
        why = inputs.target.no_power_data or ("add power: {run_ma, sleep_ma, voltage_v, run, sleep} from its "
                                              "datasheet to the target file")
        return Section(5, "power", "Power", NA, f"no power data for {inputs.target.name}: {why}")
    est = compute.estimate(inputs)
    ms = compute.latency_ms(inputs, est) if est else None
    figures = {"run current (mA)": power.run_ma, "sleep current (mA)": power.sleep_ma,
               "supply (V)": power.voltage_v, "run current from": power.run.text,
               "sleep current from": power.sleep.text, "verified": _verified(power)}
    if ms is None:
        why = f" ({inputs.not_run})" if inputs.run is None and inputs.not_run else ""
        return Section(5, "power", "Power", NA, f"no time per inference (step 4), so no energy{why}", figures)
    period = req.period_ms
    i_avg = average_current_ma(power.run_ma, power.sleep_ma, ms, period)
    energy_uj = power.voltage_v * power.run_ma * ms  # V * mA * ms = uJ
    p_avg = power.voltage_v * i_avg
    figures.update({"energy per inference (uJ)": round(energy_uj, 3), "average current (mA)": round(i_avg, 4),
                    "average power (mW)": round(p_avg, 3),
                    "period": f"{period:g} ms (rate_hz)" if period else "none: back-to-back inferences"})
    basis = f"{compute.human_time(ms * 1000.0)} per inference, {est.kind}"
    problems, checks = [], []
    if req.power_mw is not None:
        (problems if p_avg > req.power_mw else checks).append(
            f"average {p_avg:.3f} mW {'over' if p_avg > req.power_mw else 'within'} the {req.power_mw:g} mW budget")
    if req.battery_mah is not None and req.life_days is not None:
        days = req.battery_mah / i_avg / 24.0
        figures["battery life (days)"] = round(days, 1)
        (problems if days < req.life_days else checks).append(
            f"battery life {days:,.1f} days {'short of' if days < req.life_days else 'meets'} {req.life_days:g} days")
    trust = _trust(power)
    if problems:
        return Section(5, "power", "Power", FAIL, "; ".join(problems) + f" ({basis}){trust}", figures)
    if checks:
        return Section(5, "power", "Power", WARN if power.unverified else PASS,
                       "; ".join(checks) + f" ({basis}){trust}", figures)
    return Section(5, "power", "Power", NA, f"{energy_uj:.3f} uJ per inference, {p_avg:.3f} mW average ({basis}); "
                                            f"no power_mw= or battery_mah= + life_days= to check against{trust}",
                   figures)


def _verified(power) -> str:
    """'yes' when both currents were read in a copy of the datasheet, else which were not."""
    if power.unverified:
        return f"no: {' and '.join(power.unverified)} not checked against the datasheet"
    return "yes: both currents read in a copy of the datasheet"


def _trust(power) -> str:
    """What the verdict rests on, when a current is unverified."""
    if not power.unverified:
        return ""
    return f"; the {' and '.join(power.unverified)} of the target file are UNVERIFIED datasheet figures"
