"""SCons tool: the `report` alias -- report.json, report.html and report.txt beside the image.

The steps and views live in tinyml_build.reports.fit; this tool hands them the build's files (size.json,
manifest.json, test.json from the run in QEMU -- on the board's stand-in when it has no emulator -- and
cycles.json from the cycle estimate) and prints the one-line-per-step summary.
"""

from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label, say


@clean_errors
def _report_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.reports.fit import summary
    from tinyml_build.reports.fit.inputs import load_inputs, model_yaml_requirements
    from tinyml_build.reports.fit.make import make_report, write_report
    from tinyml_build.reports.fit.requirements import Requirements

    board = load_target(env["TML_TARGET_FILE"])
    tflite = Path(env["TML_TFLITE"])
    requirements = Requirements.combine(dict(env["TML_REQUIREMENTS"]), model_yaml_requirements(tflite))
    inputs = load_inputs(board, tflite, env["TML_MODEL_NAME"], Path(str(target[0])).parent, requirements,
                         env["TML_RUNTIME"], env["TML_KERNELS"], aot_refusal=env["TML_AOT_REFUSAL"])
    report = make_report(inputs)
    write_report(report, Path(str(target[0])).parent)
    for line in summary.render(report, figures=False).splitlines():
        say(line)
    say(f"report: {target[1]}")


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
    node = env.Command([str(out / "report.json"), str(out / "report.html"), str(out / "report.txt")], sources,
                       Action(_report_action, label("REPT"),
                              varlist=["TML_REQUIREMENTS", "TML_MODEL_NAME", "TML_RUNTIME", "TML_KERNELS",
                                       "TML_AOT_REFUSAL"]),
                       TML_TARGET_FILE=str(config.target.path), TML_TFLITE=str(model.tflite),
                       TML_MODEL_NAME=model.name, TML_RUNTIME=plan.runtime.name, TML_KERNELS=config.kernels,
                       TML_REQUIREMENTS={name: options.text(name) for name in REQUIREMENTS if options.text(name)},
                       TML_AOT_REFUSAL=refusal[0] if refusal else "")
    env.NoCache(node)  # made from a run, which is never shared through the cache either
    generated_by(env, node, "tinyml_build.reports.fit.make")
    env.Alias("report", node)
    return node


def generate(env):
    env.AddMethod(FitReport)


def exists(env):
    return True
