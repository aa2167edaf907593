"""runtime=aot against runtime=tflm with CMSIS-NN on an emulated Cortex-M, side by side in one run (issue 12 section 3).

For each model it builds and tests `target=qemu-m4` (or `--target`) twice -- `runtime=aot` and `runtime=tflm
kernels=cmsis-nn` -- and reads QEMU instructions per inference from each test.json (exact: the
firmware counts with `-icount shift=0`), then prints the ratio aot / (TFLM + CMSIS-NN); the goal is
<= 0.6 on every model. With --per-mac it also profiles the aot inference (bench/aot_profile.py's
block trace) and prints instructions per MAC per op type, the figure that shows how far each
kernel is from the Cortex-M4 floor (about 0.5: SMLAD does two MACs).

Models: models/hello_world, models/kws, every model in ../shared/models, TFLM's micro_speech audio
preprocessors (audio_preprocessor_int8 / _float, from the resolved pinned tree), and `anomaly_fc`: an
FC-only int8 model of the MLPerf Tiny anomaly-detection shape (640-128-128-128-128-8-128-128-128-
128-640, per-tensor, RELU), generated with tests/tflite_builder.py into bench/out/ (seeded: the
same bytes every run). A model one of the runtimes cannot build is listed with its reason.

    python bench/aot_vs_cmsis_nn.py [--target qemu-m7] [--models anomaly_fc,kws,...] [--per-mac]

Writes bench/out/aot_vs_cmsis_nn.json (qemu-m4; another target: aot_vs_cmsis_nn-<target>.json) and
prints a Markdown table. Needs arm-none-eabi-gcc,
qemu-system-arm and the CMSIS-NN and TFLM sources (tinyml_build.third_party.resolve; the tflm
column says why when they are absent).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED = PROJECT_DIR.parent / "shared" / "models"
OUT = PROJECT_DIR / "bench" / "out"
TARGET = "qemu-m4"
# The emulated Cortex-M targets that run CMSIS-NN (its DSP or MVE paths); --per-mac profiles on qemu-m4 only.
TARGETS = ("qemu-m3", "qemu-m4", "qemu-m7", "qemu-m33", "qemu-m55")
GOAL = 0.6
ANOMALY_WIDTHS = (640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640)
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "tests"))


def anomaly_fc_model(path: Path) -> Path:
    """The MLPerf Tiny anomaly-detection autoencoder's shape as a seeded int8 model: ten
    FULLY_CONNECTED layers, per-tensor weights, RELU on the hidden ones, scales that keep the
    activations spread over the int8 range."""
    from tflite_builder import fully_connected_chain_model

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fully_connected_chain_model(ANOMALY_WIDTHS, seed=12,
                                                 description="anomaly-detection shaped FC model (bench)"))
    return path


def tflm_audio_preprocessors() -> dict[str, str]:
    """TFLM's micro_speech audio front ends (Signal library ops), which the pinned tree ships; none when
    its sources do not resolve here."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        tflm = resolve(load_lock().get("tflite-micro"))
    except TinyMLError:
        return {}
    folder = tflm / "tensorflow" / "lite" / "micro" / "examples" / "micro_speech" / "models"
    return {path.stem: str(path) for path in sorted(folder.glob("audio_preprocessor_*.tflite"))}


def models() -> dict[str, str]:
    found = {"hello_world": "hello_world", "kws": "kws",
             "anomaly_fc": str(anomaly_fc_model(OUT / "anomaly_fc.tflite"))}
    for path in sorted(SHARED.glob("*.tflite")):
        found[path.stem] = str(path)
    found.update(tflm_audio_preprocessors())
    return found


NO_CMSIS_NN = "no cmsis-nn function was linked"


def run(name: str, value: str, runtime: str, build_dir: Path, kernels: str = "cmsis-nn", target: str = TARGET) -> dict:
    """Instructions per inference of one `scons test`, or why there are none. A model none of whose
    ops has a CMSIS-NN kernel (the build refuses kernels=cmsis-nn for it) runs TFLM's reference
    kernels, which is what a CMSIS-NN build would run: the row says so."""
    extra = [f"kernels={kernels}"] if runtime == "tflm" else []
    out_dir = build_dir / (runtime if kernels == "cmsis-nn" else f"{runtime}-{kernels}")
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", f"target={target}", f"model={value}",
                             f"runtime={runtime}", *extra, f"build_dir={out_dir}", "test"], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    verdict_file = out_dir / target / name / "test.json"
    if result.returncode != 0 or not verdict_file.is_file():
        text = result.stdout + result.stderr
        if runtime == "tflm" and kernels == "cmsis-nn" and NO_CMSIS_NN in text:
            fallback = run(name, value, runtime, build_dir, "reference", target)
            return {**fallback, "kernels": "reference (no CMSIS-NN kernel)"}
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        # the build's own message (scons: *** <what>), not scons' closing "[target] Error 1"
        told = [line for line in lines if line.startswith("scons: ***") and "] Error" not in line]
        why = (told or lines or [f"exit {result.returncode}"])[-1]
        return {"status": "failed", "why": why[:160]}
    verdict = json.loads(verdict_file.read_text())
    model = verdict["models"].get(name, {})
    per_inference = int(model.get("time", {}).get("per_inference", 0)) or None
    return {"status": verdict["status"], "vectors": f"{model.get('passed', 0)}/{model.get('vectors', 0)}",
            "instructions": per_inference, "kernels": kernels if runtime == "tflm" else ""}


def _shape(sub, index: int) -> tuple[int, ...]:
    return tuple(sub.tensors[index].shape) if index >= 0 else ()


def macs(model, op) -> int:
    """Multiply-accumulates of one op (pooling: one per element summed or compared), 0 for others."""
    sub = model.main
    out = _shape(sub, op.outputs[0])
    out_elements = int(np.prod(out)) if out else 1
    name = op.name
    if name == "CONV_2D":
        return out_elements * int(np.prod(_shape(sub, op.inputs[1])[1:]))
    if name == "TRANSPOSE_CONV":  # every input element meets out_c x k_h x k_w weights
        return int(np.prod(_shape(sub, op.inputs[2]))) * int(np.prod(_shape(sub, op.inputs[1])[:3]))
    if name == "DEPTHWISE_CONV_2D":
        w = _shape(sub, op.inputs[1])
        return out_elements * w[1] * w[2]
    if name == "FULLY_CONNECTED":
        return out_elements * _shape(sub, op.inputs[1])[-1]
    if name == "SVDF":  # per batch row: the feature matmul, then each filter's memory-long time dot
        filters, memory = _shape(sub, op.inputs[2])
        batches, input_size = _shape(sub, op.inputs[0])
        return batches * filters * (input_size + memory)
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return out_elements * op.options.get("filter_height", 1) * op.options.get("filter_width", 1)
    return 0


def per_mac(value: str) -> dict[str, dict]:
    """aot instructions and MACs per op type, from one profiled inference on qemu-m4."""
    import aot_profile

    from tinyml_build.model.reader import load_model

    path = Path(value) if value.endswith(".tflite") else PROJECT_DIR / "models" / value / f"{value}.tflite"
    model = load_model(path)
    with tempfile.TemporaryDirectory(prefix="tml_speed_") as tmp:
        result = aot_profile.profile(path, Path(tmp))
    ops = {op.index: op for op in model.main.operators}
    by_type: dict[str, dict] = {}
    seen: set[int] = set()
    for row in result["ops"]:
        entry = by_type.setdefault(row["op"], {"instructions": 0, "macs": 0})
        entry["instructions"] += row["instructions"]
        if row["op_index"] is not None and row["op_index"] not in seen:  # an op may make several calls
            seen.add(row["op_index"])
            entry["macs"] += macs(model, ops[row["op_index"]])
    return by_type


def table(rows: list[dict]) -> str:
    lines = ["| model | aot instr/inference | TFLM + CMSIS-NN instr/inference | ratio | goal <= 0.6 |",
             "|---|---:|---:|---:|---|"]
    for r in rows:
        a, t = r["aot"].get("instructions"), r["tflm"].get("instructions")
        cell = lambda side, n: f"{n:,}" if n else f"{side['status']}: {side.get('why', '')}"  # noqa: E731
        ratio = f"{a / t:.2f}" if a and t else "n/a"
        met = ("met" if a / t <= GOAL else "NOT met") if a and t else "n/a"
        note = " (reference: no CMSIS-NN kernel for its ops)" if r["tflm"].get("kernels", "").startswith("ref") else ""
        lines.append(f"| {r['model']} | {cell(r['aot'], a)} | {cell(r['tflm'], t)}{note} | {ratio} | {met} |")
    return "\n".join(lines)


def mac_table(rows: list[dict]) -> str:
    lines = ["| model | op type | aot instructions | MACs | instructions / MAC |", "|---|---|---:|---:|---:|"]
    for r in rows:
        for op, e in sorted(r.get("per_op_type", {}).items()):
            if e["macs"]:
                lines.append(f"| {r['model']} | {op} | {e['instructions']:,} | {e['macs']:,} | "
                             f"{e['instructions'] / e['macs']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated names (default: all)")
    parser.add_argument("--per-mac", action="store_true", help="also profile aot: instructions per MAC per op type")
    parser.add_argument("--runtimes", default="aot,tflm", help="which side(s) to build and run (the other shows n/a)")
    parser.add_argument("--build-dir", default=str(OUT / "speed-build"))
    parser.add_argument("--target", default=TARGET, choices=TARGETS, help="the emulated Cortex-M target")
    args = parser.parse_args(argv)
    if args.per_mac and args.target != TARGET:
        parser.error(f"--per-mac profiles on {TARGET} only")
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found", file=sys.stderr)
            return 2
    available = models()
    wanted = args.models.split(",") if args.models else list(available)
    rows = []
    for name in wanted:
        if name not in available:
            print(f"skip {name}: not found (choose from {', '.join(available)})", file=sys.stderr)
            continue
        row = {"model": name}
        for runtime in ("aot", "tflm"):
            row[runtime] = (run(name, available[name], runtime, Path(args.build_dir), target=args.target)
                            if runtime in args.runtimes.split(",") else {"status": "not run"})
        if args.per_mac and row["aot"].get("instructions"):
            row["per_op_type"] = per_mac(available[name])
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "aot_vs_cmsis_nn" if args.target == TARGET else f"aot_vs_cmsis_nn-{args.target}"
    (OUT / f"{stem}.json").write_text(json.dumps({"target": args.target, "rows": rows}, indent=1) + "\n")
    print()
    print(table(rows))
    if args.per_mac:
        print()
        print(mac_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
