"""SCons tool: the `export` alias -- the model's code as a vendorable library (tinyml_build.export).

`scons target=<t> model=<m> export [export_dir=DIR]` writes the tree; with `export_check=1` it
compares the tree with what would be written and fails with the per-file drift, writing nothing.
Every decision is tinyml_build.export's; the tree's files are this step's targets, its sources the
.tflite and the package files it copies, and it depends on the generator's code (generated_by).
"""

import json

from SCons.Script import Action

from tinyml_scons import errors_keep_targets, generated_by, label, say


@errors_keep_targets
def _export_action(target, source, env):
    from tinyml_build.export.render import render_export
    from tinyml_build.export.tree import write_tree

    plan = env["TML_EXPORT_PLAN"]
    stale = write_tree(plan.folder, render_export(plan))
    if stale:
        say(f"export: removed {len(stale)} file(s) of the previous export: {', '.join(stale)}")


@errors_keep_targets
def _export_check_action(target, source, env):
    from tinyml_build.export.drift import check_tree
    from tinyml_build.export.render import render_export

    plan = env["TML_EXPORT_PLAN"]
    check_tree(plan.folder, render_export(plan))
    say(f"export: {plan.folder} matches what tinyml_build generates now")


def ExportLibrary(env, config):
    """Declare the `export` alias for a checked BuildConfig; returns the alias."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.export.manifest import read_manifest
    from tinyml_build.export.request import plan_from_options
    from tinyml_build.export.tree import hand_edits
    from tinyml_scons import tinyml_fail

    try:
        plan = plan_from_options(config, env["TML_OPTIONS"], env["TINYML_PROJECT_DIR"])
    except TinyMLError as exc:
        tinyml_fail(exc)
    if plan.arena_file is not None and not config.target.supports.image:
        env.Tool("tflm_host_probe")  # no image to take the arena from: the host probe measures it
        env.HostArenaProbe(config, plan)
    shown = str(plan.folder).replace("$", "$$")
    if env["TML_OPTIONS"].flag("export_check"):
        check = env.Alias("export", [str(p) for p in plan.inputs], Action(_export_check_action, label("CHK", shown)),
                          TML_EXPORT_PLAN=plan)
        env.AlwaysBuild(check)  # it reads a tree SCons does not track
        return check
    # What decides the tree's bytes besides its sources and the generator's code.
    decided = {"library": plan.library, "target": plan.target.name, "runtime": plan.runtime,
               "model": plan.model_option, "options": plan.options, "flags": plan.flags.as_dict()}
    nodes = env.Command([str(plan.folder / p) for p in plan.files], [str(p) for p in plan.inputs],
                        Action(_export_action, label("EXP", shown)), TML_EXPORT_PLAN=plan)
    env.Depends(nodes, env.Value(json.dumps(decided, sort_keys=True)))
    # SCons does not look at its targets' bytes: a hand edit of the tree is a dependency, so `export`
    # runs (and refuses, naming the file) instead of calling the edited tree up to date.
    previous = read_manifest(plan.folder)
    edited = hand_edits(plan.folder, previous) if previous is not None else []
    env.Depends(nodes, env.Value(f"hand edits: {json.dumps(edited)}"))
    generated_by(env, nodes, "tinyml_build.export.render", "tinyml_build.export.tree")
    env.Precious(nodes)  # SCons must not delete them first: the action tells a hand edit from its own file
    env.NoClean(nodes)  # a vendored tree may live in the user's repository
    env.NoCache(nodes)
    return env.Alias("export", nodes)


def ExportNeedsImage(env, config):
    """runtime=tflm with arena=auto on a target with images: the image's graph must be declared for
    its arena probe (the host target's probe is declared by ExportLibrary)."""
    from tinyml_build.export.request import needs_arena_probe

    return needs_arena_probe(config, env["TML_OPTIONS"]) and config.target.supports.image


def generate(env):
    env.AddMethod(ExportLibrary)
    env.AddMethod(ExportNeedsImage)


def exists(env):
    return True
