"""SCons tool: the arena probe of target=host (`runtime=tflm export` with arena=auto).

Every decision is tinyml_build.runtimes.tflm.host_probe's HostProbePlan: the export's own files and
flags compiled with the host gcc/g++, linked with the probe application, run natively; its
measurement is <out>/arena.json, which the export reads as it reads an image's. The objects, the
program and the measurement depend on the host compilers' identity (path and version), so another
compiler measures again.
"""

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label, say


@clean_errors
def _link_action(target, source, env):
    from tinyml_build.runtimes.tflm.host_probe import link_program

    link_program([str(s) for s in source], str(target[0]), env["ENV"].get("PATH"))
    return 0


@clean_errors
def _measure_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.runtimes.tflm.arena import decide, parse_option, report_lines, to_json
    from tinyml_build.runtimes.tflm.host_probe import run_host_probe

    probes = run_host_probe(str(source[0]), env["TML_MODEL_NAME"], env["TML_PROBE_LOG"],
                            float(env["TML_QEMU_TIMEOUT"]))
    decisions = decide(parse_option("auto", env["TML_ARENA_HEADROOM"]), probes, "host")
    write_atomic(str(target[0]), to_json(decisions))
    for line in report_lines(decisions):
        say(f"tinyml_build: {line}")
    return 0


def HostArenaProbe(env, config, export_plan):
    """Declare the host probe of a tflm export (ExportPlan with arena=auto); returns the arena.json node."""
    from tinyml_build.runtimes.tflm.host_probe import INVOKE_DEFINE, compiler_identity, plan_host_probe

    env.Tool("tflm")
    plan = plan_host_probe(config, export_plan)
    identity = env.Value(f"host compilers: {compiler_identity(env['ENV'].get('PATH'))}")
    compile_env = env.Clone(tools=["gcc", "g++"])
    compile_env.Replace(CC="gcc", CXX="g++", CCFLAGS=list(plan.private), CFLAGS=list(plan.c_flags),
                        CXXFLAGS=list(plan.cxx_flags), CPPDEFINES=list(plan.definitions),
                        CPPPATH=[str(p) for p in plan.include_dirs], OBJSUFFIX=".o")
    objects = []
    for source, obj in plan.upstream:
        objects += compile_env.Object(str(obj), str(source))
    own_env = compile_env.Clone()
    own_env.Append(CPPDEFINES=[INVOKE_DEFINE])
    for source in plan.own:
        objects += own_env.Object(str(plan.common_dir / "probe" / f"{source.stem}.o"), str(source))
    wrapper = env.TflmWrapperSource(plan.api_cc, export_plan.tflite, plan.model, plan.model)
    table = env.TflmProbeTable(plan.probe_models_c, [plan.model], plan.capacity)
    objects += compile_env.Object(str(plan.obj_dir / f"{plan.model}_tflm_api.o"), wrapper)
    objects += compile_env.Object(str(plan.obj_dir / f"{plan.model}_model_data.o"), str(plan.model_data_cc))
    objects += compile_env.Object(str(plan.obj_dir / "tml_arena_probe_models.o"), table)
    program = env.Command(str(plan.program), objects, Action(_link_action, label("LINK")))
    arena_json = env.Command(str(plan.arena_json), program,
                             Action(_measure_action, label("RUN", "host arena probe -> $TARGET"),
                                    varlist=["TML_ARENA_HEADROOM", "TML_MODEL_NAME"]),
                             TML_MODEL_NAME=plan.model, TML_PROBE_LOG=str(plan.log),
                             TML_ARENA_HEADROOM=env["TML_OPTIONS"].text("arena_headroom"),
                             TML_QEMU_TIMEOUT=str(env["TML_QEMU_TIMEOUT"]))
    env.Depends(objects + program + arena_json, identity)
    generated_by(env, program, "tinyml_build.runtimes.tflm.host_probe")
    generated_by(env, arena_json, "tinyml_build.runtimes.tflm.host_probe", "tinyml_build.runtimes.tflm.arena")
    env.SideEffect(str(plan.log), arena_json)  # kept when the measurement fails: the error points to it
    return arena_json


def generate(env):
    env.AddMethod(HostArenaProbe)


def exists(env):
    return True

