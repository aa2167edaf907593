"""SCons tool: runtime=tflm's part of the firmware graph.

Every decision is tinyml_build.runtimes.tflm.plan's TflmPlan; every action calls one tinyml_build
function: TFLM core, kernel and library objects; per model the generated wrapper
(<name>_tflm_api.cc) and descriptor (<name>_model.c); the arena probe image, its QEMU run and
arena.json, from which the descriptors are rendered. Its options (arena=, arena_headroom=,
tflm_log=, <dependency>_path=) are declared with all others in tinyml_build.config.options.
"""

from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, echo, found_toolchain, generated_by, label, say, unsigned

# ---- actions ---------------------------------------------------------------------------------


@clean_errors
def _probe_models_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.runtimes.tflm.api import render_probe_models

    write_atomic(str(target[0]), render_probe_models(list(env["TML_MODEL_NAMES"]), int(env["TML_CAPACITY"])))


@clean_errors
def _api_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.tflm.api import render_api

    name = env["TML_MODEL_NAME"]
    write_atomic(str(target[0]), render_api(name, load_model(str(source[0]), name=name), env["TML_RESOLVER_LABEL"]))
    return 0


@clean_errors
def _descriptor_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.model.reader import load_model
    from tinyml_build.runtimes.tflm.api import render_descriptor
    from tinyml_build.runtimes.tflm.arena import from_json

    name = env["TML_MODEL_NAME"]
    decision = from_json(Path(str(source[0])).read_text())[name]
    write_atomic(str(target[0]), render_descriptor(name, load_model(str(source[1]), name=name), decision.reserved,
                                                   decision.comment()))
    return 0


@clean_errors
def _probe_link_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.image.link import link
    from tinyml_build.runtimes.tflm.plan import link_libraries
    from tinyml_build.toolchains import firmware_flags

    probe_target = load_target(env["TML_PROBE_TARGET_FILE"])
    toolchain = found_toolchain(env)
    flags = link_libraries(firmware_flags(env["TML_TOOLCHAIN_NAME"], probe_target, Path(env["TML_PROJECT"])))
    link(toolchain, flags, probe_target, [str(s) for s in source], str(target[0]), str(target[1]),
         env["TML_PROBE_SCRIPT"], env["TML_PROBE_SIZING_SCRIPT"], cwd=env["TML_BUILD_ROOT"],
         echo=echo(env))
    return 0


@clean_errors
def _arena_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.fileio import write_atomic
    from tinyml_build.runtimes.tflm.arena import decide, parse_option, report_lines, to_json
    from tinyml_build.runtimes.tflm.probe import run_probe

    probe_target = load_target(env["TML_PROBE_TARGET_FILE"])
    log = Path(env["TML_PROBE_LOG"])
    probes = run_probe(probe_target, str(source[0]), list(env["TML_MODEL_NAMES"]), log, float(env["TML_QEMU_TIMEOUT"]))
    decisions = decide(parse_option(env["TML_ARENA"], env["TML_ARENA_HEADROOM"]), probes, probe_target.name)
    write_atomic(str(target[0]), to_json(decisions))
    for line in report_lines(decisions):
        say(f"tinyml_build: {line}")
    return 0


# ---- the graph -------------------------------------------------------------------------------


def TflmWrapperSource(env, api_cc, tflite, name, resolver_label):
    """<name>_tflm_api.cc: the model API over MicroInterpreter (shared by the image, its probe and the
    host target's probe)."""
    wrapper = env.Command(str(api_cc), str(tflite),
                          Action(_api_action, label("GEN"), varlist=["TML_MODEL_NAME", "TML_RESOLVER_LABEL"]),
                          TML_MODEL_NAME=name, TML_RESOLVER_LABEL=resolver_label)
    return generated_by(env, wrapper, "tinyml_build.runtimes.tflm.api")


def TflmProbeTable(env, path, names, capacity):
    """tml_arena_probe_models.c: the probe's models over one shared `capacity`-byte arena."""
    table = env.Command(str(path), env.Value(f"{','.join(names)}:{capacity}"),
                        Action(_probe_models_action, label("GEN"), varlist=["TML_MODEL_NAMES", "TML_CAPACITY"]),
                        TML_MODEL_NAMES=list(names), TML_CAPACITY=capacity)
    return generated_by(env, table, "tinyml_build.runtimes.tflm.api")


def TflmRuntime(env, plan, envs):
    """Declare runtime=tflm's part of the image for a FirmwarePlan whose runtime is a TflmPlan.

    `envs['framework']` compiles the platform (for a probe that runs on another target's QEMU
    machine), `envs['model_framework']` model-level C and C++ (model data, descriptors) like the rest
    of the image's model code. Returns the runtime part dict the firmware tool expects.
    """
    from tinyml_build.image.plan import API_INCLUDE_DIR
    from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
    from tinyml_build.platform import xtensa_libm
    from tinyml_build.runtimes.tflm.plan import PROBE_APP
    from tinyml_build.runtimes.tflm.sources import GLUE_DIR

    tflm = plan.runtime
    framework_env = envs["model_framework"]
    env.DisplayPlaces([(tree, f"<{name}>") for name, tree in tflm.sources.trees.items()])
    flags = tflm.flags
    arch = list(plan.flags.arch)
    upstream_includes = list(tflm.sources.include_dirs)
    glue_includes = upstream_includes + [GLUE_DIR, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR]

    # The project's own code sees upstream headers as system headers (-isystem; GCC then ignores the
    # same -I, which stays in CPPPATH so SCons still tracks those headers): the project's stricter
    # warnings apply to its code, not to TFLM's headers.
    system = unsigned([flag for d in upstream_includes for flag in ("-isystem", str(d))])

    def compile_env(common, defines, optimization, include_dirs, extra=()):
        out = env.Clone()
        out.Replace(CCFLAGS=arch + list(common) + [optimization] + list(extra) + unsigned(flags.path_maps),
                    CPPDEFINES=list(defines),
                    CPPPATH=[str(p) for p in include_dirs])
        return out

    core_env = compile_env(flags.upstream_common, flags.core_defines, flags.core_optimization, upstream_includes)
    glue_env = compile_env(flags.glue_common, flags.core_defines, flags.core_optimization, glue_includes, system)
    kernel_env = compile_env(flags.upstream_common, flags.kernel_defines, flags.kernel_optimization, upstream_includes)
    kernel_env.Append(CFLAGS=list(xtensa_libm.c_header_flags(plan.toolchain)))
    wrapper_env = compile_env(flags.glue_common, flags.kernel_defines, flags.core_optimization,
                              [plan.gen_dir] + glue_includes, system)
    model_env = framework_env.Clone()
    model_env.Append(CPPPATH=[str(GLUE_DIR)])

    # Target level: the framework core (shared by every kernel set), the kernel set's files.
    target_objects = []
    for src in tflm.sources.core:
        src_env = glue_env if src.parent == GLUE_DIR else core_env
        target_objects += src_env.Object(str(tflm.core_object(src)), str(src))
    for src in tflm.sources.kernel_files + tflm.sources.library_files:
        target_objects += kernel_env.Object(str(tflm.kernel_object(src)), str(src))
    target_objects += _xtensa_libm_objects(env, plan, compile_env(flags.upstream_common, (), flags.kernel_optimization,
                                                                  []))
    # The project's own code a kernel set needs from its platform (ESP-NN: esp_timer_get_time()).
    kernel_glue_env = compile_env(flags.glue_common, flags.kernel_defines + tflm.glue_defines(plan.target),
                                  flags.kernel_optimization, glue_includes, system)
    kernel_glue_env.Append(CFLAGS=list(xtensa_libm.c_header_flags(plan.toolchain)))
    for src in tflm.sources.glue_files:
        target_objects += kernel_glue_env.Object(str(tflm.kernel_object(src)), str(src))

    # Model level: the wrapper over MicroInterpreter and the flatbuffer array, per model.
    shared_objects, generated = [], []
    for m, files in zip(plan.models, tflm.models):
        wrapper = env.TflmWrapperSource(files.api_cc, m.tflite, m.name, tflm.resolver_label)
        generated += wrapper
        shared_objects += wrapper_env.Object(str(plan.obj_dir / f"{m.name}_tflm_api.o"), wrapper)
        shared_objects += model_env.Object(str(plan.obj_dir / f"{m.name}_model_data.o"), str(files.model_data_cc))

    # The arena probe: the same objects with one large shared arena and the probe application.
    names = [m.name for m in tflm.models]
    probe_table = env.TflmProbeTable(tflm.probe_models_c, names, tflm.probe_capacity)
    generated += probe_table
    probe_env = model_env.Clone()
    probe_env.Replace(CPPPATH=[str(p) for p in (GLUE_DIR, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR)])
    probe_objects = probe_env.Object(str(plan.obj_dir / "probe" / "tml_arena_probe_models.o"), probe_table)
    probe_objects += probe_env.Object(str(tflm.probe_object), str(PROBE_APP))
    if tflm.probe_platform == plan.platform:
        probe_platform = envs["platform"]
    elif plan.has_twin and tflm.probe_platform == plan.twin_platform:
        probe_platform = envs["twin_platform"]
    else:
        probe_platform = env.FirmwarePlatform(tflm.probe_platform, envs["framework"])
    probe_elf, probe_map = env.Command(
        [str(tflm.probe_dir / "arena_probe.elf"), str(tflm.probe_dir / "arena_probe.map")],
        probe_platform["objects"] + probe_objects + target_objects + shared_objects,
        Action(_probe_link_action, label("LINK")),
        TML_PROBE_TARGET_FILE=str(tflm.probe_target.path), TML_PROJECT=str(plan.project_dir),
        TML_PROBE_SCRIPT=str(tflm.probe_script),
        TML_PROBE_SIZING_SCRIPT=str(tflm.probe_platform.sizing_linker_script))
    env.Depends(probe_elf, probe_platform["scripts"] + [str(tflm.probe_target.path)])
    generated_by(env, probe_elf, "tinyml_build.image.link")
    arena_json = env.Command(
        str(tflm.arena_json), probe_elf,
        Action(_arena_action, label("QEMU", f"arena probe on {tflm.probe_target.emulator.machine} -> $TARGET"),
               varlist=["TML_ARENA", "TML_ARENA_HEADROOM", "TML_MODEL_NAMES"]),
        TML_PROBE_TARGET_FILE=str(tflm.probe_target.path), TML_MODEL_NAMES=names, TML_PROBE_LOG=str(tflm.probe_log),
        TML_ARENA=str(tflm.arena.fixed) if tflm.arena.fixed is not None else "auto",
        TML_ARENA_HEADROOM=tflm.arena.describe_headroom(), TML_QEMU_TIMEOUT=str(env["TML_QEMU_TIMEOUT"]))
    generated_by(env, arena_json, "tinyml_build.runtimes.tflm.probe", "tinyml_build.runtimes.tflm.arena")
    env.SideEffect(str(tflm.probe_log), arena_json)  # kept when the measurement fails: the error points to it

    # The descriptors (arena + tml_model_api), rendered from the measurement.
    model_objects = list(shared_objects)
    for m, files in zip(plan.models, tflm.models):
        descriptor = env.Command(str(files.descriptor_c), [arena_json, str(m.tflite)],
                                 Action(_descriptor_action, label("GEN"), varlist=["TML_MODEL_NAME"]),
                                 TML_MODEL_NAME=m.name)
        generated_by(env, descriptor, "tinyml_build.runtimes.tflm.api", "tinyml_build.runtimes.tflm.arena")
        generated += descriptor
        model_objects += model_env.Object(str(plan.obj_dir / m.model_object), descriptor)
    return {"target_objects": target_objects, "model_objects": model_objects, "generated": generated,
            "size_report": {"kernel_library": tflm.kernel_library, "arena_json": arena_json}}


@clean_errors
def _extract_libm_action(target, source, env):
    from tinyml_build.platform import xtensa_libm

    xtensa_libm.extract(Path(str(source[0])), Path(str(target[0])).parent)


def _xtensa_libm_objects(env, plan, upstream_env):
    """newlib's float math (expf, logf, tanhf, fminf, fmaxf), extracted from Debian's newlib-source and
    compiled, for toolchains with no usable libm (clang-xtensa); nothing for the others."""
    from tinyml_build.platform import xtensa_libm

    if not xtensa_libm.needed(plan.toolchain):
        return []
    out_dir = plan.runtime.common_dir / "newlib"
    files = env.Command([str(p) for p in xtensa_libm.extracted_files(out_dir)], str(xtensa_libm.find_tarball()),
                        Action(_extract_libm_action, label("GEN", "newlib's float math from $SOURCE")))
    generated_by(env, files, "tinyml_build.platform.xtensa_libm")
    libm_env = upstream_env.Clone(CPPPATH=[str(out_dir)], CPPDEFINES=list(xtensa_libm.DEFINES))
    libm_env.Append(CCFLAGS=["-isystem", str(xtensa_libm.headers_dir()), *xtensa_libm.QUIET])
    return [libm_env.Object(str(out_dir / f"{Path(name).stem}.o"), files[i])[0]
            for i, name in enumerate(xtensa_libm.SOURCES)]


def generate(env):
    env.AddMethod(TflmRuntime)
    env.AddMethod(TflmWrapperSource)
    env.AddMethod(TflmProbeTable)


def exists(env):
    return True
