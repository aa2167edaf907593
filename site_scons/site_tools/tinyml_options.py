"""SCons tool: the build options (target=, model=, runtime=, kernels=, build_dir=).

Values come from the command line, else from the project config file `tinyml.conf` (SCons
Variables syntax, e.g. `target = "stm32f407"`), else the defaults. Resolution and checking
happen in tinyml_build.config.build_config; this tool only collects the strings and the help text.
"""

import os
from pathlib import Path

from SCons.Script import ARGUMENTS, GetOption, Help, Variables

CONFIG_FILE = "tinyml.conf"


def generate(env):
    project_dir = Path(env.Dir("#").abspath)
    config = os.environ.get("TINYML_CONFIG", str(project_dir / CONFIG_FILE))
    variables = Variables([config] if Path(config).is_file() else [], ARGUMENTS)
    variables.Add("target", "board to build for (see targets/)", "")
    variables.Add("model", "model name from models/ or a path to a .tflite; several, comma-separated, share one image", "")
    variables.Add("runtime", "auto | aot | tflm", "auto")
    variables.Add("kernels", "reference | cmsis-nn | esp-nn (default: the target's)", "")
    variables.Add("build_dir", "output root", "build")
    variables.Update(env)
    env["TINYML_PROJECT_DIR"] = project_dir
    if GetOption("help"):  # listing every target and model reads ~20 YAML files: only for -h
        Help(_help_text(env, variables, project_dir), append=True)


def _help_text(env, variables, project_dir: Path) -> str:
    from tinyml_build.config import targets

    lines = ["tinyml_build: scons target=<target> model=<model> [runtime=...] [kernels=...]", "", "Options:"]
    lines.append(variables.GenerateHelpText(env))
    lines.append("Targets:")
    lines += [f"  {line}" for line in targets.describe_targets(project_dir / "targets")]
    lines.append("")
    lines.append("Models:")
    lines += [f"  {line}" for line in _describe_models(project_dir / "models")]
    lines.append("")
    return "\n".join(lines)


def _describe_models(models_dir: Path) -> list[str]:
    from tinyml_build.model import catalog as model_catalog
    from tinyml_build.errors import TinyMLError

    lines = []
    for name in model_catalog.list_models(models_dir):
        try:
            lines.append(f"{name:<16} {model_catalog.load_model(models_dir / name).description.splitlines()[0]}")
        except (TinyMLError, IndexError) as exc:
            lines.append(f"{name:<16} (invalid: {exc})")
    lines.append(f"{'<path>.tflite':<16} any TFLite model file")
    return lines


def exists(env):
    return True
