"""The `tinyml-build` command line.

Each subcommand is a thin wrapper over a module of the package. Every user-facing error is
printed as one `tinyml-build: error: ...` message with exit status 2, never a traceback.
"""

import argparse
import sys

from tinyml_build.errors import TinyMLError
from tinyml_build.third_party.commands import add_deps_parser


def _inspect(args) -> int:
    from tinyml_build.analysis.analyze import analyze
    from tinyml_build.model.reader import load_model
    from tinyml_build.reports.inspect import to_json, to_text

    analysis = analyze(load_model(args.model))
    sys.stdout.write(to_json(analysis) if args.json else to_text(analysis, show_tensors=args.tensors))
    return 0


def _build(args) -> int:
    """`scons ...` with the package's own build description, in the current folder (the project)."""
    import subprocess

    from tinyml_build.resources import scons_dir

    folder = scons_dir()
    command = [sys.executable, "-m", "SCons", "-f", str(folder / "SConstruct"), f"--site-dir={folder}",
               *args.scons_args]
    return subprocess.call(command)


def _export(args) -> int:
    """`export --check DIR`: the vendored tree against what would be generated now (tinyml_build.export)."""
    from pathlib import Path

    from tinyml_build.escape import terminal
    from tinyml_build.export.drift import check_tree
    from tinyml_build.export.render import render_export
    from tinyml_build.export.request import plan_from_manifest

    folder = Path(args.check)
    plan = plan_from_manifest(folder, Path(args.project), target=args.target, model=args.model, runtime=args.runtime)
    check_tree(folder, render_export(plan))
    print(f"tinyml-build: {terminal(folder)} matches what tinyml_build generates now "
          f"(target={terminal(plan.target.name)}, model={terminal(plan.model_option)}, runtime={plan.runtime})")
    return 0


def _fit(args) -> int:
    """`fit MODEL --targets a,b|all`: one row per board (tinyml_build.reports.fit.boards)."""
    from pathlib import Path

    from tinyml_build.escape import terminal
    from tinyml_build.reports.fit.across import render_json, render_table
    from tinyml_build.reports.fit.boards import fit_boards, target_names
    from tinyml_build.reports.fit.requirements import REQUIREMENTS

    project = Path(args.project)
    names = target_names(project, args.targets)
    given = {name: getattr(args, name) for name in REQUIREMENTS if getattr(args, name) is not None}

    def progress(name):
        if not args.json:
            print(f"fit: building {terminal(name)} ...", file=sys.stderr, flush=True)

    rows = fit_boards(project, args.model, names, given, runtime=args.runtime, build_dir=args.build_dir,
                      progress=progress)
    sys.stdout.write(render_json(args.model, rows) if args.json else render_table(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinyml-build",
                                     description="TensorFlow Lite model to microcontroller firmware.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = sub.add_parser("inspect", help="explain a .tflite model: ops, tensors, MACs, arena estimate")
    inspect.add_argument("model", help="path to a .tflite file")
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    inspect.add_argument("--tensors", action="store_true", help="also list every tensor")
    inspect.set_defaults(run=_inspect)

    build = sub.add_parser("build", help="build in the current folder: `tinyml-build build target=qemu-m4 model=kws "
                                         "[test]` runs scons with the package's build description (any scons "
                                         "argument works: -h lists the options, targets and models)")
    build.add_argument("scons_args", nargs=argparse.REMAINDER, metavar="SCONS_ARGS")
    build.set_defaults(run=_build)

    export = sub.add_parser("export", help="check a vendored export against what would be generated now (write one "
                                           "with `tinyml-build build target=T model=M export`)")
    export.add_argument("--check", required=True, metavar="DIR",
                        help="the vendored export folder; fails (status 2) with the per-file drift")
    export.add_argument("--target", help="target (default: the one manifest.json records)")
    export.add_argument("--model", help="model name or .tflite path (default: the one manifest.json records)")
    export.add_argument("--runtime", help="runtime (default: the one manifest.json records)")
    export.add_argument("--project", default=".", help="the project folder with models/ and targets/ (default: .)")
    export.set_defaults(run=_export)

    fit = sub.add_parser("fit", help="does a model fit these boards: flash, RAM, latency, power, energy per "
                                     "inference in one table (builds, and runs where an emulator exists)")
    fit.add_argument("model", help="model name (models/) or path to a .tflite file")
    fit.add_argument("--targets", required=True, help="comma-separated target names, or all")
    fit.add_argument("--json", action="store_true", help="print the table as JSON")
    fit.add_argument("--runtime", default="auto", help="runtime= of the builds (default: auto)")
    fit.add_argument("--build-dir", default="build", help="build_dir= of the builds (default: build)")
    fit.add_argument("--project", default=".", help="the project folder with models/ and targets/ (default: .)")
    from tinyml_build.reports.fit.requirements import REQUIREMENTS

    for name, (unit, meaning) in REQUIREMENTS.items():
        fit.add_argument(f"--{name}", metavar=unit.upper(), help=f"requirement: {meaning} ({unit})")
    fit.set_defaults(run=_fit)

    add_deps_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["build"] and argv[1:2] not in (["-h"], ["--help"]):
        return _build(argparse.Namespace(scons_args=argv[1:]))  # scons's own arguments, passed as they are
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except TinyMLError as exc:
        print(f"tinyml-build: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
