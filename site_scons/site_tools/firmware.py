"""SCons tool: the firmware build graph (generated C, objects, link, .bin/.hex, reports).

Every decision (paths, sources, flags, runtime) comes from tinyml_build.image.plan; every
action calls one tinyml_build function. Actions that can fail because of the user's input
print one TinyMLError message (what, where, fix) and fail the build without a traceback.
"""

from pathlib import Path

from SCons.Script import Action
from tinyml_scons import clean_errors


# ---- actions ---------------------------------------------------------------------------------


@clean_errors
def _write_value(target, source, env):
    from tinyml_build.fileio import write_atomic

    write_atomic(str(target[0]), source[0].get_text_contents())


@clean_errors
def _aot_action(target, source, env):
    from tinyml_build.runtimes.aot import generate
    from tinyml_build.model.reader import load_model

    out_dir = Path(str(target[0])).parent
    generate(load_model(str(source[0]), name=env["TML_MODEL_NAME"]), out_dir, name=env["TML_MODEL_NAME"])


@clean_errors
def _golden_action(target, source, env):
    from tinyml_build.verification import golden
    from tinyml_build.fileio import write_atomic
    from tinyml_build.image.plan import model_samples
    from tinyml_build.model.reader import load_model

    tflite = Path(str(source[0]))
    result = golden.make_golden(load_model(tflite, name=env["TML_MODEL_NAME"]), name=env["TML_MODEL_NAME"],
                                random_vectors=int(env["TML_RANDOM_VECTORS"]), seed=int(env["TML_SEED"]),
                                samples=model_samples(tflite))
    write_atomic(str(target[0]), result.to_json())


@clean_errors
def _test_vectors_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.verification.test_vectors import render_test_vectors
    from tinyml_build.verification.golden import Golden

    write_atomic(str(target[0]), render_test_vectors(Golden.from_json(Path(str(source[0])).read_text())))


@clean_errors
def _link_action(target, source, env):
    from tinyml_build.image.link import link
    from tinyml_build.config.targets import load_target
    from tinyml_build.toolchains.arm_gcc import find_toolchain

    toolchain = find_toolchain(search_path=env["TML_ARM_GCC_BIN"])
    link(toolchain, env["TML_FLAGS"], load_target(env["TML_TARGET_FILE"]), [str(s) for s in source],
         str(target[0]), str(target[1]), env["TML_LINKER_SCRIPT"], env["TML_SIZING_LINKER_SCRIPT"])


@clean_errors
def _binaries_action(target, source, env):
    from tinyml_build.image.link import write_binaries
    from tinyml_build.config.targets import load_target

    write_binaries(str(source[0]), load_target(env["TML_TARGET_FILE"]), Path(str(target[0])).parent)


@clean_errors
def _hex_action(target, source, env):
    from tinyml_build.image.link import write_hex
    from tinyml_build.toolchains.arm_gcc import find_toolchain

    write_hex(find_toolchain(search_path=env["TML_ARM_GCC_BIN"]), str(source[0]), str(target[0]))


@clean_errors
def _manifest_action(target, source, env):
    from tinyml_build.reports import manifest
    from tinyml_build.fileio import write_atomic
    from tinyml_build.toolchains.arm_gcc import find_toolchain

    outputs = [str(s) for s in source[:env["TML_OUTPUT_COUNT"]]]
    inputs = sorted({str(s) for s in source[env["TML_OUTPUT_COUNT"]:]})
    data = manifest.build_manifest(
        target=env["TML_TARGET_NAME"], runtime=env["TML_RUNTIME"], models=env["TML_MANIFEST_MODELS"],
        inputs=inputs, outputs=outputs, toolchain=find_toolchain(search_path=env["TML_ARM_GCC_BIN"]),
        flags=env["TML_FLAGS"], project_dir=Path(env["TML_PROJECT"]), build_root=Path(env["TML_BUILD_ROOT"]),
        settings=env["TML_SETTINGS"])
    write_atomic(str(target[0]), manifest.to_json(data))


def _compile_commands(objects, project_dir):
    """compile_commands.json text for editors: one entry per object, the exact compile command."""
    import json

    from SCons.Util import flatten

    entries = []
    for node in flatten(objects):
        source = node.sources[0]
        env = node.get_build_env()
        command = env.subst("$CCCOM", target=[node], source=[source])
        entries.append({"directory": str(project_dir), "file": str(source), "output": str(node), "command": command})
    entries.sort(key=lambda e: e["output"])
    return json.dumps(entries, indent=1) + "\n"


# ---- the graph -------------------------------------------------------------------------------


def _package_files(*patterns):
    import tinyml_build

    root = Path(tinyml_build.__file__).resolve().parent
    return sorted(str(p) for pattern in patterns for p in root.glob(pattern))


def FirmwarePlatform(env, platform, framework_env):
    """Declare a TargetPlatform's generated files (tml_board.h, linker scripts) and platform objects.

    Returns {'objects', 'board', 'scripts'}; `scripts` is [firmware.ld, firmware-sizing.ld].
    """
    from tinyml_build.platform.board_header import render_board_header
    from tinyml_build.platform.linker_script import render_linker_script

    compile_env = framework_env.Clone(CPPPATH=[str(p) for p in platform.include_dirs])
    # Target-level generated files: rebuilt only when their text changes.
    board = env.Command(str(platform.board_header), env.Value(render_board_header(platform.target)),
                        Action(_write_value, "Generating $TARGET"))
    script = env.Command(str(platform.linker_script), env.Value(render_linker_script(platform.target)),
                         Action(_write_value, "Generating $TARGET"))
    sizing_script = env.Command(str(platform.sizing_linker_script),
                                env.Value(render_linker_script(platform.target, relaxed=True)),
                                Action(_write_value, "Generating $TARGET"))
    objects = [compile_env.Object(str(platform.object_dir / f"{src.stem}.o"), str(src)) for src in platform.sources]
    return {"objects": objects, "board": board, "scripts": script + sizing_script}


def Firmware(env, plan, toolchain, target_file):
    """Declare the whole image for a FirmwarePlan; returns a dict of the output nodes."""
    from tinyml_build.image.link import binary_names
    from tinyml_build.verification.test_vectors import render_model_table

    env = env.Clone()
    env.Replace(TML_TARGET_FILE=str(target_file), TML_ARM_GCC_BIN=str(toolchain.bin_dir))
    flags = plan.flags
    framework = env.Clone(CPPPATH=[str(p) for p in plan.include_dirs])
    framework.Append(CCFLAGS=[flags.framework_optimization])
    fast = env.Clone(CPPPATH=[str(p) for p in plan.include_dirs])
    fast.Append(CCFLAGS=[flags.kernel_optimization])
    model_framework = framework.Clone(CPPPATH=[str(p) for p in plan.model_include_dirs])
    model_fast = fast.Clone(CPPPATH=[str(p) for p in plan.model_include_dirs])
    common, out, gen, obj = plan.common_dir, plan.out_dir, plan.gen_dir, plan.obj_dir

    platform = env.FirmwarePlatform(plan.platform, framework)
    board, script, sizing_script = platform["board"], platform["scripts"][:1], platform["scripts"][1:]
    platform_objects = platform["objects"]
    app_objects = [framework.Object(str(common / "app" / f"{src.stem}.o"), str(src)) for src in plan.app_sources]
    kernel_objects = [fast.Object(str(common / "kernels" / f"{src.stem}.o"), str(src)) for src in plan.kernel_sources]

    aot_code = _package_files("aot/**/*.py", "templates/aot_model.*.j2", "tflite/*.py")
    golden_code = _package_files("golden.py", "tflite/*.py")
    vectors_code = _package_files("firmware/test_vectors.py")
    from tinyml_build.verification.golden import reference_version

    reference = reference_version()
    model_objects, generated, goldens = [], [], []
    tflm = None
    if plan.runtime == "tflm":
        # TFLM's framework, the model's kernels, the MicroInterpreter wrapper, the measured arena.
        tflm = env.TflmRuntime(plan, platform, model_framework)
        kernel_objects += tflm["target_objects"]
        model_objects += tflm["model_objects"]
        generated += tflm["generated"]
    for m in plan.models:
        if plan.runtime == "aot":
            model_src = env.Command([str(m.model_c), str(m.model_h)], str(m.tflite),
                                    Action(_aot_action, f"Generating {m.name} (runtime=aot)", varlist=["TML_MODEL_NAME"]),
                                    TML_MODEL_NAME=m.name)
            env.Depends(model_src, aot_code)
            model_objects += model_fast.Object(str(obj / m.model_object), model_src[0])
            generated += model_src
        golden = env.Command(str(m.golden_json), [str(m.tflite)] + [str(s.path) for s in m.samples],
                             Action(_golden_action, f"Computing golden outputs for {m.name} (tflite-micro)",
                                    varlist=["TML_MODEL_NAME", "TML_RANDOM_VECTORS", "TML_SEED"]),
                             TML_MODEL_NAME=m.name, TML_RANDOM_VECTORS=str(plan.random_vectors), TML_SEED=str(plan.seed))
        env.Depends(golden, golden_code + ([str(m.tflite.parent / "model.yaml")] if m.samples else [])
                    + [env.Value(reference)])  # a new tflite-micro recomputes the golden outputs
        vectors = env.Command(str(m.test_vectors_c), golden, Action(_test_vectors_action, "Generating $TARGET"))
        env.Depends(vectors, vectors_code)
        model_objects += model_framework.Object(str(obj / f"{m.name}_test_vectors.o"), vectors)
        generated += vectors
        goldens += golden
    table = env.Command(str(plan.model_table_c), env.Value(render_model_table([m.name for m in plan.models])),
                        Action(_write_value, "Generating $TARGET"))
    model_objects += model_framework.Object(str(obj / "tml_test_models.o"), table)
    generated += table

    objects = platform_objects + app_objects + kernel_objects + model_objects
    link_env = env.Clone(TML_FLAGS=flags, TML_LINKER_SCRIPT=str(plan.linker_script),
                         TML_SIZING_LINKER_SCRIPT=str(plan.sizing_linker_script),
                         TML_LINK_LINE=list(flags.arch) + list(flags.link) + list(flags.libraries))
    elf, linker_map = link_env.Command([str(plan.elf), str(plan.map)], objects,
                                       Action(_link_action, "Linking $TARGET", varlist=["TML_LINK_LINE"]))
    link_env.Depends(elf, script + sizing_script + _package_files("firmware/image.py"))
    binaries = env.Command([str(out / name) for name in binary_names(plan.target).values()], elf,
                           Action(_binaries_action, "Writing $TARGETS"))
    hex_file = env.Command(str(plan.hex), elf, Action(_hex_action, "Writing $TARGET"))
    if tflm is not None:
        library = plan.tflm.sources.library and (plan.tflm.kernels, plan.tflm.library_marker, plan.tflm.library_required)
        sizes = env.SizeReport(str(out), elf, linker_map, target_file, kernel_library=library,
                               arena_json=tflm["arena_json"])
    else:
        sizes = env.SizeReport(str(out), elf, linker_map, target_file)

    # manifest.json: every input's digest (sources, headers, generated files, model, target file).
    headers = [str(p) for d in plan.include_dirs if d.is_dir() and d != plan.board_header.parent
               for p in sorted(d.glob("*.h"))]
    source_files = [str(p) for p in plan.platform_sources + plan.app_sources + plan.kernel_sources]
    settings = {"random_vectors": plan.random_vectors, "seed": plan.seed, "runtime_requested": plan.runtime_requested}
    if plan.runtime == "aot":
        generated_headers = [str(m.model_h) for m in plan.models]
    else:
        from tinyml_build.runtimes.tflm.build import project_files

        # Upstream files are pinned by the lock's digests; settings name them and how each tree resolved.
        source_files += [str(p) for p in project_files()]
        generated_headers = [str(plan.gen_dir / f"{m.name}_model_data.h") for m in plan.models]
        settings["tflm"] = plan.tflm.settings(plan.project_dir, common.parent.parent)
    inputs = ([str(target_file)] + [str(m.tflite) for m in plan.models] + [str(s.path) for m in plan.models for s in m.samples]
              + source_files + headers + [str(n) for n in board + script + generated + goldens]
              + generated_headers)
    outputs = [elf] + binaries + hex_file
    manifest = env.Command(str(out / "manifest.json"), outputs + inputs,
                           Action(_manifest_action, "Writing $TARGET",
                                  varlist=["TML_MANIFEST_MODELS", "TML_SETTINGS", "TML_LINK_LINE"]),
                           TML_OUTPUT_COUNT=len(outputs), TML_TARGET_NAME=plan.target.name, TML_RUNTIME=plan.runtime,
                           TML_MANIFEST_MODELS=[{"name": m.name, "sha256": m.model.sha256, "samples": len(m.samples)}
                                                for m in plan.models],
                           TML_SETTINGS=settings,
                           TML_FLAGS=flags, TML_PROJECT=str(plan.project_dir), TML_BUILD_ROOT=str(common.parent.parent),
                           TML_LINK_LINE=list(flags.arch) + list(flags.link) + list(flags.libraries))
    database = env.Command(str(out / "compile_commands.json"),
                           env.Value(_compile_commands(platform_objects + app_objects + kernel_objects + model_objects,
                                                       plan.project_dir)),
                           Action(_write_value, "Writing $TARGET"))
    return {
        "elf": elf, "map": linker_map, "bin": binaries, "hex": hex_file, "size": sizes, "manifest": manifest,
        "compile_commands": database, "golden": goldens, "generated": generated + board + script,
        "all": [elf, linker_map] + binaries + hex_file + sizes + manifest + database,
    }


def generate(env):
    env.AddMethod(Firmware)
    env.AddMethod(FirmwarePlatform)


def exists(env):
    return True
