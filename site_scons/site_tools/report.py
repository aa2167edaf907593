"""SCons tool: the `report` alias -- report.json, report.html and report.txt beside the image.

The steps and views live in tinyml_build.reports.fit; this tool hands them the build's files (size.json,
manifest.json, and test.json from the run in QEMU, or an emulated twin's run when the target has no
emulator) and prints the one-line-per-step summary.
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
                         env["TML_RUNTIME"], env["TML_KERNELS"], targets_dir=Path(env["TML_TARGETS_DIR"]),
                         build_root=Path(env["TML_BUILD_ROOT"]), aot_refusal=env["TML_AOT_REFUSAL"])
    report = make_report(inputs)
    write_report(report, Path(str(target[0])).parent)
    for line in summary.render(report, figures=False).splitlines():
        say(line)
    say(f"report: {target[1]}")


def FitReport(env, config, plan, image, run=None):
    """report.{json,html,txt} for a one-model image; `run` is its test node (targets with an
    emulator). Targets without one use an emulated twin's test.json when a build left one."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.reports.fit.inputs import emulated_twin
    from tinyml_build.reports.fit.requirements import REQUIREMENTS
    from tinyml_scons import tinyml_fail

    if len(plan.models) != 1:
        tinyml_fail(TinyMLError(f"`report` covers one model, not {len(plan.models)}", where="report",
                                fix="run `report` with one model= at a time, or use `tinyml-build fit`"))
    model = config.models[0]
    out = plan.out_dir
    sources = [image["size"][1], image["manifest"], str(model.tflite), str(config.target.path)]
    yaml_file = model.tflite.parent / "model.yaml"
    if yaml_file.is_file():
        sources.append(str(yaml_file))
    if run is not None:
        sources.append(run[1])  # test.json
    else:
        twin = emulated_twin(config.target, config.target.path.parent)
        twin_dir = Path(plan.common_dir).parent.parent / twin.name / out.name if twin else None
        sources += [str(twin_dir / name) for name in ("test.json", "manifest.json")
                    if twin_dir and (twin_dir / name).is_file()]
    options = env["TML_OPTIONS"]
    refusal = model.facts.aot_refusal
    node = env.Command([str(out / "report.json"), str(out / "report.html"), str(out / "report.txt")], sources,
                       Action(_report_action, label("REPT"),
                              varlist=["TML_REQUIREMENTS", "TML_MODEL_NAME", "TML_RUNTIME", "TML_KERNELS",
                                       "TML_AOT_REFUSAL"]),
                       TML_TARGET_FILE=str(config.target.path), TML_TFLITE=str(model.tflite),
                       TML_MODEL_NAME=model.name, TML_RUNTIME=plan.runtime.name, TML_KERNELS=config.kernels,
                       TML_REQUIREMENTS={name: options.text(name) for name in REQUIREMENTS if options.text(name)},
                       TML_TARGETS_DIR=str(config.target.path.parent),
                       TML_BUILD_ROOT=str(plan.common_dir.parent.parent),
                       TML_AOT_REFUSAL=refusal[0] if refusal else "")
    env.NoCache(node)  # cheap, and it reads a twin's run only when one exists: never shared through the cache
    generated_by(env, node, "tinyml_build.reports.fit.make")
    env.Alias("report", node)
    return node


def generate(env):
    env.AddMethod(FitReport)


def exists(env):
    return True
