"""SCons tool: builders for the generated sources every runtime shares (model array, op resolver).

Each builder's action calls one tinyml_build.codegen function; each output depends on the .tflite
and on the code that writes it (tinyml_scons.generated_by).
"""

import json
from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label


@clean_errors
def _model_data_action(target, source, env):
    from tinyml_build.codegen.model_data import write_model_data

    tflite = Path(str(source[0]))
    write_model_data(Path(str(target[0])).parent, env["TINYML_MODEL_NAME"], tflite.read_bytes(),
                     env["TINYML_MODEL_SHA256"], tflite.name, env.get("TINYML_MODEL_SECTION") or None)
    return 0


@clean_errors
def _op_resolver_action(target, source, env):
    from tinyml_build.analysis.op_inventory import OpUse
    from tinyml_build.codegen.op_resolver import render_op_resolver
    from tinyml_build.fileio import write_atomic

    uses = [OpUse(name, tuple(inputs), tuple(outputs)) for name, inputs, outputs in json.loads(env["TINYML_OP_USES"])]
    write_atomic(str(target[0]), render_op_resolver(env["TINYML_RESOLVER_NAME"], env["TINYML_OPS"], op_uses=uses))
    return 0


def ModelData(env, gen_dir, model_input, section=None):
    """<name>_model_data.h/.cc for one model."""
    name = model_input.name
    targets = [f"{gen_dir}/{name}_model_data.h", f"{gen_dir}/{name}_model_data.cc"]
    out = env.Command(targets, str(model_input.tflite),
                      Action(_model_data_action, label("GEN", "$TARGETS"), varlist=["TINYML_MODEL_SECTION"]),
                      TINYML_MODEL_NAME=name, TINYML_MODEL_SHA256=model_input.sha256,
                      TINYML_MODEL_SECTION=section or "")
    return generated_by(env, out, "tinyml_build.codegen.model_data")


def OpResolver(env, gen_dir, name, op_names, op_uses):
    """<name>_op_resolver.h: a MicroMutableOpResolver with exactly these ops, type-specialized where
    every one of `op_uses` (op_inventory.OpUse of all the image's models) allows."""
    uses = json.dumps(sorted([u.name, list(u.inputs), list(u.outputs)] for u in op_uses), separators=(",", ":"))
    out = env.Command(f"{gen_dir}/{name}_op_resolver.h", [],
                      Action(_op_resolver_action, label("GEN"),
                             varlist=["TINYML_RESOLVER_NAME", "TINYML_OPS", "TINYML_OP_USES"]),
                      TINYML_RESOLVER_NAME=name, TINYML_OPS=list(op_names), TINYML_OP_USES=uses)
    return generated_by(env, out, "tinyml_build.codegen.op_resolver")


def GeneratedSources(env, config):
    """The TFLM integration sources of every build (the `gen` alias): each model's array, one resolver."""
    gen_dir = str(config.gen_dir)
    generated = []
    for model_input in config.models:
        generated += env.ModelData(gen_dir, model_input, section=config.target.model_section)
    generated += env.OpResolver(gen_dir, "_".join(m.name for m in config.models), config.op_names(), config.op_uses())
    env.Alias("gen", generated)
    return generated


def generate(env):
    env.AddMethod(ModelData)
    env.AddMethod(OpResolver)
    env.AddMethod(GeneratedSources)


def exists(env):
    return True
