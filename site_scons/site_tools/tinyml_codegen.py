"""SCons tool: builders for the generated sources (model array, op resolver).

Each builder's action calls one tinyml_build.codegen function; SCons only tracks inputs
(the .tflite, the templates, the package's own code) and outputs.
"""

from pathlib import Path

from SCons.Script import Action, Value
from tinyml_scons import clean_errors


@clean_errors
def _model_data_action(target, source, env):
    from tinyml_build.codegen.model_data import write_model_data

    tflite = Path(str(source[0]))
    write_model_data(Path(str(target[0])).parent, env["TINYML_MODEL_NAME"], tflite.read_bytes(),
                     env["TINYML_MODEL_SHA256"], tflite.name, env.get("TINYML_MODEL_SECTION"))
    return 0


@clean_errors
def _op_resolver_action(target, source, env):
    from tinyml_build.codegen.op_resolver import render_op_resolver
    from tinyml_build.fileio import write_atomic

    write_atomic(str(target[0]), render_op_resolver(env["TINYML_RESOLVER_NAME"], env["TINYML_OPS"]))
    return 0


def _template_deps(env, *names):
    import tinyml_build

    package = Path(tinyml_build.__file__).parent
    return [env.File(str(package / "codegen" / "templates" / n)) for n in names]


def ModelData(env, gen_dir, model_input, section=None):
    """<name>_model_data.h/.cc for one model."""
    name = model_input.name
    targets = [f"{gen_dir}/{name}_model_data.h", f"{gen_dir}/{name}_model_data.cc"]
    out = env.Command(targets, str(model_input.tflite), Action(_model_data_action, f"Generating {name} model array"),
                      TINYML_MODEL_NAME=name, TINYML_MODEL_SHA256=model_input.model.sha256, TINYML_MODEL_SECTION=section)
    env.Depends(out, _template_deps(env, "model_data.h.j2", "model_data.cc.j2") + [Value(section or "")])
    return out


def OpResolver(env, gen_dir, name, op_names):
    """<name>_op_resolver.h: a MicroMutableOpResolver with exactly these ops."""
    out = env.Command(f"{gen_dir}/{name}_op_resolver.h", [], Action(_op_resolver_action, f"Generating {name} op resolver"),
                      TINYML_RESOLVER_NAME=name, TINYML_OPS=list(op_names))
    env.Depends(out, _template_deps(env, "op_resolver.h.j2") + [Value(",".join(op_names))])
    return out


def generate(env):
    env.AddMethod(ModelData)
    env.AddMethod(OpResolver)


def exists(env):
    return True
