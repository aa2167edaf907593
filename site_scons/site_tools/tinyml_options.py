"""SCons tool: every build option as an SCons Variable, read the same way from the command line,
`tinyml.conf` (or the file named by $TINYML_CONFIG) and checked once; `scons -h`; the build config.

The table of options, their checks and the rules of which build each one affects live in
tinyml_build.config.options; the build's checked choices in tinyml_build.config.build_config.
"""

import os
from pathlib import Path

from SCons.Script import ARGUMENTS, COMMAND_LINE_TARGETS, GetOption, Help, Variables

from tinyml_scons import tinyml_fail


def config_files(project_dir: Path) -> list[Path]:
    """$TINYML_CONFIG when set (it must exist), else the project's tinyml.conf when present."""
    from tinyml_build.config.options import CONFIG_ENV, CONFIG_FILE
    from tinyml_build.errors import TinyMLError

    named = os.environ.get(CONFIG_ENV)
    if named:
        if not Path(named).is_file():
            raise TinyMLError(f"${CONFIG_ENV} names {named}, which is not a file", where=CONFIG_ENV,
                              fix=f"point {CONFIG_ENV} at a config file or unset it")
        return [Path(named)]
    default = project_dir / CONFIG_FILE
    return [default] if default.is_file() else []


def _validator(option):
    def validate(key, value, env):
        option.check(value)  # raises TinyMLError naming the option

    return validate


def _read(env, project_dir: Path, options):
    """The options of this build: config files, then the command line (which wins), each checked."""
    from tinyml_build.config.options import OptionValues, collect

    given = collect(ARGUMENTS, config_files(project_dir), options)  # unknown names stop here, naming their source
    variables = Variables(None, {name: g.value for name, g in given.items()})
    for option in options:
        variables.Add(option.name, option.help, option.default, _validator(option))
    variables.Update(env)  # env[name]: the value in effect, for SCons-level use
    return OptionValues.from_given(given, options)


def TinymlConfig(env):
    """The checked BuildConfig of this build; prints the banner and notes. Stops SCons with one
    message on any bad option or input."""
    from tinyml_build.config.build_config import from_options
    from tinyml_build.config.options import lock_dependencies_or_none
    from tinyml_build.errors import TinyMLError
    from tinyml_build.escape import terminal

    try:
        config = from_options(env["TINYML_PROJECT_DIR"], env["TML_OPTIONS"], env["TML_OPTION_TABLE"],
                              requested=COMMAND_LINE_TARGETS, lock_dependencies=lock_dependencies_or_none())
    except TinyMLError as exc:
        tinyml_fail(exc)
    print(config.banner(Path(env["TINYML_PROJECT_DIR"])))
    for note in config.notes:
        print(f"tinyml_build: note: {terminal(note)}")
    return config


def _help_text(options, project_dir: Path) -> str:
    import textwrap

    from tinyml_build.config import targets
    from tinyml_build.config.aliases import ALIASES
    from tinyml_build.config.options import help_lines
    from tinyml_build.escape import terminal
    from tinyml_build.resources import search_dirs

    lines = ["tinyml_build: scons target=<target> model=<model> [option=value ...] [alias ...]", "", "Aliases:"]
    for name, what in ALIASES.items():
        lines += textwrap.wrap(what, width=100, initial_indent=f"  {name:<10} ", subsequent_indent=" " * 13)
    lines += ["", "Options (command line, else tinyml.conf or $TINYML_CONFIG; [scope] = where an option has an "
                  "effect):"]
    lines += help_lines(options)
    lines += ["", "Targets:"]
    for folder in search_dirs(project_dir, "targets"):
        lines += [f"  {line}" for line in targets.describe_targets(folder)]
    lines += ["", "Models:"]
    for folder in search_dirs(project_dir, "models"):
        lines += [f"  {line}" for line in _describe_models(folder)]
    lines.append(f"  {'<path>.tflite':<16} any TFLite model file")
    lines += ["", "SCons's own options: scons -H", ""]
    return "\n".join(terminal(line) for line in lines)  # descriptions and names come from files


def _describe_models(models_dir: Path) -> list[str]:
    from tinyml_build.errors import TinyMLError
    from tinyml_build.model import catalog as model_catalog

    lines = []
    for name in model_catalog.list_models(models_dir):
        try:
            lines.append(f"{name:<16} {model_catalog.load_model(models_dir / name).description.splitlines()[0]}")
        except (TinyMLError, IndexError) as exc:
            lines.append(f"{name:<16} (invalid: {exc})")
    return lines


def generate(env):
    from tinyml_build.config.options import declared_options
    from tinyml_build.errors import TinyMLError

    project_dir = Path(env.Dir("#").abspath)  # where scons runs: the checkout, or the user's project folder
    env["TINYML_PROJECT_DIR"] = project_dir
    env.AddMethod(TinymlConfig)
    options = env["TML_OPTION_TABLE"] = declared_options()
    try:
        env["TML_OPTIONS"] = _read(env, project_dir, options)
    except TinyMLError as exc:
        if not GetOption("help"):  # -h still lists everything
            tinyml_fail(exc)
    if GetOption("help"):  # listing every target and model reads ~20 YAML files: only for -h
        Help(_help_text(options, project_dir), append=False)


def exists(env):
    return True
