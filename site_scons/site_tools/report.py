"""SCons tool: the `report` alias -- report.json, report.html and report.txt beside the image.

The steps and views live in tinyml_build.reports.fit; this tool hands them the build's files (size.json,
manifest.json, test.json from the run in QEMU -- on the board's stand-in when it has no emulator -- and
cycles.json from the cycle estimate) and prints the one-line-per-step summary. An image that does not
fit stops the build at its link or budget gate, before any of those exist: a hook at SCons's exit then
writes the report from the gate's measurement alone (flash and RAM FAIL, the run's steps not run).
"""

import atexit
import time
from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label, say

_SETTINGS = ("TML_TARGET_FILE", "TML_TFLITE", "TML_MODEL_NAME", "TML_RUNTIME", "TML_KERNELS", "TML_REQUIREMENTS",
             "TML_AOT_REFUSAL")


def _write_fit_report(settings, out_dir: Path, does_not_fit: bool = False):
    """Make the report from the build folder's files (only the gate's measurement when `does_not_fit`),
    write its three files and print its summary; returns the Report."""
    from tinyml_build.config.targets import load_target
    from tinyml_build.reports.fit import summary
    from tinyml_build.reports.fit.inputs import load_inputs, model_yaml_requirements
    from tinyml_build.reports.fit.make import make_report, write_report
    from tinyml_build.reports.fit.requirements import Requirements

    board = load_target(settings["TML_TARGET_FILE"])
    tflite = Path(settings["TML_TFLITE"])
    requirements = Requirements.combine(dict(settings["TML_REQUIREMENTS"]), model_yaml_requirements(tflite))
    inputs = load_inputs(board, tflite, settings["TML_MODEL_NAME"], out_dir, requirements, settings["TML_RUNTIME"],
                         settings["TML_KERNELS"], aot_refusal=settings["TML_AOT_REFUSAL"], does_not_fit=does_not_fit)
    report = make_report(inputs)
    write_report(report, out_dir)
    for line in summary.render(report, figures=False).splitlines():
        say(line)
    return report


@clean_errors
def _report_action(target, source, env):
    _write_fit_report(env, Path(str(target[0])).parent)
    say(f"report: {target[1]}")


def _report_when_it_does_not_fit(settings, page, gate_nodes, started: float) -> None:
    """At SCons's exit: when this build failed at the image's link or budget gate (it left its
    measurement), write the report anyway and end with one line naming report.html. SCons's exit
    status stays that of the failed build."""
    import sys

    from SCons.Script import GetBuildFailures

    from tinyml_build.errors import TinyMLError
    from tinyml_build.escape import terminal
    from tinyml_build.reports.fit.inputs import overflowed_since

    out_dir = Path(page.abspath).parent
    gate = {id(node) for node in gate_nodes}
    if not any(id(failure.node) in gate for failure in GetBuildFailures()) or not overflowed_since(out_dir, started):
        return
    try:
        report = _write_fit_report(settings, out_dir, does_not_fit=True)
    except TinyMLError as exc:
        print(f"scons: *** {exc}", file=sys.stderr)
        return
    print(f"scons: *** the image does not fit {terminal(report.target)}: the report says by how much and what takes "
          f"the room (steps 4, 5 and accuracy not run): {terminal(str(page))}", file=sys.stderr, flush=True)


def FitReport(env, config, plan, image, run, cycles):
    """report.{json,html,txt} for a one-model image from its size facts, its run (`run`: the test node,
    on the image's stand-in for a board without an emulator) and its cycle estimate (`cycles`)."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.reports.fit.requirements import REQUIREMENTS
    from tinyml_scons import tinyml_fail

    if len(plan.models) != 1:
        tinyml_fail(TinyMLError(f"`report` covers one model, not {len(plan.models)}", where="report",
                                fix="run `report` with one model= at a time, or use `tinyml-build fit`"))
    model = config.models[0]
    out = plan.out_dir
    sources = [image["size"][1], image["manifest"], str(model.tflite), str(config.target.path)]
    sources += [cycles[0]] if cycles else []  # cycles.json
    yaml_file = model.tflite.parent / "model.yaml"
    if yaml_file.is_file():
        sources.append(str(yaml_file))
    if run is not None:
        sources.append(run[1])  # test.json
    options = env["TML_OPTIONS"]
    refusal = model.facts.aot_refusal
    settings = {"TML_TARGET_FILE": str(config.target.path), "TML_TFLITE": str(model.tflite),
                "TML_MODEL_NAME": model.name, "TML_RUNTIME": plan.runtime.name, "TML_KERNELS": config.kernels,
                "TML_REQUIREMENTS": {name: options.text(name) for name in REQUIREMENTS if options.text(name)},
                "TML_AOT_REFUSAL": refusal[0] if refusal else ""}
    node = env.Command([str(out / "report.json"), str(out / "report.html"), str(out / "report.txt")], sources,
                       Action(_report_action, label("REPT"), varlist=list(_SETTINGS[2:])), **settings)
    env.NoCache(node)  # made from a run, which is never shared through the cache either
    # The exit hook below may write these files behind SCons's back: never trust its record of them.
    env.AlwaysBuild(node)
    generated_by(env, node, "tinyml_build.reports.fit.make")
    env.Alias("report", node)
    atexit.register(_report_when_it_does_not_fit, settings, node[1], [image["elf"], image["map"], *image["size"]],
                    time.time())
    return node


def generate(env):
    env.AddMethod(FitReport)


def exists(env):
    return True
