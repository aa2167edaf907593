"""Which runtime builds a model, and what each one lacks: `inspect` answers "will aot or tflm take my
model?" before any build, with the same verdict and message the build would give.

Why the real lowering and not a table lookup: aot refuses by type and shape too (an int64 ADD, a
dynamic shape), and only lowering the model says so; it takes well under a second on TinyML models.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import Model


@dataclass(frozen=True)
class RuntimeSupport:
    runtime: str
    builds: bool
    lacks: tuple[str, ...]  # op names the runtime has no kernel or lowering for, sorted
    reason: str = ""  # the build's refusal (what), '' when it builds
    fix: str = ""
    notes: tuple[str, ...] = ()  # limits of kernel libraries the build works around or refuses
    memory: dict | None = None  # the runtime's own plan in bytes, where it is known before a build

    def as_dict(self) -> dict:
        return {"builds": self.builds, "lacks": list(self.lacks), "reason": self.reason, "fix": self.fix,
                "notes": list(self.notes), "memory": self.memory}


def _refused(runtime: str, lacks, err: TinyMLError, notes=()) -> RuntimeSupport:
    return RuntimeSupport(runtime, False, tuple(lacks), err.what, err.fix or "", tuple(notes))


def aot_support(model: Model) -> RuntimeSupport:
    """runtime=aot: the ops without a lowering, and whether lowering the whole model succeeds."""
    from tinyml_build.runtimes.aot.decode_fold import flash_note
    from tinyml_build.runtimes.aot.lower import lower_model
    from tinyml_build.runtimes.aot.ops import lowerings

    table = lowerings()
    lacks = sorted({name for name in model.op_names() if name not in table})
    try:
        program = lower_model(model)
    except TinyMLError as err:
        return _refused("aot", lacks, err)
    memory = {"arena_bytes": program.arena_size, "arena_lower_bound_bytes": program.arena_lower_bound,
              "op_state_bytes": program.state_bytes, "model_data_bytes": program.model_bytes}
    note = flash_note(model)
    return RuntimeSupport("aot", True, tuple(lacks), memory=memory, notes=(note,) if note else ())


def tflm_support(model: Model, aot_builds: bool | None = None) -> RuntimeSupport:
    """runtime=tflm: what the build checks (the analysis' errors, ops missing from the op inventory or
    needing code the lock does not pin), the types and constant inputs TFLM's reference kernels
    refuse (analysis/reference_limits.py; aot's verdict picks the fix, as in the build) and the kernel
    libraries' limits (analysis/kernel_limits.py)."""
    from tinyml_build.analysis import op_inventory
    from tinyml_build.analysis.analyze import analyze, check_buildable
    from tinyml_build.analysis.kernel_limits import library_refusals
    from tinyml_build.analysis.reference_limits import reference_refusals, refusal
    from tinyml_build.runtimes.tflm.sources import required_dependencies

    names = sorted(set(model.op_names()))
    notes = [f"kernels={library}: {reason}" for library, reason in library_refusals(model)]
    lacks = [name for name in names if name not in op_inventory.OPS]
    try:
        check_buildable(analyze(model))  # what the build checks first (hybrid quantization, shapes...)
        op_inventory.lookup_all(names, where=model.path)
        required_dependencies(names, op_inventory.REFERENCE)
    except TinyMLError as err:
        return _refused("tflm", lacks, err, notes)
    refused = [reason for _op, reason in reference_refusals(model)]
    if refused:
        what, fix = refusal(refused, bool(aot_builds))
        return RuntimeSupport("tflm", False, tuple(lacks), what, fix, tuple(notes))
    return RuntimeSupport("tflm", True, tuple(lacks), notes=tuple(notes))


def runtime_support(model: Model) -> list[RuntimeSupport]:
    aot = aot_support(model)
    return [aot, tflm_support(model, aot.builds)]
