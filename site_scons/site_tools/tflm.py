"""SCons tool: runtime=tflm -- its options, and its part of the firmware graph.

Options (command line): arena=auto|<bytes>, arena_headroom=<bytes>|<N>%, and one path option per
pinned upstream dependency (tflite_micro_path=, flatbuffers_path=, gemmlowp_path=, ruy_path=,
cmsis_nn_path=, cmsis_6_path=, esp_nn_path=) that feeds the resolver's `overrides`.

Graph (every decision is tinyml_build.runtimes.tflm.build's TflmPlan; every action calls one
tinyml_build function): TFLM core, kernel and library objects; per model the generated
wrapper (<name>_tflm_api.cc) and descriptor (<name>_model.c); the arena probe image, its QEMU
run and arena.json, from which the descriptors are rendered.
"""

from pathlib import Path

from SCons.Script import ARGUMENTS, Action, GetOption, Help
from tinyml_scons import clean_errors


def path_option(lock_name: str) -> str:
    """The SCons option naming an explicit tree for a lock entry: cmsis-nn -> cmsis_nn_path."""
    return lock_name.replace("-", "_") + "_path"


# ---- actions ---------------------------------------------------------------------------------


@clean_errors
def _write_value(target, source, env):
    from tinyml_build.fileio import write_atomic

    write_atomic(str(target[0]), source[0].get_text_contents())
    return 0


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
    from tinyml_build.image.link import link
    from tinyml_build.config.targets import load_target
    from tinyml_build.runtimes.tflm.build import link_libraries
    from tinyml_build.toolchains.arm_gcc import find_toolchain, firmware_flags

    probe_target = load_target(env["TML_PROBE_TARGET_FILE"])
    toolchain = find_toolchain(search_path=env["TML_ARM_GCC_BIN"])
    flags = link_libraries(firmware_flags(probe_target, Path(env["TML_PROJECT"])))
    link(toolchain, flags, probe_target, [str(s) for s in source],
         str(target[0]), str(target[1]), env["TML_PROBE_SCRIPT"], env["TML_PROBE_SIZING_SCRIPT"])
    return 0


@clean_errors
def _arena_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.config.targets import load_target
    from tinyml_build.runtimes.tflm.arena import decide, parse_option, report_lines, to_json
    from tinyml_build.runtimes.tflm.probe import run_probe

    probe_target = load_target(env["TML_PROBE_TARGET_FILE"])
    log = Path(env["TML_PROBE_LOG"])
    probes = run_probe(probe_target, str(source[0]), list(env["TML_MODEL_NAMES"]), log, float(env["TML_QEMU_TIMEOUT"]))
    decisions = decide(parse_option(env["TML_ARENA"], env["TML_ARENA_HEADROOM"]), probes, probe_target.name)
    write_atomic(str(target[0]), to_json(decisions))
    for line in report_lines(decisions):
        print(f"tinyml_build: {line}")
    return 0


# ---- the graph -------------------------------------------------------------------------------


def _package_files(*patterns):
    import tinyml_build

    root = Path(tinyml_build.__file__).resolve().parent
    return sorted(str(p) for pattern in patterns for p in root.glob(pattern))


def TflmRuntime(env, plan, platform, framework_env):
    """Declare runtime=tflm's part of the image for a FirmwarePlan whose `tflm` is set.

    `platform` is what FirmwarePlatform declared for the target (used by the arena probe when it
    runs on the target's own QEMU machine); `framework_env` compiles model-level C and C++ (model
    data, descriptors) like the rest of the image's model code.
    Returns {'target_objects', 'model_objects', 'generated', 'arena_json', 'probe_elf'}.
    """
    from tinyml_build.image.plan import API_INCLUDE_DIR
    from tinyml_build.platform import SOURCE_DIR as PLATFORM_SOURCE_DIR
    from tinyml_build.runtimes.tflm import api
    from tinyml_build.runtimes.tflm.build import PROBE_APP
    from tinyml_build.runtimes.tflm.sources import GLUE_DIR

    tflm = plan.tflm
    flags = tflm.flags
    arch = list(plan.flags.arch)
    upstream_includes = list(tflm.sources.include_dirs)
    glue_includes = upstream_includes + [GLUE_DIR, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR]

    # The project's own code sees upstream headers as system headers (-isystem; GCC then ignores the
    # same -I, which stays in CPPPATH so SCons still tracks those headers): the project's stricter
    # warnings apply to its code, not to TFLM's headers.
    system = [flag for d in upstream_includes for flag in ("-isystem", str(d))]

    def compile_env(common, defines, optimization, include_dirs, extra=()):
        out = env.Clone()
        out.Replace(CCFLAGS=arch + list(common) + [optimization] + list(extra), CPPDEFINES=list(defines),
                    CPPPATH=[str(p) for p in include_dirs])
        return out

    core_env = compile_env(flags.upstream_common, flags.core_defines, flags.core_optimization, upstream_includes)
    glue_env = compile_env(flags.glue_common, flags.core_defines, flags.core_optimization, glue_includes, system)
    kernel_env = compile_env(flags.upstream_common, flags.kernel_defines, flags.kernel_optimization, upstream_includes)
    wrapper_env = compile_env(flags.glue_common, flags.kernel_defines, flags.core_optimization,
                              [plan.gen_dir] + glue_includes, system)
    model_env = framework_env.Clone()
    model_env.Append(CPPPATH=[str(GLUE_DIR)])

    # Target level: the framework core (shared by every kernel set), the kernel set's files.
    target_objects = []
    for src in tflm.sources.core:
        target_objects += (glue_env if src.parent == GLUE_DIR else core_env).Object(str(tflm.core_object(src)), str(src))
    for src in tflm.sources.kernel_files + tflm.sources.library_files:
        target_objects += kernel_env.Object(str(tflm.kernel_object(src)), str(src))

    # Model level: the wrapper over MicroInterpreter and the flatbuffer array, per model.
    api_code = _package_files("runtimes/tflm/api.py", "runtimes/tflm/templates/tflm_api.cc.j2", "codegen/templating.py")
    descriptor_code = _package_files("runtimes/tflm/api.py", "runtimes/tflm/arena.py", "runtimes/tflm/templates/tflm_model.c.j2")
    shared_objects, generated = [], []
    for m, files in zip(plan.models, tflm.models):
        wrapper = env.Command(str(files.api_cc), str(m.tflite),
                              Action(_api_action, f"Generating {m.name} (runtime=tflm)",
                                     varlist=["TML_MODEL_NAME", "TML_RESOLVER_LABEL"]),
                              TML_MODEL_NAME=m.name, TML_RESOLVER_LABEL=tflm.resolver_label)
        env.Depends(wrapper, api_code)
        generated += wrapper
        shared_objects += wrapper_env.Object(str(plan.obj_dir / f"{m.name}_tflm_api.o"), wrapper)
        shared_objects += model_env.Object(str(plan.obj_dir / f"{m.name}_model_data.o"), str(files.model_data_cc))

    # The arena probe: the same objects with one large shared arena and the probe application.
    names = [m.name for m in tflm.models]
    probe_table = env.Command(str(tflm.probe_models_c), env.Value(api.render_probe_models(names, tflm.probe_capacity)),
                              Action(_write_value, "Generating $TARGET"))
    generated += probe_table
    probe_env = model_env.Clone()
    probe_env.Replace(CPPPATH=[str(p) for p in (GLUE_DIR, PLATFORM_SOURCE_DIR, API_INCLUDE_DIR)])
    probe_objects = probe_env.Object(str(plan.obj_dir / "probe" / "tml_arena_probe_models.o"), probe_table)
    probe_objects += probe_env.Object(str(tflm.probe_object), str(PROBE_APP))
    if tflm.probe_target.name == plan.target.name:
        probe_platform = platform
    else:
        probe_platform = env.FirmwarePlatform(tflm.probe_platform, framework_env)
    probe_elf, probe_map = env.Command(
        [str(tflm.probe_dir / "arena_probe.elf"), str(tflm.probe_dir / "arena_probe.map")],
        probe_platform["objects"] + probe_objects + target_objects + shared_objects,
        Action(_probe_link_action, "Linking $TARGET"),
        TML_PROBE_TARGET_FILE=str(tflm.probe_target.source), TML_PROJECT=str(plan.project_dir),
        TML_PROBE_SCRIPT=str(tflm.probe_platform.linker_script),
        TML_PROBE_SIZING_SCRIPT=str(tflm.probe_platform.sizing_linker_script))
    env.Depends(probe_elf, probe_platform["scripts"] + _package_files("image/link.py"))
    arena_json = env.Command(
        str(tflm.arena_json), probe_elf,
        Action(_arena_action, f"Measuring the tensor arena of {', '.join(names)} in QEMU "
                              f"({tflm.probe_target.emulator.machine})",
               varlist=["TML_ARENA", "TML_ARENA_HEADROOM", "TML_MODEL_NAMES"]),
        TML_PROBE_TARGET_FILE=str(tflm.probe_target.source), TML_MODEL_NAMES=names, TML_PROBE_LOG=str(tflm.probe_log),
        TML_ARENA=env["TML_ARENA"], TML_ARENA_HEADROOM=env["TML_ARENA_HEADROOM"],
        TML_QEMU_TIMEOUT=str(env.get("TML_QEMU_TIMEOUT", 120)))
    env.Depends(arena_json, _package_files("runtimes/tflm/arena.py", "runtimes/tflm/probe.py", "verification/qemu_runner.py"))
    env.SideEffect(str(tflm.probe_log), arena_json)  # kept when the measurement fails: the error points to it

    # The descriptors (arena + tml_model_api), rendered from the measurement.
    model_objects = list(shared_objects)
    for m, files in zip(plan.models, tflm.models):
        descriptor = env.Command(str(files.descriptor_c), [arena_json, str(m.tflite)],
                                 Action(_descriptor_action, "Generating $TARGET", varlist=["TML_MODEL_NAME"]),
                                 TML_MODEL_NAME=m.name)
        env.Depends(descriptor, descriptor_code)
        generated += descriptor
        model_objects += model_env.Object(str(plan.obj_dir / m.model_object), descriptor)
    return {"target_objects": target_objects, "model_objects": model_objects, "generated": generated,
            "arena_json": arena_json, "probe_elf": probe_elf}


def _options(env):
    """arena=, arena_headroom= and the <dependency>_path= options, checked; help text."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.runtimes.tflm.arena import DEFAULT_HEADROOM, parse_option
    from tinyml_build.runtimes.tflm.sources import load_lock

    env["TML_ARENA"] = ARGUMENTS.get("arena", "auto")
    env["TML_ARENA_HEADROOM"] = ARGUMENTS.get("arena_headroom", DEFAULT_HEADROOM)
    try:
        dependencies = load_lock().dependencies
    except TinyMLError:
        if any(key.endswith("_path") for key in ARGUMENTS):
            raise
        dependencies = ()  # no lock (a partial checkout): runtime=auto falls back to aot, saying why
    known = {path_option(dep.name): dep.name for dep in dependencies}
    for key in sorted(k for k in ARGUMENTS if k.endswith("_path") and k not in known):
        from tinyml_build.errors import closest_names

        raise TinyMLError(f"unknown option {key}=", where=f"{key}=",
                          fix=f"source path options: {', '.join(sorted(known))} (closest: "
                              f"{', '.join(closest_names(key, known))})")
    env["TML_THIRD_PARTY_OVERRIDES"] = {name: ARGUMENTS[key] for key, name in known.items() if ARGUMENTS.get(key)}
    lines = ["", "runtime=tflm (TFLM's MicroInterpreter; runtime=auto picks it when its sources resolve):",
             "  arena=auto|BYTES      tensor arena per model: measured by running the image in QEMU (default),",
             "                        or this many bytes (a build error if the model needs more)",
             f"  arena_headroom=N|N%   bytes (or percent of the measured need) added by arena=auto (default {DEFAULT_HEADROOM})",
             "  tflm_log=on|off       compile TFLM's error messages in (default off: ~11 KB of strings)",
             "  Upstream source trees (default: TINYML_<NAME>_PATH, else the verified cache; see third_party/README.md):"]
    lines += [f"  {path_option(dep.name) + '=PATH':<24}{dep.name} ({dep.short})" for dep in dependencies]
    if GetOption("help"):
        Help("\n".join(lines) + "\n", append=True)
    env["TML_ARENA_OPTION"] = parse_option(env["TML_ARENA"], env["TML_ARENA_HEADROOM"])  # bad values stop here
    log = ARGUMENTS.get("tflm_log", "off").strip().lower()
    if log not in ("on", "off"):
        raise TinyMLError(f"tflm_log={log} is neither on nor off", where="tflm_log=", fix="use tflm_log=on or tflm_log=off")
    env["TML_TFLM_LOG"] = log == "on"


def generate(env):
    from tinyml_build.errors import TinyMLError

    env.AddMethod(TflmRuntime)
    try:
        _options(env)
    except TinyMLError as exc:
        import sys

        from SCons.Script import Exit

        print(f"scons: *** {exc}", file=sys.stderr)
        Exit(2)


def exists(env):
    return True
