"""A board's measured cycles per inference replace the estimate.

Why: the cycle model is an estimate; the firmware on a real board times each model with its own
cycle counter (DWT on Cortex-M, CCOUNT on Xtensa, mpccr on ESP32-C3) and prints
`TML-TIME model=<name> unit=cycles per_inference=<n> runs=<r>` (verification/src/main.c). Given that
console log (`measured=`, captured by the `monitor` alias or any serial terminal), this module reads
those lines and swaps the numbers in, keeping the estimate beside them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tinyml_build.errors import TinyMLError
from tinyml_build.escape import terminal


def parse_measured(text: str) -> dict[str, int]:
    """Model name -> measured cycles per inference, from the TML-TIME unit=cycles lines of a console log."""
    from tinyml_build.verification.qemu_runner import parse_report

    found = {}
    for name, model in parse_report(text.replace("\r\n", "\n")).models.items():
        if model.time.get("unit") == "cycles" and model.time.get("per_inference", "").isdigit():
            found[name] = int(model.time["per_inference"])
    return found


def read_measured(path: Path) -> dict[str, int]:
    """parse_measured of a log file; TinyMLError when it has no cycle line."""
    try:
        text = Path(path).read_bytes().decode("utf-8", "replace")
    except OSError as err:
        raise TinyMLError(f"cannot read the measured log: {err.strerror}", where=f"measured={path}",
                          fix="pass the console log captured from the board (scons ... monitor port=...)") from None
    found = parse_measured(text)
    if not found:
        raise TinyMLError("the log has no `TML-TIME ... unit=cycles` line", where=f"measured={path}",
                          fix="capture the whole run of a test image on a board with a cycle counter "
                              "(cycle_timer: dwt/ccount/mpccr); QEMU logs count instructions, not cycles")
    return found


def apply_measured(estimates: dict, measured: dict[str, int], source: str) -> dict:
    """The estimates with each measured model's cycles replaced (the estimate kept as estimated_cycles)."""
    out = {}
    for name, estimate in estimates.items():
        if name in measured:
            out[name] = replace(estimate, cycles=float(measured[name]), measured=True, measured_source=source,
                                method="Measured on the board by its cycle counter (TML-TIME unit=cycles in "
                                       f"{terminal(source)}); the estimate is kept as estimated_cycles. "
                                       + estimate.method)
        else:
            out[name] = estimate
    missing = sorted(set(measured) - set(estimates))
    if missing:
        raise TinyMLError(f"the measured log names model(s) not in this image: {', '.join(map(terminal, missing))}",
                          where=f"measured={source}", fix="pass the log of the same firmware")
    return out
