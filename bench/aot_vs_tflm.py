"""runtime=aot vs the tflite-micro interpreter on the host: instructions per inference and arena.

Both run the same model on the same input in one run of this script, each under valgrind's
callgrind, which counts executed instructions (repeatable, unlike time):
  - aot: the generated C and the project's portable kernels, compiled with gcc -O2 into a small
    program that runs init() once, then N times sets the inputs and calls invoke(); only
    instructions inside the generated tml_invoke() (and what it calls) are counted
    (--toggle-collect).
  - TFLM: a Python script on the tflite-micro wheel's host interpreter (`from tflite_micro
    import runtime`) that sets the inputs and invokes N times; only
    tflite::micro::MicroInterpreter::Invoke() is counted (its symbol is in the wheel's
    _runtime.so), so neither Python nor the set-up is.
Inputs are set before every inference on both sides: both arenas reuse input memory once the
input is consumed.
Each side is counted for 1 and for 1 + N invocations; per inference = (difference) / N, which
leaves out one-time costs of the first call. Outputs of both sides are compared byte for byte.

Arena: the aot plan (activations + op scratch) next to TFLM's RecordingMicroAllocator
(tinyml_build/runtimes/aot/memory_report.py).

Writes bench/out/aot_vs_tflm.json and bench/out/aot_vs_tflm.md, prints the Markdown.

    python bench/aot_vs_tflm.py [--models hello_world,kws,...] [--invokes 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from tinyml_build.errors import TinyMLError  # noqa: E402
from tinyml_build.model.dtypes import numpy_dtype  # noqa: E402
from tinyml_build.model.reader import load_model  # noqa: E402
from tinyml_build.runtimes.aot.emit import AOT_INCLUDE_DIR, API_INCLUDE_DIR, kernel_sources, render  # noqa: E402
from tinyml_build.runtimes.aot.lower import lower_model  # noqa: E402
from tinyml_build.runtimes.aot.memory_report import tflm_arena  # noqa: E402
from tinyml_build.verification.host_check import WARNINGS, random_inputs  # noqa: E402

SHARED = PROJECT_DIR.parent / "shared" / "models"
SHIPPED = ("hello_world", "kws")
TFLM_INVOKE = "tflite::micro::MicroInterpreter::Invoke()"
AOT_INVOKE = "tml_invoke"

# Runs a generated model: init(), then `n` times: copy the inputs from <inputs.bin> into the input
# tensors and invoke() (the arena plan reuses input memory once an input is dead, so every
# inference needs its inputs set again, as on a device); writes the outputs of the last run to
# <outputs.bin>. Only tml_invoke() is counted, not the copies.
AOT_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tml_model_api.h"
extern const tml_model_api TML_MODEL_API;
int main(int argc, char **argv) {
  const tml_model_api *api = &TML_MODEL_API;
  static unsigned char inputs[1 << 20];
  size_t size;
  FILE *f;
  uint32_t i;
  long n, r;
  if (argc != 4 || api->init() != TML_OK) {
    return 2;
  }
  n = strtol(argv[2], NULL, 10);
  f = fopen(argv[1], "rb");
  if (f == NULL) {
    return 2;
  }
  size = fread(inputs, 1, sizeof(inputs), f);
  fclose(f);
  for (r = 0; r < n; ++r) {
    const unsigned char *in = inputs;
    for (i = 0; i < api->num_inputs; ++i) {
      const tml_tensor *t = api->input(i);
      if ((size_t)(in - inputs) + t->bytes > size) {
        return 2;
      }
      memcpy(t->data, in, t->bytes);
      in += t->bytes;
    }
    if (api->invoke() != TML_OK) {
      return 3;
    }
  }
  f = fopen(argv[3], "wb");
  if (f == NULL) {
    return 2;
  }
  for (i = 0; i < api->num_outputs; ++i) {
    const tml_tensor *t = api->output(i);
    fwrite(t->data, 1, t->bytes, f);
  }
  fclose(f);
  return 0;
}
"""

# The same for the tflite-micro interpreter: argv = model, inputs.bin, n, outputs.bin, input specs
# ("1x49x10x1:|i1;..."), number of outputs, arena bytes.
TFLM_SCRIPT = r"""
import sys
import numpy as np
from tflite_micro import runtime
model, inputs, n, outputs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
specs = [(shape, np.dtype(dtype)) for shape, dtype in (s.split(":") for s in sys.argv[5].split(";"))]
num_outputs, arena = int(sys.argv[6]), int(sys.argv[7])
data = open(inputs, "rb").read()
interpreter = runtime.Interpreter.from_bytes(open(model, "rb").read(), arena_size=arena)
arrays, pos = [], 0
for shape, dtype in specs:
    dims = [int(d) for d in shape.split("x") if d]
    count = int(np.prod(dims)) if dims else 1
    arrays.append(np.frombuffer(data[pos:pos + count * dtype.itemsize], dtype=dtype).reshape(dims))
    pos += count * dtype.itemsize
for _ in range(n):
    for i, array in enumerate(arrays):  # TFLM reuses input memory too: set the inputs for every inference
        interpreter.set_input(array, i)
    interpreter.invoke()
with open(outputs, "wb") as f:
    for i in range(num_outputs):
        f.write(np.ascontiguousarray(interpreter.get_output(i)).tobytes())
"""

_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


class BenchError(TinyMLError):
    """The bench could not measure a model (missing tool, failed build or run)."""


def _callgrind(cmd: list[str], toggle: str, workdir: Path, tag: str) -> int:
    """Instructions executed inside `toggle` (inclusive) while running `cmd` under callgrind."""
    out = workdir / f"callgrind.{tag}.out"
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"--toggle-collect={toggle}",
                           *cmd], capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise BenchError(f"callgrind run failed ({' '.join(cmd[:2])} ...): {last}", where=str(workdir))
    match = _TOTALS.search(out.read_text(errors="replace"))
    if match is None:
        raise BenchError(f"no totals in {out}", where=str(workdir))
    return int(match.group(1))


def _per_invoke(cmd_for, toggle: str, workdir: Path, tag: str, invokes: int) -> tuple[float, bytes]:
    """(instructions per steady-state inference, outputs of the longer run)."""
    one = _callgrind(cmd_for(1, workdir / f"{tag}.1.bin"), toggle, workdir, f"{tag}.1")
    many = _callgrind(cmd_for(1 + invokes, workdir / f"{tag}.n.bin"), toggle, workdir, f"{tag}.n")
    if one == 0:
        raise BenchError(f"callgrind collected nothing inside {toggle}", where=str(workdir),
                         fix="the function name did not match; check the symbols of the binary")
    return (many - one) / invokes, (workdir / f"{tag}.n.bin").read_bytes()


def _build_aot(model, workdir: Path) -> tuple[Path, object]:
    program = lower_model(model)
    files = render(program)
    for name, text in files.items():
        (workdir / name).write_text(text)
    (workdir / "bench_main.c").write_text(AOT_MAIN)
    exe = workdir / "aot_bench"
    sources = [str(workdir / f) for f in files if f.endswith(".c")] + [str(k) for k in kernel_sources(program)]
    cmd = ["gcc", "-std=c99", "-O2", "-g", *WARNINGS, f"-I{workdir}", f"-I{AOT_INCLUDE_DIR}", f"-I{API_INCLUDE_DIR}",
           f"-DTML_MODEL_API={program.name}_model_api", *sources, str(workdir / "bench_main.c"), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"generated C does not compile: {proc.stderr.strip()[:2000]}", where=str(workdir))
    return exe, program


def measure(name: str, path: Path, invokes: int, seed: int, workdir: Path) -> dict:
    model = load_model(path)
    shown = str(path.relative_to(PROJECT_DIR.parent)) if path.is_relative_to(PROJECT_DIR.parent) else path.name
    row = {"model": name, "path": shown}
    try:
        exe, program = _build_aot(model, workdir)
    except TinyMLError as exc:
        row["skipped"] = f"runtime=aot cannot build it: {exc.what}"
        return row
    sg = model.main
    inputs = random_inputs(model, 3, seed)[2]  # a random input (runs 0 and 1 are all-min / all-max)
    in_path = workdir / "inputs.bin"
    in_path.write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
    specs = ";".join(f"{'x'.join(str(d) for d in sg.tensors[i].shape)}:{numpy_dtype(sg.tensors[i].dtype).str}"
                     for i in sg.inputs)
    script = workdir / "tflm_invoke.py"
    script.write_text(TFLM_SCRIPT)

    aot, aot_out = _per_invoke(lambda n, out: [str(exe), str(in_path), str(n), str(out)], AOT_INVOKE, workdir, "aot",
                               invokes)
    arena_bytes = max(len(model.data) * 10, 4 * sum(t.nbytes for t in sg.tensors) + (64 << 10))  # as host_check
    tflm, tflm_out = _per_invoke(lambda n, out: [sys.executable, str(script), str(path), str(in_path), str(n), str(out),
                                                 specs, str(len(sg.outputs)), str(arena_bytes)],
                                 TFLM_INVOKE, workdir, "tflm", invokes)
    try:
        arena = tflm_arena(path)
    except TinyMLError:
        arena = {}
    row.update(aot_instructions=round(aot), tflm_instructions=round(tflm), ratio=aot / tflm if tflm else None,
               outputs_equal=aot_out == tflm_out, aot_arena=program.arena_size, tflm_arena_total=arena.get("total"),
               tflm_arena_head=arena.get("head"), tflm_arena_tail=arena.get("tail"))
    return row


def default_models() -> dict[str, Path]:
    models = {name: PROJECT_DIR / "models" / name / f"{name}.tflite" for name in SHIPPED}
    if SHARED.is_dir():
        models.update({p.stem: p for p in sorted(SHARED.glob("*.tflite"))})
    return models


def environment() -> dict:
    gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    return {"machine": platform.machine(), "gcc": gcc, "valgrind": valgrind,
            "tflite_micro": metadata.version("tflite_micro"),
            "aot_flags": "gcc -std=c99 -O2 (portable C kernels: no Arm SIMD paths on the host)"}


NOTES = [
    "Instructions are x86-64 instructions counted by callgrind inside the invoke function (callees included), "
    "per inference in steady state: (count for 1 + N invokes - count for 1) / N.",
    "aot: generated C + the project's portable kernels, gcc -O2; the Armv7E-M SIMD paths are not used on the host.",
    "TFLM: the tflite-micro wheel's host interpreter, i.e. TFLM's reference kernels compiled by Bazel with whatever "
    "flags the wheel was built with (not CMSIS-NN), plus the interpreter's per-op dispatch.",
    "Arena: aot = planned activations + op scratch (target independent). TFLM = RecordingMicroAllocator on this "
    "64-bit host: 8-byte pointers inflate its tensor/node structs (the tail), so a 32-bit MCU needs less than shown.",
]


def table(rows: list[dict], env: dict) -> str:
    head = ("| model | aot instr/inference | TFLM instr/inference | aot / TFLM | outputs equal | aot arena B | "
            "TFLM arena B (head + tail) |\n|---|---:|---:|---:|---|---:|---:|")
    body = []
    for r in rows:
        if "skipped" in r:
            body.append(f"| {r['model']} | - | - | - | skipped: {r['skipped']} | - | - |")
            continue
        tflm_arena_text = "-" if r["tflm_arena_total"] is None else \
            f"{r['tflm_arena_total']:,} ({r['tflm_arena_head']:,} + {r['tflm_arena_tail']:,})"
        body.append(f"| {r['model']} | {r['aot_instructions']:,} | {r['tflm_instructions']:,} | {r['ratio']:.3f} | "
                    f"{'yes' if r['outputs_equal'] else 'NO'} | {r['aot_arena']:,} | {tflm_arena_text} |")
    env_line = (f"Host {env['machine']}, gcc {env['gcc']}, {env['valgrind']}, tflite-micro {env['tflite_micro']}.")
    return "\n".join([head, *body, "", env_line, *[f"- {n}" for n in NOTES]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models",
                        help="comma-separated names (models/<name> or shared/models/<name>.tflite); default: all")
    parser.add_argument("--invokes", type=int, default=10, help="N: extra invocations counted (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(PROJECT_DIR / "bench" / "out"))
    args = parser.parse_args(argv)
    for tool in ("valgrind", "gcc"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found; install it (apt-get install {tool})", file=sys.stderr)
            return 2
    available = default_models()
    names = args.models.split(",") if args.models else list(available)
    missing = [n for n in names if n not in available or not available[n].is_file()]
    if missing:
        print(f"error: unknown or absent models: {', '.join(missing)} (known: {', '.join(available)})", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"tml_bench_{name}_") as tmp:
            try:
                row = measure(name, available[name], args.invokes, args.seed, Path(tmp))
            except TinyMLError as exc:
                row = {"model": name, "skipped": f"measurement failed: {exc.what}"}
        rows.append(row)
        print(f"{name}: " + (row["skipped"] if "skipped" in row else
                             f"aot {row['aot_instructions']:,} vs TFLM {row['tflm_instructions']:,} instructions "
                             f"({row['ratio']:.3f})"), file=sys.stderr)
    env = environment()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "aot_vs_tflm.json").write_text(json.dumps({"environment": env, "notes": NOTES, "invokes": args.invokes,
                                                      "rows": rows}, indent=1) + "\n")
    text = table(rows, env)
    (out / "aot_vs_tflm.md").write_text(text + "\n")
    print(text)
    measured = [r for r in rows if "skipped" not in r]
    return 0 if measured and all(r["outputs_equal"] for r in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
