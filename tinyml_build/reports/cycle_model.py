"""Estimated cycles and latency of an inference from its executed-instruction mix.

Why an estimate: QEMU executes instructions, it does not model a pipeline. The estimate multiplies
each class of the executed mix (reports/instruction_mix.py) by the core's cycles for that class
(reports/core_timings.yaml, from the manuals' instruction timing tables), adds the registers moved
by multiple loads/stores, and the flash wait states of the target (targets/*.yaml flash_timing):

  * accelerator none: every flash read of fetch_bytes waits wait_states cycles, and so does the
    refetch after each taken branch, call and return;
  * prefetch: sequential fetches are hidden by the prefetch buffer, each taken branch, call and
    return pays wait_states;
  * none and prefetch: each data load from flash (weights, constants, literals; counted by the QEMU
    plugin in the image's flash region) pays wait_states as well -- there is no data cache;
  * cache (ART accelerator, L1 I-cache): modelled as always hitting -- NN kernels' inner loops fit
    the cache -- so no penalty: a lower bound for code that misses.

Not modelled: data-dependent multiply/divide early termination (a middle value is used), branch
prediction beyond the static taken/not-taken rule, bus contention, the fetch stalls of 32-bit
instructions a narrow prefetch buffer cannot hide, cache misses, interrupts. When the same firmware runs on a
board, its DWT/CCOUNT cycle line replaces the estimate (reports/measured_cycles.py).

    estimate = estimate_cycles(mix, target, per_op=[("CONV_2D #0", op_mix), ...])
    estimate.cycles, estimate.latency_us, estimate.method
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinyml_build.config.target import FlashTiming, Target
from tinyml_build.reports.core_timings import CoreTiming, core_for_cpu
from tinyml_build.reports.instruction_mix import CLASSES, InstructionMix

MULTIPLE_CLASSES = ("load_multiple", "store_multiple", "return")  # their registers cost per_register each
TRANSFER_CLASSES = ("branch_taken", "call", "return")  # each refetches from the new address


@dataclass(frozen=True)
class OpCycles:
    label: str  # e.g. "#3 CONV_2D"
    instructions: float
    cycles: float


@dataclass(frozen=True)
class CycleEstimate:
    """Cycles per inference; `measured` is set (and `cycles` is it) when a board's log replaced the estimate."""

    core: str
    cycles: float
    instructions: float
    per_class: dict[str, float]  # cycles by class, the flash penalty as "flash_wait"
    per_op: tuple[OpCycles, ...]
    clock_hz: int | None
    method: str
    estimated_cycles: float
    measured: bool = False
    measured_source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def latency_us(self) -> float | None:
        return None if not self.clock_hz else self.cycles * 1e6 / self.clock_hz

    def as_dict(self) -> dict:
        return {"core": self.core, "cycles": round(self.cycles), "estimated_cycles": round(self.estimated_cycles),
                "instructions": round(self.instructions), "clock_hz": self.clock_hz,
                "latency_us": None if self.latency_us is None else round(self.latency_us, 1),
                "measured": self.measured, "measured_source": self.measured_source, "method": self.method,
                "per_class": {c: round(v) for c, v in self.per_class.items() if v},
                "per_op": [{"op": o.label, "instructions": round(o.instructions), "cycles": round(o.cycles)}
                           for o in self.per_op],
                "notes": list(self.notes)}


def flash_penalty(mix: InstructionMix, flash: FlashTiming | None) -> float:
    """Wait-state cycles the mix pays fetching code from flash (see the module docstring)."""
    if flash is None or flash.wait_states == 0 or flash.accelerator == "cache":
        return 0.0
    transfers = sum(mix.counts.get(c, 0) for c in TRANSFER_CLASSES)
    penalty = (transfers + mix.flash_loads) * flash.wait_states
    if flash.accelerator == "none":
        penalty += mix.fetched_bytes / flash.fetch_bytes * flash.wait_states
    return penalty


def class_cycles(mix: InstructionMix, core: CoreTiming) -> dict[str, float]:
    """Cycles by class: count x the class's cycles, plus per_register for every register moved."""
    out = {}
    for cls in CLASSES:
        cycles = mix.counts.get(cls, 0) * core.cycles[cls]
        if cls in MULTIPLE_CLASSES:
            cycles += mix.registers.get(cls, 0) * core.per_register
        out[cls] = cycles
    return out


def mix_cycles(mix: InstructionMix, core: CoreTiming, flash: FlashTiming | None = None) -> float:
    return sum(class_cycles(mix, core).values()) + flash_penalty(mix, flash)


def method_text(core: CoreTiming, flash: FlashTiming | None) -> str:
    """How the figure was made, in one paragraph the report prints beside it."""
    basis = ("the manual's per-instruction timing table" if core.basis == "published"
             else "a pipeline description (the vendor publishes no per-instruction table: coarser)")
    if flash is None or flash.wait_states == 0:
        memory = "code in zero-wait-state memory"
    elif flash.accelerator == "cache":
        memory = (f"flash {flash.wait_states} wait states hidden by the cache/accelerator, modelled as always "
                  f"hitting ({flash.reference})")
    elif flash.accelerator == "prefetch":
        memory = (f"flash {flash.wait_states} wait states paid after each taken branch, call and return and by each "
                  f"data load from flash, sequential fetches hidden by the prefetch buffer ({flash.reference})")
    else:
        memory = (f"flash {flash.wait_states} wait states per {flash.fetch_bytes}-byte fetch and per data load from "
                  f"flash ({flash.reference})")
    return (f"Estimate, not a measurement: QEMU's executed instructions, classified by disassembly, times the "
            f"cycles per class of {core.name} from {basis} [{core.source}]; conditional branches taken or not as "
            f"counted where the next instruction has no other way in, else backward taken, forward not taken; "
            f"{memory}. A DWT/CCOUNT cycle line from the board replaces it.")


def estimate_cycles(mix: InstructionMix, target: Target, per_op=(), core: CoreTiming | None = None) -> CycleEstimate:
    """Cycles of one inference of `mix` (per inference) on `target`'s core and flash; `per_op`: (label, mix)."""
    core = core or core_for_cpu(target.cpu)
    flash = target.flash_timing
    per_class = class_cycles(mix, core)
    penalty = flash_penalty(mix, flash)
    if penalty:
        per_class["flash_wait"] = penalty
    total = sum(per_class.values())
    ops = tuple(OpCycles(label, op_mix.total, mix_cycles(op_mix, core, flash)) for label, op_mix in per_op)
    notes = []
    branches = mix.branches_counted + mix.branches_assumed
    if branches:
        notes.append(f"{100 * mix.branches_counted / branches:.0f}% of the conditional branches were split into taken "
                     "and not taken by the counts, the rest by the static rule")
    if mix.unknown:
        notes.append(f"{round(mix.unknown)} executed instructions outside the ELF's code were counted as 'other'")
    return CycleEstimate(core.name, total, mix.total, per_class, ops, target.clock_hz, method_text(core, flash),
                         total, notes=tuple(notes))
