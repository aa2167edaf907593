"""runtime=tflm figures: size, arena and speed per model x runtime x kernels on qemu-m4, and build times.

Part 1 -- for each model, `scons target=qemu-m4 model=<m> runtime=<r> kernels=<k> test` for
runtime=aot, runtime=tflm kernels=reference and runtime=tflm kernels=cmsis-nn; reads size.json,
arena.json and test.json: flash, RAM, arena (reserved / TFLM's used), QEMU instructions per
inference, next to TFLM's own figures (cortex-m4, GCC 12.2) where the issue gives them.

Part 2 -- build times of stm32f407 hello_world with runtime=tflm (its default kernels, cmsis-nn):
a clean build (fresh build folder), a no-op rebuild, and a model-only change (the .tflite replaced
by another model with the same operators), each as wall time and CPU seconds (this process's
children: scons, compilers, QEMU). Reference: TFLM's own Makefile, -j2.

Writes bench/out/tflm.json and prints Markdown tables and the goals.

    python bench/tflm_figures.py [--models hello_world,kws,...] [--skip-build-times] [--skip-models]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED = PROJECT_DIR.parent / "shared" / "models"
MODELS = {
    "hello_world": "hello_world",
    "hello_world_int8": str(SHARED / "hello_world_int8.tflite"),
    "kws": "kws",
    "micro_speech_quantized": str(SHARED / "micro_speech_quantized.tflite"),
    "person_detect": str(SHARED / "person_detect.tflite"),
}
CONFIGS = (("aot", None), ("tflm", "reference"), ("tflm", "cmsis-nn"))
TARGET = "qemu-m4"
# TFLM's own build (Makefile, cortex-m4, GCC 12.2): instructions per Invoke by kernel set.
TFLM_INSTRUCTIONS = {
    "hello_world_int8": {"reference": 5_423, "cmsis-nn": 3_697},
    "micro_speech_quantized": {"reference": 22.7e6, "cmsis-nn": 1.48e6},
    "person_detect": {"reference": 525e6, "cmsis-nn": 22.6e6},
}
TFLM_BUILD = {"clean_cpu_s": 793, "clean_cpu_s_cmsis_nn": 332, "clean_wall_s": 402, "objects": 219,
              "noop_wall_s": 3.8, "hello_world_flash": 78 * 1024}


def _scons(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """(result, wall seconds, CPU seconds of the children) of one scons run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", *args], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def measure(name: str, value: str, runtime: str, kernels: str | None, build_dir: Path) -> dict:
    args = [f"target={TARGET}", f"model={value}", f"runtime={runtime}", f"build_dir={build_dir}", "test"]
    if kernels:
        args.append(f"kernels={kernels}")
    result, _, _ = _scons(*args)
    out = build_dir / TARGET / name
    row = {"model": name, "runtime": runtime, "kernels": kernels or "-",
           "build": "ok" if result.returncode == 0 else "failed"}
    if result.returncode != 0:
        row["error"] = (result.stdout + result.stderr).strip().splitlines()[-4:]
        return row
    size = json.loads((out / "size.json").read_text())
    row.update(flash=size["flash"]["total"], flash_by_component=size["flash"]["by_component"], ram=size["ram"]["total"],
               arena=size["arena"]["bytes"])
    verdict = json.loads((out / "test.json").read_text())
    model = verdict["models"].get(name, {})
    row.update(test=verdict["status"], vectors=f"{model.get('passed', 0)}/{model.get('vectors', 0)}",
               instructions=int(model.get("time", {}).get("per_inference", 0)) or None,
               arena_used=int(model.get("facts", {}).get("arena_used", 0)) or None)
    if runtime == "tflm":
        library = size.get("notes", {}).get("kernel_library")
        row["library_functions"] = len(library["functions"]) if library else 0
        reference = TFLM_INSTRUCTIONS.get(name, {}).get(kernels)
        if reference and row["instructions"]:
            row["tflm_own_instructions"] = reference
            row["vs_tflm_own"] = round(row["instructions"] / reference - 1, 4)
    return row


def build_times(work: Path) -> dict:
    """Clean, no-op and model-only rebuilds of stm32f407 hello_world with runtime=tflm."""
    model = work / "model.tflite"
    shutil.copy(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite", model)
    args = ["target=stm32f407", f"model={model}", "runtime=tflm", f"build_dir={work / 'build'}"]
    clean, clean_wall, clean_cpu = _scons(*args)
    objects = sum(1 for line in clean.stdout.splitlines() if line.startswith("/") and " -c " in line)
    noop, noop_wall, noop_cpu = _scons(*args)
    times = {"clean": {"wall_s": round(clean_wall, 1), "cpu_s": round(clean_cpu, 1), "objects_compiled": objects,
                       "ok": clean.returncode == 0},
             "noop": {"wall_s": round(noop_wall, 2), "cpu_s": round(noop_cpu, 2), "ok": noop.returncode == 0,
                      "up_to_date": "is up to date" in noop.stdout and " -c " not in noop.stdout}}
    other = SHARED / "hello_world_int8.tflite"  # the same operator (FULLY_CONNECTED), other weights
    if other.is_file():
        shutil.copy(other, model)
        change, change_wall, change_cpu = _scons(*args)
        compiled = [line for line in change.stdout.splitlines() if line.startswith("/") and " -c " in line]
        times["model_change"] = {"wall_s": round(change_wall, 1), "cpu_s": round(change_cpu, 1),
                                 "objects_compiled": len(compiled), "ok": change.returncode == 0}
    size_json = work / "build" / "stm32f407" / "model" / "size.json"
    size = json.loads(size_json.read_text()) if clean.returncode == 0 else {}
    times["flash_after_change"] = size.get("flash", {}).get("total")
    return times


def hello_world_flash(build_dir: Path) -> dict:
    """stm32f407 hello_world flash for both kernel sets (the image-size goal)."""
    sizes = {}
    for kernels in ("reference", "cmsis-nn"):
        result, _, _ = _scons("target=stm32f407", "model=hello_world", "runtime=tflm", f"kernels={kernels}",
                              f"build_dir={build_dir}")
        if result.returncode == 0:
            size = json.loads((build_dir / "stm32f407" / "hello_world" / "size.json").read_text())
            sizes[kernels] = {"flash": size["flash"]["total"], "by_component": size["flash"]["by_component"]}
    return sizes


def goals(rows: list[dict], times: dict | None, f407: dict) -> list[str]:
    lines = []
    for r in rows:
        if "vs_tflm_own" in r:
            ok = abs(r["vs_tflm_own"]) <= 0.02
            lines.append(f"{r['model']} tflm/{r['kernels']}: {r['instructions']:,} instructions vs TFLM's own "
                         f"{r['tflm_own_instructions']:,.0f} ({r['vs_tflm_own']:+.1%}; goal within 2%): "
                         f"{'met' if ok else 'NOT met'}")
    by_model: dict[str, dict] = {}
    for r in rows:
        if r.get("flash"):
            by_model.setdefault(r["model"], {})[f"{r['runtime']}/{r['kernels']}"] = r["flash"]
    for model, flashes in by_model.items():
        aot = flashes.get("aot/-")
        for key in ("tflm/reference", "tflm/cmsis-nn"):
            if aot and key in flashes:
                ratio = aot / flashes[key]
                lines.append(f"{model}: aot flash {aot:,} = {ratio:.2f} x {key} {flashes[key]:,} (goal <= 0.5): "
                             f"{'met' if ratio <= 0.5 else 'NOT met'}")
    for kernels, size in f407.items():
        goal = TFLM_BUILD["hello_world_flash"] // 2
        lines.append(f"hello_world stm32f407 tflm/{kernels}: flash {size['flash']:,} B (goal <= {goal:,}): "
                     f"{'met' if size['flash'] <= goal else 'NOT met'}")
    if times:
        goal = TFLM_BUILD["clean_cpu_s"] / 4
        lines.append(f"clean stm32f407 hello_world build: {times['clean']['cpu_s']:.0f} CPU-s, "
                     f"{times['clean']['wall_s']:.0f} s wall, {times['clean']['objects_compiled']} objects "
                     f"(goal <= {goal:.0f} CPU-s; TFLM's own: {TFLM_BUILD['clean_cpu_s']} CPU-s, "
                     f"{TFLM_BUILD['objects']} objects): "
                     f"{'met' if times['clean']['cpu_s'] <= goal else 'NOT met'}")
        lines.append(f"no-op rebuild: {times['noop']['wall_s']:.2f} s wall "
                     f"(goal < 1 s; TFLM's own {TFLM_BUILD['noop_wall_s']} s): "
                     f"{'met' if times['noop']['wall_s'] < 1 else 'NOT met'}")
        if "model_change" in times:
            m = times["model_change"]
            lines.append(f"model-only change: {m['wall_s']:.1f} s wall, {m['cpu_s']:.1f} CPU-s, "
                         f"{m['objects_compiled']} objects")
    return lines


def table(rows: list[dict]) -> str:
    head = ("| model | runtime | kernels | test | flash B | RAM B | arena B (used) | instr/inference "
            "| vs TFLM's own |\n"
            "|---|---|---|---|---:|---:|---:|---:|---:|")
    body = []
    for r in rows:
        vs = f"{r['vs_tflm_own']:+.1%}" if "vs_tflm_own" in r else ""
        used = f" ({r['arena_used']:,})" if r.get("arena_used") and r["runtime"] == "tflm" else ""
        body.append(f"| {r['model']} | {r['runtime']} | {r['kernels']} "
                    f"| {r.get('test', r['build'])} {r.get('vectors', '')} | "
                    f"{r.get('flash', 0):,} | {r.get('ram', 0):,} | {r.get('arena', 0):,}{used} | "
                    f"{(r.get('instructions') or 0):,} | {vs} |")
    return "\n".join([head] + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--build-dir", default=str(PROJECT_DIR / "build" / "bench-tflm"))
    parser.add_argument("--out", default=str(PROJECT_DIR / "bench" / "out" / "tflm.json"))
    parser.add_argument("--skip-build-times", action="store_true")
    parser.add_argument("--skip-models", action="store_true")
    args = parser.parse_args(argv)
    build_dir = Path(args.build_dir)
    rows = []
    if not args.skip_models:
        for name in args.models.split(","):
            value = MODELS.get(name, name)
            if value.endswith(".tflite") and not Path(value).is_file():
                print(f"skip {name}: {value} not found", file=sys.stderr)
                continue
            for runtime, kernels in CONFIGS:
                rows.append(measure(name, value, runtime, kernels, build_dir))
                print(f"{name} {runtime} {kernels or ''}: {rows[-1].get('test', rows[-1]['build'])}", file=sys.stderr)
    f407 = {} if args.skip_models else hello_world_flash(build_dir)
    times = None
    if not args.skip_build_times:
        with tempfile.TemporaryDirectory(prefix="tflm-bench-") as work:
            times = build_times(Path(work))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"target": TARGET, "rows": rows, "stm32f407_hello_world": f407, "build_times": times,
              "tflm_own_build": TFLM_BUILD, "goals": goals(rows, times, f407)}
    out.write_text(json.dumps(report, indent=1) + "\n")
    if rows:
        print(table(rows))
        print()
    if times:
        print(json.dumps(times, indent=1))
        print()
    print("\n".join(report["goals"]))
    return 0 if all(r["build"] == "ok" and r.get("test") == "PASS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
