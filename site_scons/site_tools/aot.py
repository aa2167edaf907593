"""SCons tool: runtime=aot's part of the firmware graph -- the model compiled to C, and its kernels.

Every decision is tinyml_build.runtimes.aot.plan's AotPlan; the action calls the aot generator.
"""

from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label


@clean_errors
def _aot_action(target, source, env):
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot import generate

    out_dir = Path(str(target[0])).parent
    generate(load_model(str(source[0]), name=env["TML_MODEL_NAME"]), out_dir, name=env["TML_MODEL_NAME"])


def AotSources(env, model_c, model_h, tflite, name):
    """<name>_model.c/.h: the model as straight-line C (also the host target's sources)."""
    out = env.Command([str(model_c), str(model_h)], str(tflite),
                      Action(_aot_action, label("GEN", "$TARGET"), varlist=["TML_MODEL_NAME"]), TML_MODEL_NAME=name)
    return generated_by(env, out, "tinyml_build.runtimes.aot.emit")


def AotRuntime(env, plan, envs):
    """Declare runtime=aot's part of the image for a FirmwarePlan whose runtime is an AotPlan.

    `envs` holds the compile environments of the image (tinyml_build firmware tool: 'kernel' for
    target-level kernels, 'model_kernel' for generated model code). Returns the runtime part dict
    the firmware tool expects.
    """
    aot = plan.runtime
    target_objects = [envs["kernel"].Object(str(plan.common_dir / "kernels" / f"{src.stem}.o"), str(src))
                      for src in aot.kernel_sources]
    model_objects, generated = [], []
    from tinyml_build.runtimes.aot.upstream_tables import upstream_inputs

    for m in aot.models:
        sources = env.AotSources(m.model_c, m.model_h, m.tflite, m.name)
        env.Depends(sources, [str(p) for p in upstream_inputs(m.kernels)])  # e.g. TFLM's sigmoid table
        model_objects += envs["model_kernel"].Object(str(plan.obj_dir / f"{m.name}_model.o"), sources[0])
        generated += sources
    return {"target_objects": target_objects, "model_objects": model_objects, "generated": generated,
            "size_report": {}}


def generate(env):
    env.AddMethod(AotSources)
    env.AddMethod(AotRuntime)


def exists(env):
    return True
