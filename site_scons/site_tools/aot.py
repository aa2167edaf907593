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
    generate(load_model(str(source[0]), name=env["TML_MODEL_NAME"]), out_dir, name=env["TML_MODEL_NAME"],
             shared_arena=env["TML_SHARED_ARENA"])


@clean_errors
def _shared_arena_action(target, source, env):
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.aot.shared_arena import generate_shared_arena

    generate_shared_arena([load_model(str(s)) for s in source], Path(str(target[0])).parent)


def AotSources(env, model_c, model_h, tflite, name, shared_arena=False, kernels=None):
    """<name>_model.c/.h: the model as straight-line C (also the host target's sources).

    `kernels` (the model's kernel files, when the plan knows them) narrows the upstream files the C
    is also made from (TFLM's sigmoid table); None: every such file (the host target plans later)."""
    from tinyml_build.runtimes.aot.upstream_tables import upstream_inputs

    out = env.Command([str(model_c), str(model_h)], str(tflite),
                      Action(_aot_action, label("GEN", "$TARGET"), varlist=["TML_MODEL_NAME", "TML_SHARED_ARENA"]),
                      TML_MODEL_NAME=name, TML_SHARED_ARENA=bool(shared_arena))
    env.Depends(out, [str(p) for p in upstream_inputs(kernels)])
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
    shared = aot.shared_arena_c is not None
    for m in aot.models:
        sources = env.AotSources(m.model_c, m.model_h, m.tflite, m.name, shared_arena=shared, kernels=m.kernels)
        model_objects += envs["model_kernel"].Object(str(plan.obj_dir / f"{m.name}_model.o"), sources[0])
        generated += sources
    if shared:  # arena_share=on: the models' one arena, sized to the largest need
        arena = env.Command(str(aot.shared_arena_c), sorted(str(m.tflite) for m in aot.models),
                            Action(_shared_arena_action, label("GEN", "$TARGET")))
        generated_by(env, arena, "tinyml_build.runtimes.aot.shared_arena")
        model_objects += envs["model_kernel"].Object(str(plan.obj_dir / "tml_aot_shared_arena.o"), arena[0])
        generated += arena
    return {"target_objects": target_objects, "model_objects": model_objects, "generated": generated,
            "size_report": {}}


def generate(env):
    env.AddMethod(AotSources)
    env.AddMethod(AotRuntime)


def exists(env):
    return True
