"""Compile a model's generated aot C on the host and compare it, byte for byte, with TFLM.

Why: "bit-exact with TFLM's reference interpreter" is only a claim until checked. This
generates the C, compiles it with gcc (-Wall -Wextra -Werror, optionally with ASan/UBSan),
runs it on seeded inputs through the same tml_model_api the firmware uses, runs the
oracle (the pinned TFLM built for the host, else the tflite-micro wheel: verification.oracle) on
the same inputs, and compares every output byte. Every op's
output tensors are traced on both sides, so a difference is reported at the first op where
they diverge (layer by layer), not just at the model's output.

    python -m tinyml_build.verification.host_check model.tflite [--runs 20] [--sanitize]
"""

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinyml_build.errors import ModelError, TinyMLError, ToolchainError
from tinyml_build.escape import terminal
from tinyml_build.model.dtypes import numpy_dtype
from tinyml_build.model.reader import Model, load_model
from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, HOST_DIR
from tinyml_build.runtimes.aot.emit import kernel_sources, render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification import verdict as verdicts
from tinyml_build.verification.circular_buffer_runs import predict_runs
from tinyml_build.verification.oracle import select_oracle
from tinyml_build.verification.oracle.differences import blind_spot_at
from tinyml_build.verification.oracle.pinned import parse_outputs
from tinyml_build.verification.unwritten_outputs import care_masks, differing_bytes, op_output_care, without_leading

HOST_MAIN = HOST_DIR / "host_main.c"
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wpedantic", "-Wshadow", "-Wcast-qual", "-Wstrict-prototypes"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
RUN_MARKER = 0xFFFFFFFF


class HostCheckError(TinyMLError):
    """The generated C did not compile or run on the host (a bug in the aot runtime)."""


class HostRunError(HostCheckError):
    """The compiled check program crashed or hung (`verdict`: verification.verdict's CRASH or HANG)."""

    def __init__(self, what: str, verdict: str, output: str, where: str | None = None, fix: str | None = None,
                 details=None):
        super().__init__(what, where=where, fix=fix, details=details)
        self.verdict = verdict
        self.output = output  # what the program printed (its stderr)


@dataclass(frozen=True)
class Divergence:
    """The first op whose output differs between aot and TFLM in some run."""

    run: int
    op_index: int
    op_name: str
    tensor: int
    tensor_name: str
    dtype: str
    shape: tuple[int, ...]
    differing: int
    elements: int
    first_element: int
    aot_value: object
    tflm_value: object
    max_abs_diff: float

    def __str__(self) -> str:
        position = np.unravel_index(self.first_element, self.shape) if self.shape else ()
        return (
            f"run {self.run}: first divergence at op #{self.op_index} {terminal(self.op_name)}, output tensor "
            f"#{self.tensor} '{terminal(self.tensor_name)}' {self.dtype}{list(self.shape)}: {self.differing} of "
            f"{self.elements} elements differ (max |diff| {self.max_abs_diff:g}); first at element "
            f"{self.first_element} {tuple(int(i) for i in position)}: aot {self.aot_value}, tflm {self.tflm_value}"
        )


@dataclass
class CheckReport:
    model: str
    runs: int
    sanitize: bool
    arena_bytes: int
    constant_bytes: int
    outputs_equal: bool
    divergence: Divergence | None = None
    output_mismatches: list[str] = field(default_factory=list)
    run_problems: dict[int, list[str]] = field(default_factory=dict)  # run -> what differs in it
    oracle: dict = field(default_factory=dict)  # oracle.Oracle.as_dict() of the TFLM that judged
    blind_spots: list[str] = field(default_factory=list)  # known wheel differences hit (wheel oracle only)
    state_bytes: int = 0  # op state kept between invokes outside the arena (Program.state_bytes)

    @property
    def ok(self) -> bool:
        return self.outputs_equal and self.divergence is None

    def unjudged_difference(self) -> str | None:
        """The oracle's blind spot where the first difference starts, or None (see blind_spot_at)."""
        d = self.divergence
        return None if self.ok or d is None else blind_spot_at(self.blind_spots, d.op_name, d.dtype)

    def __str__(self) -> str:
        mode = " (ASan/UBSan)" if self.sanitize else ""
        state = f", op state {self.state_bytes} B" if self.state_bytes else ""
        head = (f"{terminal(self.model)}: {self.runs} runs{mode}, arena {self.arena_bytes} B{state}, "
                f"constants {self.constant_bytes} B: ")
        judge = terminal(self.oracle.get("name", "tflite-micro"))
        warnings = [f"  warning: {judge} cannot judge {terminal(b)}" for b in self.blind_spots]
        if self.ok:
            return "\n".join([head + f"bit-exact with {judge} (every op output, every run)", *warnings])
        lines = [head + f"MISMATCH against {judge}", *warnings]
        if self.divergence is not None:
            lines.append("  " + str(self.divergence))
        lines.extend("  " + m for m in self.output_mismatches[:5])
        return "\n".join(lines)


def input_label(run: int, seed: int) -> str:
    """What random_inputs feeds in `run`, in words (test reports name runs by it)."""
    if run < 2:
        return f"run {run}: every input at its {'minimum' if run == 0 else 'maximum'}"
    return f"run {run}: random inputs (seed {seed})"


def random_inputs(model: Model, runs: int, seed: int) -> list[list[np.ndarray]]:
    """Per run, one array per graph input: run 0 all minimum, run 1 all maximum, then uniform random."""
    rng = np.random.default_rng(seed)
    sg = model.main
    result = []
    for run in range(runs):
        arrays = []
        for index in sg.inputs:
            t = sg.tensors[index]
            dtype = numpy_dtype(t.dtype)
            if dtype.kind == "f":
                lo, hi = -8.0, 8.0
                values = rng.uniform(lo, hi, size=t.shape)
                values = np.full(t.shape, lo if run == 0 else hi) if run < 2 else values
                arrays.append(values.astype(dtype))
            elif dtype.kind == "b":
                arrays.append(rng.integers(0, 2, size=t.shape).astype(dtype))
            else:
                info = np.iinfo(dtype)
                # unsigned inputs (Signal ops' energies) use their whole range; wide signed ones small values
                full = dtype.itemsize <= 2 or dtype.kind == "u"
                lo, hi = (int(info.min), int(info.max)) if full else (-(1 << 20), 1 << 20)
                if run < 2:
                    arrays.append(np.full(t.shape, lo if run == 0 else hi, dtype=dtype))
                elif dtype.kind == "u" and dtype.itemsize > 2:
                    arrays.append(rng.integers(lo, hi, size=t.shape, endpoint=True, dtype=dtype))
                else:
                    arrays.append(rng.integers(lo, hi, size=t.shape, endpoint=True).astype(dtype))
        result.append(arrays)
    return result


def compile_program(workdir: Path, files: dict[str, str], program, sanitize: bool, compiler: str = "gcc") -> Path:
    """Write the generated files and build the host test executable; returns its path."""
    cc = shutil.which(compiler)
    if cc is None:
        raise ToolchainError(f"C compiler '{compiler}' not found",
                             fix="install gcc (apt-get install gcc) to run host checks")
    for filename, text in files.items():
        (workdir / filename).write_text(text)
    exe = workdir / ("model_check_san" if sanitize else "model_check")
    sources = ([str(workdir / f) for f in files if f.endswith(".c")] + [str(k) for k in kernel_sources(program)]
               + [str(HOST_MAIN)])
    cmd = [cc, "-std=c99", "-O2", *WARNINGS, *(SANITIZE if sanitize else []), f"-I{workdir}", f"-I{AOT_INCLUDE_DIR}",
           f"-I{API_INCLUDE_DIR}", "-DTML_AOT_TRACE", f"-DTML_MODEL_API={program.name}_model_api", *sources,
           "-o", str(exe), "-lm"]  # libm: the float math kernels call sinf, expf, ... as TFLM's do
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HostCheckError(f"generated C for '{program.name}' does not compile:", details=proc.stderr.strip()[:4000],
                             where=str(workdir), fix="this is a bug in the aot runtime; report it with the model")
    return exe


def run_program(exe: Path, workdir: Path, model: Model, inputs: list[list[np.ndarray]], timeout: float | None = None):
    """Run the host executable; returns (outputs per run -- None for a run whose invoke returned
    TML_NOT_READY --, {(run, tensor): bytes} trace).

    HostRunError when it crashes (non-zero exit, signal) or runs longer than `timeout` seconds."""
    sg = model.main
    in_path, out_path, trace_path = workdir / "inputs.bin", workdir / "outputs.bin", workdir / "trace.bin"
    with open(in_path, "wb") as f:
        for arrays in inputs:
            for a in arrays:
                f.write(np.ascontiguousarray(a).tobytes())
    fix = "this is a bug in the aot runtime; report it with the model"
    try:
        proc = subprocess.run([str(exe), str(in_path), str(len(inputs)), str(out_path), str(trace_path)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        output = (err.stderr or b"").decode("utf-8", "replace") if isinstance(err.stderr, bytes) else (err.stderr or "")
        raise HostRunError(f"generated model '{model.name}' did not finish on the host within {timeout:g} s",
                           verdicts.HANG, output, where=str(exe), fix=fix) from None
    if proc.returncode != 0:
        how = (f"killed by signal {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
               else f"exit {proc.returncode}")
        raise HostRunError(f"generated model '{model.name}' failed on the host ({how}):", verdicts.CRASH, proc.stderr,
                           where=str(exe), fix=fix, details=proc.stderr.strip()[:4000])
    outputs = parse_outputs(out_path.read_bytes(), sg, len(inputs))
    if outputs is None:
        raise HostCheckError(f"generated model '{model.name}' wrote fewer output bytes than {len(inputs)} runs",
                             where=str(exe), fix=fix)
    trace, raw, pos, run = {}, trace_path.read_bytes(), 0, -1
    while pos < len(raw):
        op, tensor, nbytes = np.frombuffer(raw[pos:pos + 12], dtype="<u4")
        pos += 12
        if op == RUN_MARKER:
            run = int(tensor)
            continue
        trace[(run, int(tensor))] = raw[pos:pos + int(nbytes)]
        pos += int(nbytes)
    return outputs, trace


def run_tflm(model: Model, inputs: list[list[np.ndarray]], oracle=None):
    """The oracle's outputs per run and every op output tensor: {(run, tensor): bytes}. The oracle is
    the pinned TFLM host build when its sources resolve, else the wheel (oracle.select_oracle)."""
    return (oracle or select_oracle()).run(model, inputs, intermediates=True)


def _divergence(model: Model, run: int, op, index: int, aot: bytes, tflm: bytes) -> Divergence:
    t = model.main.tensors[index]
    dtype = numpy_dtype(t.dtype)
    a = np.frombuffer(aot, dtype=dtype)
    b = np.frombuffer(tflm, dtype=dtype)
    if a.size != b.size:
        return Divergence(run, op.index, op.name, index, t.name, t.dtype, t.shape, max(a.size, b.size), b.size, 0,
                          f"{a.size} elements", f"{b.size} elements", float("inf"))
    differ = np.flatnonzero(a.view(f"u{dtype.itemsize}") != b.view(f"u{dtype.itemsize}"))
    first = int(differ[0])
    diff = np.abs(a[differ].astype(np.float64) - b[differ].astype(np.float64))
    return Divergence(run, op.index, op.name, index, t.name, t.dtype, t.shape, int(differ.size), int(a.size), first,
                      a[first].item(), b[first].item(), float(np.nanmax(diff)) if diff.size else 0.0)


def stopped_differently(aot_stopped: bool) -> str:
    """A run one side stopped early (a CIRCULAR_BUFFER not ready) and the other ran, in words."""
    if aot_stopped:
        return "aot's invoke returned TML_NOT_READY, TFLM's ran to the end"
    return "TFLM's invoke stopped with kTfLiteAbort (not ready), aot's ran to the end"


def unspecified_bytes(model: Model, tflm_outputs, runs: int) -> list[dict[int, int]]:
    """Per run, {tensor index: its leading bytes neither side defines}: a CIRCULAR_BUFFER window's
    slots no frame has reached and what is computed from them (circular_buffer_runs), which TFLM
    fills from its arena and aot with zeros. Empty for other models, and where the prediction
    cannot say (unspecified bytes reaching an op that keeps state): every byte is compared then."""
    try:
        predicted = predict_runs(model, runs, stops_seen=any(out is None for out in tflm_outputs[:runs]),
                                 plain_windows=True)
    except ModelError:
        predicted = None
    return [run.unspecified for run in predicted] if predicted is not None else [{} for _ in range(runs)]


def compare(model: Model, aot_outputs, aot_trace, tflm_outputs, tflm_tensors, runs: int, ops: set[int] | None = None):
    """(outputs_equal, first Divergence of every run that has one, (run, output mismatch description)s).

    `ops`: the op indices the program runs (ops whose results are unused are not traced). A run
    stopped early (outputs None: TML_NOT_READY / kTfLiteAbort) must be stopped on both sides and is
    otherwise not compared: its outputs hold nothing new, as TFLM's do.
    """
    sg = model.main
    left_out = unspecified_bytes(model, tflm_outputs, runs)
    divergences = []
    for run in range(runs):
        divergence = None
        if aot_outputs[run] is None or tflm_outputs[run] is None:  # stopped early: compared below
            continue
        for op in sg.operators:
            if ops is not None and op.index not in ops:
                continue
            for k, index in enumerate(op.outputs):
                if sg.tensors[index].dtype == "resource":  # VAR_HANDLE's id: TFLM's internal numbering
                    continue
                aot, ref = aot_trace.get((run, index)), tflm_tensors.get((run, index))
                if aot is None or ref is None:
                    raise HostCheckError(f"op #{op.index} output tensor #{index} missing from the "
                                         f"{'aot' if aot is None else 'tflm'} trace")
                count = tflm_tensors.get((run, op.outputs[3])) if len(op.outputs) > 3 else None
                care = without_leading(op_output_care(op, k, count, len(ref), str(model.path)),
                                        left_out[run].get(index, 0), len(ref))
                if aot != ref and (care is None or len(aot) != len(ref) or differing_bytes(aot, ref, care)):
                    divergence = _divergence(model, run, op, index, aot, ref)
                    break
            if divergence:
                divergences.append(divergence)
                break
    mismatches = []
    for run in range(runs):
        if aot_outputs[run] is None or tflm_outputs[run] is None:
            if (aot_outputs[run] is None) != (tflm_outputs[run] is None):
                mismatches.append((run, f"run {run}: {stopped_differently(aot_outputs[run] is None)}"))
            continue
        care = care_masks(model, tflm_outputs[run], left_out[run])
        for i, (a, b) in enumerate(zip(aot_outputs[run], tflm_outputs[run])):
            a_bytes, b_bytes = a.tobytes(), np.ascontiguousarray(b).tobytes()
            if a_bytes != b_bytes and (care[i] is None or len(a_bytes) != len(b_bytes)
                                       or differing_bytes(a_bytes, b_bytes, care[i])):
                mismatches.append((run, f"run {run}: output {i} differs (aot {a.reshape(-1)[:8].tolist()} vs tflm "
                                        f"{np.asarray(b).reshape(-1)[:8].tolist()})"))
    return not mismatches, divergences, mismatches


def check_model(model: Model | str | Path, runs: int = 20, seed: int = 0, sanitize: bool = False,
                workdir: str | Path | None = None, inputs: list[list[np.ndarray]] | None = None,
                program=None, timeout: float | None = None) -> CheckReport:
    """Generate, compile, run and compare `model` against tflite-micro on `runs` seeded inputs.

    `inputs` replaces the seeded random inputs; `program` replaces the lowering of `model`
    (tests use it to check that a deliberately wrong program is caught). `timeout`: seconds the
    compiled program may run (HostRunError after that, or when it crashes).
    """
    if not isinstance(model, Model):
        model = load_model(model)
    program = program if program is not None else lower_model(model)
    files = render(program)
    inputs = inputs if inputs is not None else random_inputs(model, runs, seed)
    with tempfile.TemporaryDirectory(prefix="tml_aot_") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        exe = compile_program(work, files, program, sanitize)
        aot_outputs, aot_trace = run_program(exe, work, model, inputs, timeout)
    oracle = select_oracle()
    tflm_outputs, tflm_tensors = run_tflm(model, inputs, oracle)
    equal, divergences, mismatches = compare(model, aot_outputs, aot_trace, tflm_outputs, tflm_tensors, len(inputs),
                                             ops={step.op_index for step in program.steps})
    run_problems: dict[int, list[str]] = {}
    for d in divergences:
        run_problems.setdefault(d.run, []).append(str(d))
    for run, text in mismatches:
        run_problems.setdefault(run, []).append(text)
    return CheckReport(model=model.name, runs=len(inputs), sanitize=sanitize, arena_bytes=program.arena_size,
                       constant_bytes=program.model_bytes, outputs_equal=equal,
                       divergence=divergences[0] if divergences else None, output_mismatches=[t for _, t in mismatches],
                       run_problems=dict(sorted(run_problems.items())), oracle=oracle.as_dict(),
                       blind_spots=[d.describe() for d in oracle.blind_spots(model)], state_bytes=program.state_bytes)


@dataclass
class HostTest:
    """One model's host check as a test (`scons target=host ... test`): its report, or why the
    compiled program did not finish."""

    model: str
    runs: int
    seed: int
    seconds: float
    report: CheckReport | None = None
    error: HostRunError | None = None

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return self.error.verdict
        return verdicts.PASS if self.report.ok else verdicts.MISMATCH

    @property
    def problems(self) -> list[str]:
        if self.error is not None:
            return [self.error.what]
        return [p for run in sorted(self.report.run_problems) for p in self.report.run_problems[run]]

    def summary(self) -> dict:
        oracle = self.report.oracle if self.report is not None else select_oracle().as_dict()
        blind = self.report.blind_spots if self.report is not None else []
        return {"verdict": self.verdict, "runs": self.runs, "seed": self.seed, "seconds": round(self.seconds, 2),
                "problems": self.problems, "oracle": oracle, "oracle_blind_spots": blind}


def run_host_test(model: Model, runs: int, seed: int, workdir: str | Path | None = None,
                  timeout: float | None = None) -> HostTest:
    """check_model as a test: a crash or hang of the compiled program is a verdict, not an error
    (a compile failure still raises HostCheckError)."""
    start = time.monotonic()
    try:
        report = check_model(model, runs=runs, seed=seed, workdir=workdir, timeout=timeout)
    except HostRunError as err:
        return HostTest(model.name, runs, seed, time.monotonic() - start, error=err)
    return HostTest(model.name, runs, seed, time.monotonic() - start, report=report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyml_build.verification.host_check",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".tflite files")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sanitize", action="store_true", help="build with -fsanitize=address,undefined")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated C, executable and data in DIR")
    args = parser.parse_args(argv)
    return check_each(args.models, args.keep,
                      lambda path, keep: check_model(path, runs=args.runs, seed=args.seed, sanitize=args.sanitize,
                                                     workdir=keep))


def check_each(paths, keep_dir, check) -> int:
    """The command lines' loop (this module's and target_check's): `check(path, workdir)` per model,
    its report printed; exit status 0 all bit-exact, 1 a mismatch, 2 an error."""
    status = 0
    for path in paths:
        try:
            report = check(path, Path(keep_dir) / Path(path).stem if keep_dir else None)
        except TinyMLError as exc:
            print(f"{terminal(path)}: error: {exc}")
            status = max(status, 2)
            continue
        print(report)
        status = max(status, 0 if report.ok else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
