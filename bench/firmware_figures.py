"""Firmware figures: flash and RAM by component, arena, QEMU instructions per inference -- Cortex-M
and the ESP32 family side by side (ESP targets: the image's objects on their ISA twin; the Xtensa
counts come from the project's QEMU plugin, the RISC-V ones from minstret: instructions, not cycles).

For each model and target it runs `scons target=<t> model=<m> test` (a normal build: images land
in build/<t>/<m>/, already-built ones are reused) and reads size.json and test.json. Writes
bench/out/firmware.json and prints a Markdown table, plus the goals of issue 4 for runtime=aot:
hello_world under 16 KB of flash and 1,500 instructions per inference; micro_speech and
person_detect at most half of TFLM-reference's instruction counts (22.7 M and 525 M).

    python bench/firmware_figures.py [--targets stm32f407,qemu-m4] [--models hello_world,kws,...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED = PROJECT_DIR.parent / "shared" / "models"
MODELS = {
    "hello_world": "hello_world",
    "kws": "kws",
    "micro_speech_quantized": str(SHARED / "micro_speech_quantized.tflite"),
    "person_detect": str(SHARED / "person_detect.tflite"),
}
TARGETS = ("stm32f407", "qemu-m4", "esp32c3", "esp32", "esp32s3")
TFLM_REFERENCE_INSTRUCTIONS = {"micro_speech_quantized": 22.7e6, "person_detect": 525e6}
GOALS = {"hello_world": {"flash": 16 * 1024, "instructions": 1500}}


def measure(target: str, name: str, value: str, build_dir: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-j2", f"target={target}", f"model={value}",
                             "runtime=aot", f"build_dir={build_dir}", "test"], cwd=PROJECT_DIR, capture_output=True,
                            text=True)
    out = build_dir / target / name
    row = {"target": target, "model": name, "build": "ok" if result.returncode == 0 else "failed"}
    if result.returncode != 0:
        text = result.stdout + result.stderr
        row["error"] = text.strip().splitlines()[-3:]
        if "does not fit" in text:
            row["build"] = "does not fit"  # refused at build time with the numbers: a figure, not a failure
    if (out / "firmware.bin").is_file() and row["build"] == "ok":
        row["image"] = (out / "firmware.bin").stat().st_size  # what is written to flash
    if (out / "size.json").is_file():
        size = json.loads((out / "size.json").read_text())
        row.update(flash=size["flash"]["total"], flash_by_component=size["flash"]["by_component"],
                   ram=size["ram"]["total"], ram_by_component=size["ram"]["by_component"],
                   arena=size["arena"]["bytes"], arena_region=size["arena"]["region"])
    if (out / "test.json").is_file():
        verdict = json.loads((out / "test.json").read_text())
        model = verdict["models"].get(name, {})
        row.update(test=verdict["status"], vectors=f"{model.get('passed', 0)}/{model.get('vectors', 0)}",
                   instructions=int(model.get("time", {}).get("per_inference", 0)) or None,
                   arena_used=int(model.get("facts", {}).get("arena_used", 0)) or None)
    return row


def goals(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        name, target = row["model"], row["target"]
        if target.startswith("esp32"):
            continue  # issue 4's goals are Cortex-M figures; the ESP rows are figures only
        goal = GOALS.get(name)
        if goal and row.get("flash") is not None:
            ok = row["flash"] < goal["flash"]
            lines.append(f"{name} on {target}: flash {row['flash']:,} B (goal < {goal['flash']:,}): "
                         f"{'met' if ok else 'NOT met'}")
        if goal and row.get("instructions"):
            ok = row["instructions"] < goal["instructions"]
            lines.append(f"{name} on {target}: {row['instructions']:,} instructions (goal < {goal['instructions']:,}): "
                         f"{'met' if ok else 'NOT met'}")
        if name in TFLM_REFERENCE_INSTRUCTIONS and row.get("instructions"):
            reference = TFLM_REFERENCE_INSTRUCTIONS[name]
            ratio = row["instructions"] / reference
            lines.append(f"{name} on {target}: {row['instructions']:,} instructions = {ratio:.3f} x TFLM reference "
                         f"({reference / 1e6:g} M; goal <= 0.5): {'met' if ratio <= 0.5 else 'NOT met'}")
    return lines


def table(rows: list[dict]) -> str:
    head = ("| model | target | test | image B | flash B | RAM B | arena B | QEMU instr/inference | "
            "flash by component |\n|---|---|---|---:|---:|---:|---:|---:|---|")
    body = []
    for r in rows:
        parts = ", ".join(f"{k} {v:,}" for k, v in r.get("flash_by_component", {}).items())
        body.append(f"| {r['model']} | {r['target']} | {r.get('test', r['build'])} {r.get('vectors', '')} | "
                    f"{r.get('image', 0):,} | {r.get('flash', 0):,} | {r.get('ram', 0):,} | {r.get('arena', 0):,} | "
                    f"{(r.get('instructions') or 0):,} | {parts} |")
    return "\n".join([head] + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--build-dir", default=str(PROJECT_DIR / "build"))
    parser.add_argument("--out", default=str(PROJECT_DIR / "bench" / "out" / "firmware.json"))
    args = parser.parse_args(argv)
    rows = []
    for name in args.models.split(","):
        value = MODELS.get(name, name)
        if value.endswith(".tflite") and not Path(value).is_file():
            print(f"skip {name}: {value} not found", file=sys.stderr)
            continue
        for target in args.targets.split(","):
            rows.append(measure(target, name, value, Path(args.build_dir)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "goals": goals(rows)}, indent=1) + "\n")
    print(table(rows))
    print()
    print("\n".join(goals(rows)))
    return 0 if all(r["build"] == "does not fit" or (r["build"] == "ok" and r.get("test") == "PASS")
                    for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
