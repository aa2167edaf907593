"""Run a model's generated aot C on an emulated Cortex-M4 and compare every op output with TFLM.

Why, next to host_check: the kernels take Armv7E-M SIMD paths (SMLAD, SXTB16) that the host
build never executes. This cross-compiles the same generated code with arm-none-eabi-gcc
(-Werror), runs it under QEMU (mps2-an386) on the same seeded inputs, and compares a hash of
every op output tensor with the tflite-micro interpreter's, reporting the first op whose
output differs.

    python -m tinyml_build.verification.target_check model.tflite [--runs 3]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.runtimes import API_INCLUDE_DIR
from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, HOST_DIR
from tinyml_build.runtimes.aot.emit import kernel_sources, render
from tinyml_build.verification.host_check import HostCheckError, random_inputs, run_tflm
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.escape import terminal
from tinyml_build.model.reader import Model, load_model

CORTEX_M_DIR = HOST_DIR / "cortex_m"
CPU_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
WARNINGS = ["-Wall", "-Wextra", "-Werror"]


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


@dataclass
class TargetReport:
    model: str
    runs: int
    cpu: str
    mismatch: str | None  # the first op output that differs, None when all are equal

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def __str__(self) -> str:
        head = f"{terminal(self.model)}: {self.runs} runs on {self.cpu} (QEMU): "
        return head + ("bit-exact with tflite-micro (every op output, every run)" if self.ok
                       else "MISMATCH\n  " + terminal(self.mismatch))


def _tools() -> tuple[str, str]:
    cc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if cc is None or qemu is None:
        missing = "arm-none-eabi-gcc" if cc is None else "qemu-system-arm"
        raise ToolchainError(f"{missing} not found", fix="apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm")
    return cc, qemu


def _inputs_source(inputs) -> str:
    data = b"".join(a.tobytes() for run in inputs for a in run)
    rows = [", ".join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)] or ["0"]
    return ("#include <stdint.h>\nextern const uint8_t tml_check_inputs[];\nextern const uint32_t tml_check_runs;\n"
            f"const uint8_t tml_check_inputs[] = {{\n" + ",\n".join(rows) + "\n};\n"
            f"const uint32_t tml_check_runs = {len(inputs)}u;\n")


def check_on_cortex_m(model: Model | str | Path, runs: int = 3, seed: int = 0, workdir: str | Path | None = None,
                      program=None, timeout: float = 300) -> TargetReport:
    if not isinstance(model, Model):
        model = load_model(model)
    cc, qemu = _tools()
    program = program if program is not None else lower_model(model)
    inputs = random_inputs(model, runs, seed)
    with tempfile.TemporaryDirectory(prefix="tml_aot_m4_") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        files = render(program)
        for name, text in files.items():
            (work / name).write_text(text)
        (work / "tml_check_inputs.c").write_text(_inputs_source(inputs))
        elf = work / "model_check.elf"
        sources = [str(work / f) for f in files if f.endswith(".c")] + [str(k) for k in kernel_sources(program)]
        sources += [str(work / "tml_check_inputs.c"), str(CORTEX_M_DIR / "startup.c"), str(CORTEX_M_DIR / "main.c")]
        cmd = [cc, *CPU_FLAGS, "-O2", "-std=c99", *WARNINGS, "-ffunction-sections", "-fdata-sections",
               f"-I{work}", f"-I{AOT_INCLUDE_DIR}", f"-I{API_INCLUDE_DIR}", "-DTML_AOT_TRACE",
               f"-DTML_MODEL_API={program.name}_model_api", *sources, "-T", str(CORTEX_M_DIR / "mps2_an386.ld"),
               "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections", "-o", str(elf)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HostCheckError(f"generated C for '{program.name}' does not build for Cortex-M4:",
                                 details=proc.stderr.strip()[:4000],
                                 where=str(work), fix="this is a bug in the aot runtime; report it with the model")
        run = subprocess.run([qemu, "-machine", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
                              "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                             capture_output=True, text=True, timeout=timeout)
    lines = (run.stdout + run.stderr).splitlines()  # QEMU prints semihosting output on stderr
    if run.returncode != 0 or "done" not in lines:
        raise HostCheckError(f"generated model '{program.name}' failed on QEMU (exit {run.returncode}):",
                             details=run.stdout[-2000:] + "\n" + run.stderr[-2000:],
                             fix="this is a bug in the aot runtime; report it with the model")
    hashes = {}
    for line in lines:
        if line.startswith("h "):
            _, r, _op, tensor, h = line.split()
            hashes[(int(r), int(tensor))] = int(h)
    _, tflm = run_tflm(model, inputs)
    mismatch = None
    lowered = {step.op_index for step in program.steps}
    for r in range(runs):
        for op in model.main.operators:
            if op.index not in lowered:  # not run: its result is never used
                continue
            for index in op.outputs:
                if hashes.get((r, index)) != fnv1a(tflm[(r, index)]):
                    t = model.main.tensors[index]
                    mismatch = (f"run {r}: first divergence at op #{op.index} {op.name}, output tensor #{index} "
                                f"'{t.name}' {t.dtype}{list(t.shape)} (hash differs; run host_check or --keep to inspect)")
                    break
            if mismatch:
                break
        if mismatch:
            break
    return TargetReport(model=model.name, runs=runs, cpu="Cortex-M4F", mismatch=mismatch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyml_build.verification.target_check", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".tflite files")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep the generated C and the ELF in DIR")
    args = parser.parse_args(argv)
    status = 0
    for path in args.models:
        try:
            keep = Path(args.keep) / Path(path).stem if args.keep else None
            report = check_on_cortex_m(path, runs=args.runs, seed=args.seed, workdir=keep)
        except TinyMLError as exc:
            print(f"{terminal(path)}: error: {exc}")
            status = max(status, 2)
            continue
        print(report)
        status = max(status, 0 if report.ok else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
