"""Profile a built test image in QEMU: its executed-instruction mix per inference, per model and per op.

Why: the cycle model (reports/cycle_model.py) needs what ran, not only how many instructions. This runs
the image once with the project's QEMU plugin in mix mode (verification/icount/tml_icount.c), classifies
every executed address from the ELF's disassembly (reports/instruction_mix.py) and divides by the timed
inferences. Per-op mixes need an image built with profile_ops=on (runtime=aot): its program calls
tml_profile_op() before each op; without it each model has one op-less mix.

    profile = profile_image(load_target("qemu-m4"), "build-profile/qemu-m4/kws/firmware.elf",
                            op_labels={"kws": aot_op_labels("models/kws/kws.tflite")})
    profile.models["kws"].mix          # InstructionMix per inference
    profile.models["kws"].ops          # [OpProfile(label="#0 CONV_2D", mix=...), ...]
    estimate_image(profile, target)    # model name -> CycleEstimate

Or from a shell:  python -m tinyml_build.verification.image_profile --target qemu-m4 ELF [--tflite kws=PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.config.target import Target
from tinyml_build.errors import TinyMLError
from tinyml_build.escape import json_text, terminal
from tinyml_build.reports.instruction_mix import InstructionMix, classify_listing, disassemble, fall_throughs, mix_of

STAND_IN_DIR = "stand-in"  # beside a stand-in-profiled image: the stand-in's test run (test.json)


@dataclass(frozen=True)
class OpProfile:
    position: int  # the op's place in the program's call order (the plugin's op number)
    label: str  # e.g. "#3 CONV_2D"; "op <position>" without labels
    mix: InstructionMix  # per inference


@dataclass(frozen=True)
class ModelProfile:
    name: str
    windows: int  # timed inferences the plugin saw
    mix: InstructionMix  # everything between tml_profile_begin and tml_profile_end, per inference
    outside_ops: InstructionMix  # the part before the first op marker (the invoke call, setup)
    ops: tuple[OpProfile, ...]  # empty without op markers


@dataclass(frozen=True)
class ImageProfile:
    target: str
    elf: str
    models: dict[str, ModelProfile] = field(default_factory=dict)


def stand_in_for(target: Target, targets_dir: Path | None = None) -> Target:
    """The emulated target whose QEMU machine runs `target`'s code (config.targets.emulated_stand_in);
    TinyMLError with the fix when there is none."""
    from tinyml_build.config.targets import emulated_stand_in

    stand_in = emulated_stand_in(target, targets_dir)
    if stand_in is not None:
        return stand_in
    raise TinyMLError(f"`cycles` and `report` run the image in QEMU, and neither {target.name} nor any emulated "
                      f"target with its arch flags ({' '.join(target.arch_flags)}) has an emulator",
                      where=f"target={target.name}",
                      fix="measure on the board instead (`monitor port=...` writes monitor.log with its cycle "
                          "counts), or add an emulated target with the same arch flags to targets/")


def aot_op_labels(tflite: str | Path) -> list[str]:
    """"#<op index> <OP_NAME>" of each op the aot program runs, in its order (eliminated ops left out)."""
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot.lower import lower_model

    return [f"#{step.op_index} {step.op_name}" for step in lower_model(load_model(tflite)).steps]


def tflm_op_labels(tflite: str | Path) -> list[str]:
    """"#<op index> <OP_NAME>" of every op of the main subgraph: the order TFLM's interpreter invokes them."""
    from tinyml_build.model.reader import load_model

    return [f"#{op.index} {op.name}" for op in load_model(tflite).main.operators]


def op_labels(runtime: str, tflite: str | Path) -> list[str]:
    """The labels of the ops a per-op profiling image of `runtime` marks, in the order it runs them."""
    return aot_op_labels(tflite) if runtime == "aot" else tflm_op_labels(tflite)


def profiles_per_op(runtime: str, tflite: str | Path) -> bool:
    """Whether a per-op profiling image of `runtime` marks each op of the model exactly once per inference:
    aot's program always; TFLM's invoke trampolines only for one subgraph (IF, WHILE, CALL_ONCE run other
    subgraphs' ops inside an op)."""
    from tinyml_build.model.reader import load_model

    return runtime == "aot" or (runtime == "tflm" and len(load_model(tflite).subgraphs) == 1)


def _mix_files(target: Target, elf: Path, mix_path: Path, timeout: float) -> tuple[str, str]:
    """Run the image with the plugin in mix mode; (console output, QEMU's stderr)."""
    from tinyml_build.fileio import user_cache_dir
    from tinyml_build.verification import icount_plugin, qemu_runner

    skip, data_range = None, None
    if target.emulator and target.emulator.twin:
        from tinyml_build.platform import twin_counting

        skip = twin_counting(target) or None
    else:  # the twins' memory is not the chip's: their loads are not flash reads
        flash = target.region("flash")
        data_range = (flash.origin, flash.origin + flash.size)
    plugin = icount_plugin.build_plugin(user_cache_dir() / "qemu-plugins")
    args = ["-plugin", icount_plugin.plugin_argument(plugin, elf, skip_symbols=skip, mix_path=mix_path,
                                                        data_range=data_range),
            *icount_plugin.LOG_OPTIONS]
    outcome = qemu_runner.run_image(target, elf, timeout=timeout, extra_args=args)
    if outcome.timed_out or outcome.truncated:
        raise TinyMLError(f"the profiled run did not finish ({'timed out' if outcome.timed_out else 'runaway output'})",
                          where=str(elf), fix="run `scons ... test` on this image first; raise qemu_timeout=")
    return outcome.output, outcome.stderr


def profile_image(target: Target, elf: str | Path, op_labels: dict[str, list[str]] | None = None,
                  timeout: float = 600.0) -> ImageProfile:
    """Run `elf` (a test image of `target`) in QEMU with the mix-mode plugin; the mix of every model."""
    from tinyml_build.verification import icount_plugin, qemu_runner

    elf = Path(elf)
    listing = disassemble(elf, target.isa, target.cpu)
    with tempfile.TemporaryDirectory(prefix="tml-profile-") as folder:
        mix_path = Path(folder) / "mix.txt"
        output, stderr = _mix_files(target, elf, mix_path, timeout)
        if not mix_path.is_file():
            raise TinyMLError("the instruction-count plugin wrote no mix file", where=str(elf),
                              details=stderr[-2000:], fix="check that QEMU loads plugins (-plugin) on this machine")
        counts = icount_plugin.parse_mix(mix_path.read_text())
    report = qemu_runner.parse_report(output)
    timed = [m.name for m in report.models.values() if m.time]
    if len(timed) != len(counts.models()):
        raise TinyMLError(f"the plugin saw {len(counts.models())} profiled model(s), the firmware timed {len(timed)}",
                          where=str(elf), fix="profile a test image built by this project (it calls the markers)")
    profile = ImageProfile(target.name, elf.name)
    for number, name in zip(counts.models(), timed):
        profile.models[name] = _model_profile(name, number, counts, listing, target.isa,
                                              (op_labels or {}).get(name))
    return profile


def _model_profile(name, number, counts, listing, isa, labels) -> ModelProfile:
    classes = classify_listing(listing, isa)
    falls = fall_throughs(listing, isa, classes)
    windows = counts.windows(number)
    if windows == 0:
        raise TinyMLError(f"the plugin saw no timed inference of model {terminal(name)}")
    per = 1.0 / windows
    outside = _segment_mix(counts, (number, -1), listing, isa, classes, falls).scaled(per)
    ops, total = [], outside
    positions = counts.ops(number)
    for position in positions:
        reached = counts.entries[(number, position)]
        if reached != windows:
            raise TinyMLError(f"model {terminal(name)}: op {position} ran in {reached} of {windows} inferences",
                              fix="per-op profiles need a program that calls every op once per inference (aot)")
        mix = _segment_mix(counts, (number, position), listing, isa, classes, falls).scaled(per)
        total = total.merged(mix)
        ops.append(OpProfile(position, _label(labels, position), mix))
    if labels is not None and positions and len(labels) != len(positions):
        raise TinyMLError(f"model {terminal(name)}: {len(positions)} op markers ran, the program has {len(labels)} ops",
                          fix="pass the labels of the model this image was built from (aot_op_labels)")
    return ModelProfile(name, windows, total, outside, tuple(ops))


def _segment_mix(counts, key, listing, isa, classes, falls) -> InstructionMix:
    mix = mix_of(counts.counts.get(key, {}), listing, isa, classes, falls)
    mix.flash_loads = counts.range_loads.get(key, 0)
    return mix


def _label(labels: list[str] | None, position: int) -> str:
    return labels[position] if labels is not None and position < len(labels) else f"op {position}"


def estimate_image(profile: ImageProfile, target: Target) -> dict:
    """Model name -> CycleEstimate of one inference, per op where the profile has ops."""
    from dataclasses import replace

    from tinyml_build.reports.cycle_model import estimate_cycles

    estimates = {name: estimate_cycles(m.mix, target, per_op=[(o.label, o.mix) for o in m.ops])
                 for name, m in sorted(profile.models.items())}
    if profile.target != target.name:
        note = (f"profiled on {profile.target}'s QEMU machine (same arch flags): {target.name}'s application, runtime "
                "and model code, linked with that target's platform layer")
        estimates = {name: replace(e, notes=(*e.notes, note)) for name, e in estimates.items()}
    return estimates


def format_estimate(name: str, estimate) -> str:
    """A terminal table: the model's cycles and latency, its classes and ops."""
    latency = ("" if estimate.latency_us is None
               else f" = {estimate.latency_us:,.1f} us at {estimate.clock_hz / 1e6:g} MHz")
    kind = " (measured)" if estimate.measured else " (estimate)"
    lines = [f"model {terminal(name)} on {estimate.core}: {round(estimate.instructions):,} instructions, "
             f"{round(estimate.cycles):,} cycles{latency}{kind}"]
    lines.append("  by class: " + ", ".join(f"{c} {round(v):,}" for c, v in estimate.per_class.items() if v))
    if estimate.per_op:
        lines.append(f"  {'op':<28} {'instructions':>14} {'cycles':>14} {'share':>6}")
        for op in estimate.per_op:
            share = 100 * op.cycles / estimate.estimated_cycles if estimate.estimated_cycles else 0
            lines.append(f"  {terminal(op.label):<28} {round(op.instructions):>14,} {round(op.cycles):>14,} "
                         f"{share:5.1f}%")
    lines.append("  method: " + estimate.method)
    lines.extend(f"  note: {terminal(n)}" for n in estimate.notes)
    return "\n".join(lines)


def main(argv=None) -> int:
    from tinyml_build.config.targets import load_target

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("elf", type=Path)
    parser.add_argument("--tflite", action="append", default=[], metavar="MODEL=PATH",
                        help="label the ops of MODEL (an aot image built with profile_ops=on) from this .tflite")
    parser.add_argument("--measured", type=Path, help="a board's console log: its cycle lines replace the estimate")
    parser.add_argument("--json", type=Path, help="write the estimates as JSON")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
        labels = {}
        for item in args.tflite:
            model, sep, path = item.partition("=")
            if not sep:
                raise TinyMLError(f"--tflite {item} is not MODEL=PATH", fix="e.g. --tflite kws=models/kws/kws.tflite")
            labels[model] = aot_op_labels(path)
        estimates = estimate_image(profile_image(target, args.elf, labels), target)
        if args.measured:
            from tinyml_build.reports.measured_cycles import apply_measured, read_measured

            estimates = apply_measured(estimates, read_measured(args.measured), args.measured.name)
    except TinyMLError as err:
        print(f"tinyml_build: {err}", file=sys.stderr)
        return 2
    for name, estimate in estimates.items():
        print(format_estimate(name, estimate))
    if args.json:
        args.json.write_text(json_text({n: e.as_dict() for n, e in estimates.items()}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
