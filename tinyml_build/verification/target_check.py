"""Run a model's generated aot C on an emulated Cortex-M4 and compare every op output with TFLM.

Why, next to host_check: the kernels take Armv7E-M SIMD paths (SMLAD, SXTB16) that the host
build never executes. This cross-compiles the same generated code (-Werror) into a small
program on the firmware's own platform layer, linker script and flags for a QEMU target
(qemu-m4: mps2-an386; cortex_m_program.py), runs it through the QEMU runner on the same seeded
inputs, and compares a hash of every op output tensor with the tflite-micro interpreter's,
reporting the first op whose output differs. The interpreter is the oracle a firmware build of the
model for that target uses (oracle.oracle_for): for ops calling libm where newlib and
glibc differ, the pinned TFLM on the same emulated core.

    python -m tinyml_build.verification.target_check model.tflite [--runs 3] [--target qemu-m4]
"""

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.analysis.op_inventory import REFERENCE
from tinyml_build.config.targets import Target, load_target
from tinyml_build.escape import terminal
from tinyml_build.model.reader import Model, load_model
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, HOST_DIR
from tinyml_build.runtimes.aot.emit import kernel_sources, render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.cortex_m_program import ProgramBuilder, ProgramBuildError
from tinyml_build.verification.host_check import (
    HostCheckError,
    check_each,
    random_inputs,
    run_tflm,
    stopped_differently,
)
from tinyml_build.verification.oracle import oracle_for
from tinyml_build.verification.oracle.differences import blind_spot_at
from tinyml_build.verification.qemu_runner import DEFAULT_TIMEOUT

CHECK_TARGET = "qemu-m4"  # Cortex-M4F with the DSP extension: the SIMD32 kernel paths
CHECK_MAIN = HOST_DIR / "cortex_m_main.c"
_HASH = re.compile(r"^TML-HASH run=(\d+) op=(\d+) tensor=(\d+) fnv1a=(\d+)$", re.MULTILINE)
_NOT_READY = re.compile(r"^TML-NOT-READY run=(\d+)$", re.MULTILINE)


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


@dataclass
class TargetReport:
    model: str
    runs: int
    cpu: str  # e.g. 'cortex-m4 (QEMU mps2-an386, target qemu-m4)'
    mismatch: str | None  # the first op output that differs, None when all are equal
    mismatch_at: tuple[str, str] | None = None  # (op, output type) of that first difference
    blind_spots: tuple[str, ...] = ()  # what the oracle cannot judge in this model (Oracle.blind_spots)

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def unjudged_difference(self) -> str | None:
        """The oracle's blind spot where the first difference starts, or None (see blind_spot_at)."""
        return None if self.mismatch_at is None else blind_spot_at(self.blind_spots, *self.mismatch_at)

    def __str__(self) -> str:
        head = f"{terminal(self.model)}: {self.runs} runs on {self.cpu}: "
        return head + ("bit-exact with tflite-micro (every op output, every run)" if self.ok
                       else "MISMATCH\n  " + terminal(self.mismatch))


def _inputs_source(inputs) -> str:
    data = b"".join(a.tobytes() for run in inputs for a in run)
    rows = [", ".join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)] or ["0"]
    return ("#include <stdint.h>\nextern const uint8_t tml_check_inputs[];\nextern const uint32_t tml_check_runs;\n"
            "const uint8_t tml_check_inputs[] = {\n" + ",\n".join(rows) + "\n};\n"
            f"const uint32_t tml_check_runs = {len(inputs)}u;\n")


def build_check_program(program, inputs, work: Path, target: Target | None = None, trace: bool = True
                        ) -> tuple[ProgramBuilder, Path]:
    """The lowered `program` with cortex_m_main.c on `inputs` (per run, one array per input) as a
    program for `target` (default qemu-m4) in `work`; `trace` prints every op output's hash.
    Returns the builder (to run it) and the ELF."""
    builder = ProgramBuilder(target if target is not None else load_target(CHECK_TARGET), work)
    gen = work / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    files = render(program)
    for name, text in files.items():
        (gen / name).write_text(text)
    (gen / "tml_check_inputs.c").write_text(_inputs_source(inputs))
    defines = [f"TML_MODEL_API={program.name}_model_api"] + (["TML_AOT_TRACE"] if trace else [])
    settings = {"include_dirs": [gen, AOT_INCLUDE_DIR], "defines": defines, "extra_flags": ["-Werror"]}
    try:
        objects = builder.compile([gen / f for f in files if f.endswith(".c")] + list(kernel_sources(program)), "obj",
                                  fast=True, **settings)
        objects += builder.compile([CHECK_MAIN, gen / "tml_check_inputs.c"], "app", **settings)
    except ProgramBuildError as err:
        raise HostCheckError(f"generated C for '{program.name}' does not build for {builder.target.name}:",
                             details=err.what + "".join(f"\n{line}" for line in err.detail_lines),
                             where=str(work),
                             fix="this is a bug in the aot runtime; report it with the model") from None
    return builder, builder.link(objects, work / "model_check.elf")


def check_on_cortex_m(model: Model | str | Path, runs: int = 3, seed: int = 0, workdir: str | Path | None = None,
                      program=None, timeout: float = DEFAULT_TIMEOUT,
                      target: Target | str = CHECK_TARGET, inputs: list | None = None) -> TargetReport:
    """As host_check.check_model, on the target in QEMU: `inputs` (per run, one array per graph input)
    replaces the `runs` seeded ones, for inputs a test designs (e.g. every int8 value per channel)."""
    if not isinstance(model, Model):
        model = load_model(model)
    target = target if isinstance(target, Target) else load_target(target)
    program = program if program is not None else lower_model(model)
    inputs = inputs if inputs is not None else random_inputs(model, runs, seed)
    runs = len(inputs)
    with tempfile.TemporaryDirectory(prefix="tml_aot_m4_") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        builder, elf = build_check_program(program, inputs, work, target)
        run = builder.run(elf, timeout)
    if run.timed_out or run.exit_code != 0 or f"TML-RESULT status=DONE runs={runs}" not in run.output:
        why = (f"no final report within {timeout:g} s" if run.timed_out
               else "it crashed (fault registers below)" if "TML-FAULT" in run.output
               else f"exit status {run.exit_code}")
        raise HostCheckError(f"generated model '{program.name}' failed on QEMU {target.emulator.machine}: {why}",
                             details=run.output[-2000:] + run.stderr[-2000:],
                             fix="this is a bug in the aot runtime; report it with the model")
    hashes = {(int(r), int(tensor)): int(h) for r, _op, tensor, h in _HASH.findall(run.output)}
    oracle = oracle_for(model, REFERENCE, target=target)
    tflm_outputs, tflm = run_tflm(model, inputs, oracle=oracle)
    mismatch = mismatch_at = None
    lowered = {step.op_index for step in program.steps}
    stopped = {int(r) for r in _NOT_READY.findall(run.output)}
    for r in range(runs):
        if (r in stopped) != (tflm_outputs[r] is None):  # a CIRCULAR_BUFFER not ready on one side only
            mismatch = f"run {r}: {stopped_differently(r in stopped)}"
            break
        if r in stopped:  # stopped on both sides: nothing new to compare
            continue
        for op in model.main.operators:
            if op.index not in lowered:  # not run: its result is never used
                continue
            for index in op.outputs:
                if model.main.tensors[index].dtype == "resource":  # VAR_HANDLE's id: TFLM's internal numbering
                    continue
                if hashes.get((r, index)) != fnv1a(tflm[(r, index)]):
                    t = model.main.tensors[index]
                    mismatch = (f"run {r}: first divergence at op #{op.index} {op.name}, output tensor #{index} "
                                f"'{t.name}' {t.dtype}{list(t.shape)} "
                                "(hash differs; run host_check or --keep to inspect)")
                    mismatch_at = (op.name, t.dtype)
                    break
            if mismatch:
                break
        if mismatch:
            break
    return TargetReport(model=model.name, runs=runs,
                        cpu=f"{target.cpu} (QEMU {target.emulator.machine}, target {target.name})", mismatch=mismatch,
                        mismatch_at=mismatch_at, blind_spots=tuple(d.describe() for d in oracle.blind_spots(model)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyml_build.verification.target_check",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".tflite files")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", default=CHECK_TARGET, help="an emulated Cortex-M target (default: %(default)s)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated C and the ELF in DIR")
    args = parser.parse_args(argv)
    return check_each(args.models, args.keep,
                      lambda path, keep: check_on_cortex_m(path, runs=args.runs, seed=args.seed, workdir=keep,
                                                           target=args.target))


if __name__ == "__main__":
    sys.exit(main())
