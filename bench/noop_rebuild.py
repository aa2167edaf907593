"""How long `scons` takes when nothing changed (issue 8: at most 0.5 s for kws).

    python bench/noop_rebuild.py [--runs 10] [--cases qemu-m4:kws:aot,qemu-m4:hello_world:tflm]

For each case: one full build into bench/out/noop-build/ (not timed), then `--runs` no-op builds,
each timed as wall-clock and as CPU time of the scons process (user + sys of the child: what the
build itself costs, whatever else the machine is doing). Python caches compiled modules (.pyc)
unless PYTHONDONTWRITEBYTECODE is set, as it is on some CI machines: both settings are measured.
Every no-op run must print no build step (checked). Results: bench/out/noop.json and a table.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
OUT = PROJECT_DIR / "bench" / "out"
GOAL_SECONDS = 0.5


def _scons(args, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def measure(case: str, runs: int, bytecode: bool) -> dict:
    target, model, runtime = case.split(":")
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    args = [f"target={target}", f"model={model}", f"runtime={runtime}", f"build_dir={OUT / 'noop-build'}"]
    first, _, _ = _scons(args, env)
    if first.returncode != 0:
        return {"case": case, "error": (first.stdout + first.stderr)[-500:]}
    walls, cpus = [], []
    for _ in range(runs):
        result, wall, cpu = _scons(args, env)
        steps = [line for line in result.stdout.splitlines() if line.startswith("[")]
        if result.returncode != 0 or steps:
            return {"case": case, "error": f"the no-op build did something: {steps[:3] or result.stderr[-300:]}"}
        walls.append(wall)
        cpus.append(cpu)
    return {"case": case, "bytecode": bytecode, "runs": runs, "wall_median": statistics.median(walls),
            "wall_min": min(walls), "cpu_median": statistics.median(cpus), "cpu_min": min(cpus)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", default="qemu-m4:kws:aot,stm32f407:kws:aot,qemu-m4:hello_world:tflm")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [measure(case, args.runs, bytecode) for case in args.cases.split(",") for bytecode in (True, False)]
    (OUT / "noop.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{'case':<28} {'.pyc':<5} {'wall median':>12} {'wall min':>9} {'cpu median':>11} {'cpu min':>8}")
    for row in rows:
        if "error" in row:
            print(f"{row['case']:<28} error: {row['error']}")
            continue
        print(f"{row['case']:<28} {'yes' if row['bytecode'] else 'no':<5} {row['wall_median']:>11.3f}s "
              f"{row['wall_min']:>8.3f}s {row['cpu_median']:>10.3f}s {row['cpu_min']:>7.3f}s")
    kws = [r for r in rows if r.get("case") == "qemu-m4:kws:aot" and r.get("bytecode")]
    if kws:
        verdict = "met" if kws[0]["wall_median"] <= GOAL_SECONDS else "NOT met"
        print(f"goal: no-op rebuild of kws <= {GOAL_SECONDS} s wall (with .pyc): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
