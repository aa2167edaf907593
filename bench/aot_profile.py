"""Where a runtime=aot inference spends its instructions on Cortex-M4: per op and per C function.

Builds the model's generated C and kernels into target_check's program (tinyml_build/verification/
target_check.py: the firmware's platform layer, linker script and flags for qemu-m4, an emulated
Cortex-M4F on QEMU mps2-an386), runs two inferences on a seeded random input, and has QEMU log
every translated block and every block it executes
(`-d in_asm,exec,nochain`). Summing block sizes over the executed blocks of the second inference
gives exact instruction counts, attributed to the C function each block belongs to (from the
ELF's symbols) and to the op whose kernel call is running (the n-th call made by the generated
tml_invoke() is the n-th kernel call of the program). No timer, no sampling.

    python bench/aot_profile.py model.tflite [--functions 15]

Writes bench/out/aot_profile_<model>.json and prints both tables. The QEMU log is large
(about 10 bytes per executed instruction) and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from tinyml_build.model.reader import load_model  # noqa: E402
from tinyml_build.runtimes.aot.lower import lower_model  # noqa: E402
from tinyml_build.verification.host_check import random_inputs  # noqa: E402
from tinyml_build.verification.target_check import build_check_program  # noqa: E402

_BLOCK_INSN = re.compile(r"0x([0-9a-f]{8}):")
_CALL = re.compile(r"^\s*(?:if \()?(\w+)\(")  # a checked call is `if (f(...) != 0) return TML_ERROR;`


def _build(model, work: Path):
    """target_check's program without the per-op trace, running one seeded input twice."""
    program = lower_model(model)
    one = [np.ascontiguousarray(a) for a in random_inputs(model, 3, 0)[2]]
    builder, elf = build_check_program(program, [one, one], work, trace=False)
    return builder, elf, program


def _symbols(nm: Path, elf: Path) -> tuple[list[int], list[tuple[int, int, str]]]:
    out = subprocess.run([str(nm), "-S", "--defined-only", str(elf)], capture_output=True, text=True, check=True).stdout
    syms = sorted((int(a, 16) & ~1, int(s, 16), n) for a, s, t, n in (line.split() for line in out.splitlines()
                                                                        if len(line.split()) == 4) if t in "tTwW")
    return [s[0] for s in syms], syms


def executed_blocks(log: Path):
    """(guest pc, instructions) of every translated block QEMU executed, in order, from its
    `-d in_asm,exec,nochain` log.

    Exact: each block counts the instructions of its own translation (under -icount QEMU also makes
    shorter blocks at a pc when the instruction budget ends inside one, so translations are told
    apart by their host address in the `Trace` lines, not by pc); a block entered but stopped
    before its first instruction ("Stopped execution of TB chain before", when QEMU services a
    timer or an exit request) counts nothing, and one rewound at a device access ("cpu_io_recompile:
    rewound execution of TB to <pc>") counts the instructions before that pc. QEMU runs each
    translation right after logging it, which ties an `IN:` listing to the next `Trace` line.
    """
    listings: dict[str, list[int]] = {}  # host address of a translated block -> its instruction pcs
    translated: list[int] | None = None  # pcs of the latest `IN:` listing, until its block runs
    pending: tuple[str, int, int | None] | None = None  # (host, pc, instructions) of the block entered last
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("Trace"):
                if pending is not None:
                    yield pending[1], pending[2]
                host, pc = line.split()[2], int(line.split("[", 1)[1].split("/")[1], 16)
                if translated and translated[0] == pc:
                    listings[host] = translated
                translated = None
                pending = (host, pc, len(listings[host]))
            elif line.startswith("Stopped execution of TB chain before"):
                if pending is not None and pending[0] == line.split()[6]:
                    pending = None
            elif line.startswith("cpu_io_recompile: rewound execution of TB to"):
                if pending is not None:
                    pcs = listings[pending[0]]
                    rewound = int(line.split()[-1], 16)
                    pending = (pending[0], pending[1], pcs.index(rewound) if rewound in pcs else len(pcs))
            elif line.startswith("IN:"):
                translated = []
            elif translated is not None:
                m = _BLOCK_INSN.match(line)
                if m:
                    translated.append(int(m.group(1), 16))
    if pending is not None:
        yield pending[1], pending[2]


def profile(path: Path, work: Path) -> dict:
    model = load_model(path)
    builder, elf, program = _build(model, work)
    log = work / "qemu.log"
    run = builder.run(elf, timeout=1800, extra_args=["-d", "in_asm,exec,nochain", "-D", str(log)])
    if run.timed_out or run.exit_code != 0:
        raise RuntimeError(f"the profiled program failed (exit {run.exit_code}): "
                           f"{run.output[-2000:]}{run.stderr[-2000:]}")
    addrs, syms = _symbols(builder.toolchain.nm, elf)
    names: dict[int, str] = {}

    def function(pc: int) -> str:
        if pc not in names:
            i = bisect.bisect_right(addrs, pc) - 1
            names[pc] = syms[i][2] if i >= 0 and pc < syms[i][0] + syms[i][1] else "?"
        return names[pc]

    invoke_start = next(a for a, _, n in syms if n == "tml_invoke")
    # the kernel calls of tml_invoke, in order: (op index, op name, C function)
    calls = [(step.op_index, step.op_name, _CALL.match(s).group(1)) for step in program.steps for s in step.statements
             if _CALL.match(s)]
    per_function: collections.Counter = collections.Counter()
    per_call: collections.Counter = collections.Counter()
    invokes, call, in_invoke = 0, -1, False
    for pc, n in executed_blocks(log):
        name = function(pc)
        if invokes == 2 and name == "main":  # the profiled inference has returned
            break
        if name == "tml_invoke":
            if pc == invoke_start:
                invokes += 1
                call = -1
            in_invoke = True
        elif in_invoke:
            in_invoke, call = False, call + 1
        if invokes == 2:
            per_function[name] += n
            per_call["glue" if in_invoke else call] += n
    log.unlink()
    total = sum(per_function.values())
    ops = [{"call": k, "op_index": calls[k][0] if k < len(calls) else None,
            "op": calls[k][1] if k < len(calls) else "?", "kernel": calls[k][2] if k < len(calls) else "?",
            "instructions": per_call[k]}
           for k in sorted(c for c in per_call if c != "glue")]
    return {"model": program.name, "instructions": total, "invoke_glue": per_call["glue"], "ops": ops,
            "functions": [{"function": f, "instructions": c} for f, c in per_function.most_common()]}


def report(result: dict, functions: int) -> str:
    total = result["instructions"]
    lines = [f"{result['model']}: {total:,} instructions in one inference (QEMU mps2-an386, Cortex-M4F, -O2)", "",
             "| call | op | kernel | instructions | % |", "|---:|---|---|---:|---:|"]
    for op in result["ops"]:
        lines.append(f"| {op['call']} | #{op['op_index']} {op['op']} | {op['kernel']} | {op['instructions']:,} | "
                     f"{100 * op['instructions'] / total:.1f} |")
    lines.append(f"| | tml_invoke itself | | {result['invoke_glue']:,} | {100 * result['invoke_glue'] / total:.1f} |")
    lines += ["", "| C function | instructions | % |", "|---|---:|---:|"]
    for row in result["functions"][:functions]:
        lines.append(f"| {row['function']} | {row['instructions']:,} | {100 * row['instructions'] / total:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help=".tflite file")
    parser.add_argument("--functions", type=int, default=15, help="rows of the per-function table")
    parser.add_argument("--out", default=str(PROJECT_DIR / "bench" / "out"))
    args = parser.parse_args(argv)
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found "
                  "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="tml_profile_") as tmp:
        result = profile(Path(args.model), Path(tmp))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"aot_profile_{result['model']}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(report(result, args.functions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
