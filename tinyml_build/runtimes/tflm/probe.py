"""Running the arena probe image (tml_arena_probe.c) in QEMU and reading what it measured.

The probe prints one TML-ARENA line per model and a final TML-RESULT line (so UART targets,
whose QEMU never exits by itself, are stopped by the runner). See tinyml_build.runtimes.tflm.arena.
"""

from __future__ import annotations

from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import TinyMLError
from tinyml_build.fileio import write_atomic
from tinyml_build.runtimes.tflm.arena import ProbeResult, parse_probe_output
from tinyml_build.verification.qemu_runner import run_image

PROBE_TIMEOUT = 120.0  # seconds: setting a model up a dozen times is quick even for person_detect


def run_probe(target: Target, elf: str | Path, models: list[str], log: str | Path,
              timeout: float = PROBE_TIMEOUT) -> dict[str, ProbeResult]:
    """{model: ProbeResult}; the console output goes to `log`. TinyMLError on a crash, hang or failure."""
    outcome = run_image(target, elf, timeout)
    write_atomic(str(log), outcome.output)
    where = str(log)
    if "TML-FAULT" in outcome.output:
        raise TinyMLError(f"the arena probe crashed on {target.name} ({target.emulator.machine})", where=where,
                          fix="the fault registers are in the log; the TFLM or kernel build is broken")
    if outcome.timed_out:
        raise TinyMLError(f"the arena probe did not finish within {timeout:g} s on {target.name}", where=where,
                          fix="pass qemu_timeout=<seconds> if the machine is slow")
    return parse_probe_output(outcome.output, models, where)
