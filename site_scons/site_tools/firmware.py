"""SCons tool: the firmware build graph (platform, application, the runtime's part, link, .bin/.hex,
reports).

Every decision (paths, sources, flags, runtime) comes from tinyml_build.image.plan; the runtime's
own part of the graph comes from its site tool (aot.py, tflm.py), named by the plan, so nothing
here depends on which runtime it is. Every action calls one tinyml_build function; actions that can
fail because of the user's input print one TinyMLError message (what, where, fix) and fail the
build without a traceback.
"""

import shlex
from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, echo, found_toolchain, generated_by, label

# ---- actions ---------------------------------------------------------------------------------


@clean_errors
def _write_value(target, source, env):
    from tinyml_build.fileio import write_atomic

    write_atomic(str(target[0]), source[0].get_text_contents())


@clean_errors
def _board_header_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.fileio import write_atomic
    from tinyml_build.platform.board_header import render_board_header

    write_atomic(str(target[0]), render_board_header(load_target(str(source[0]))))


@clean_errors
def _linker_scripts_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.fileio import write_atomic
    from tinyml_build.platform import render_platform_linker_script

    board = load_target(str(source[0]))
    variant = env["TML_PLATFORM_VARIANT"]
    write_atomic(str(target[0]), render_platform_linker_script(board, variant))
    write_atomic(str(target[1]), render_platform_linker_script(board, variant, relaxed=True))


@clean_errors
def _model_table_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.verification.test_vectors import render_model_table

    write_atomic(str(target[0]), render_model_table(list(env["TML_MODEL_NAMES"])))


@clean_errors
def _golden_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.escape import terminal
    from tinyml_build.fileio import write_atomic
    from tinyml_build.model.reader import load_model
    from tinyml_build.verification import float_reference, golden
    from tinyml_build.verification.oracle import WHEEL, oracle_for
    from tinyml_build.verification.samples import model_labels, model_samples

    tflite = Path(str(source[0]))
    model = load_model(tflite, name=env["TML_MODEL_NAME"])
    vectors, seed, samples = int(env["TML_RANDOM_VECTORS"]), int(env["TML_SEED"]), model_samples(tflite)
    oracle = oracle_for(model, env["TML_ORACLE_KERNELS"], dict(env["TML_THIRD_PARTY_OVERRIDES"]),
                        target=load_target(env["TML_TARGET_FILE"]))
    if env["TML_REFERENCE"]:
        request = float_reference.AccuracyRequest(Path(env["TML_REFERENCE"]),
                                                  Path(env["TML_DATASET"]) if env["TML_DATASET"] else None)
        result = float_reference.golden_with_accuracy(model, env["TML_MODEL_NAME"], vectors, seed, samples, request,
                                                      model_labels(tflite), oracle=oracle)
    else:
        result = golden.make_golden(model, name=env["TML_MODEL_NAME"], random_vectors=vectors, seed=seed,
                                    samples=samples, oracle=oracle)
    for spot in result.blind_spots:  # the oracle differs from the image here: say so, never tolerate
        hint = "; provide the pinned TFLM sources (tinyml-build deps sync)" if oracle.kind == WHEEL else ""
        print(f"warning: model {terminal(env['TML_MODEL_NAME'])}: the golden oracle {terminal(oracle.name)} "
              f"cannot judge {terminal(spot)}{hint}")
    write_atomic(str(target[0]), result.to_json())


@clean_errors
def _test_vectors_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.verification.golden import Golden
    from tinyml_build.verification.test_vectors import render_test_vectors

    write_atomic(str(target[0]), render_test_vectors(Golden.from_json(Path(str(source[0])).read_text())))


@clean_errors
def _link_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.image.link import link

    link(found_toolchain(env), env["TML_FLAGS"], load_target(env["TML_TARGET_FILE"]), [str(s) for s in source],
         str(target[0]), str(target[1]), env["TML_LINKER_SCRIPT"], env["TML_SIZING_LINKER_SCRIPT"],
         cwd=env["TML_BUILD_ROOT"], echo=echo(env))


@clean_errors
def _binaries_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.image.link import write_binaries

    write_binaries(str(source[0]), load_target(env["TML_TARGET_FILE"]), Path(str(target[0])).parent)


@clean_errors
def _esp_image_action(target, source, env):
    from tinyml_build.image import esp_image

    esp_image.elf2image(str(source[0]), str(target[0]), env["TML_TARGET_CPU"])  # checks the segments first


@clean_errors
def _hex_action(target, source, env):
    from tinyml_build.image.link import write_hex

    write_hex(found_toolchain(env), str(source[0]), str(target[0]))


@clean_errors
def _manifest_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.reports import manifest

    outputs = [str(s) for s in source[:env["TML_OUTPUT_COUNT"]]]
    inputs = sorted({str(s) for s in source[env["TML_OUTPUT_COUNT"]:]})
    data = manifest.build_manifest(
        target=env["TML_TARGET_NAME"], runtime=env["TML_RUNTIME"], models=env["TML_MANIFEST_MODELS"],
        inputs=inputs, outputs=outputs, toolchain=found_toolchain(env),
        flags=env["TML_FLAGS"], project_dir=Path(env["TML_PROJECT"]), build_root=Path(env["TML_BUILD_ROOT"]),
        settings=env["TML_SETTINGS"], flash=_flash_facts(env))
    write_atomic(str(target[0]), manifest.to_json(data))


def _flash_facts(env):
    """ESP images: what `flash` writes where (chip, offset) and the esptool that made the image."""
    if env["TML_IMAGE_FORMAT"] != "esp":
        return None
    from tinyml_build.image import esp_image
    from tinyml_build.platform.esp_chip import chip_of

    chip = chip_of(env["TML_TARGET_CPU"])
    return {"chip": chip.esptool_chip, "offset": f"0x{chip.flash_offset:x}", "esptool": esp_image.esptool_version(),
            "image": "firmware.bin (esptool elf2image, RAM-loaded segments)"}


def _compile_commands(objects, project_dir):
    """compile_commands.json text: one entry per object, the exact command that built it, chosen by
    the source's suffix the way SCons's own compilation_db tool does (C, C++, assembler)."""
    from SCons.Tool.asm import ASPPSuffixes, ASSuffixes
    from SCons.Tool.cc import CSuffixes
    from SCons.Tool.cxx import CXXSuffixes
    from SCons.Util import flatten

    from tinyml_build.escape import json_text
    from tinyml_build.toolchains.xtensa_cc import DRIVER_MODULE, database_command

    commands = [(CXXSuffixes, "$CXXCOM"), (CSuffixes, "$CCCOM"), (ASPPSuffixes, "$ASPPCOM"), (ASSuffixes, "$ASCOM")]
    entries = []
    for node in flatten(objects):
        source = node.sources[0]
        suffix = Path(str(source)).suffix
        command = next(com for suffixes, com in commands if suffix in suffixes)
        text = node.get_build_env().subst(command, target=[node], source=[source])
        if DRIVER_MODULE in text:  # clang-xtensa: the clang command the driver runs, for clangd
            text = shlex.join(database_command(shlex.split(text)))
        entries.append({"directory": str(project_dir), "file": str(source), "output": str(node), "command": text})
    entries.sort(key=lambda e: e["output"])
    return json_text(entries, indent=1, sort_keys=False) + "\n"


# ---- the graph -------------------------------------------------------------------------------


def FirmwarePlatform(env, platform, framework_env, board=None):
    """Declare a TargetPlatform's generated files (tml_board.h, linker scripts) and platform objects.

    Returns {'objects', 'board', 'scripts'}; `scripts` is [firmware.ld, firmware-sizing.ld]. The
    generated files come from the target file and the code that renders them (nothing is rendered
    while SCons reads the build description).
    """
    compile_env = framework_env.Clone(CPPPATH=[str(p) for p in platform.include_dirs])
    compile_env.Append(CPPDEFINES=platform.defines)
    target_file = str(platform.target.path)
    if board is None:  # a second platform of the same target (the emulator twin) shares the header
        board = env.Command(str(platform.board_header), target_file, Action(_board_header_action, label("GEN")))
        generated_by(env, board, "tinyml_build.platform.board_header")
    scripts = env.Command([str(platform.linker_script), str(platform.sizing_linker_script)], target_file,
                          Action(_linker_scripts_action, label("GEN", "$TARGETS"), varlist=["TML_PLATFORM_VARIANT"]),
                          TML_PLATFORM_VARIANT=platform.variant)
    generated_by(env, scripts, "tinyml_build.platform")  # every platform layer's script renderer
    objects = [compile_env.Object(str(platform.object_dir / f"{src.stem}.o"), str(src)) for src in platform.sources]
    return {"objects": objects, "board": board, "scripts": scripts}


def Firmware(env, plan, toolchain, target_file, with_stand_in=False, with_profile=False):
    """Declare the whole image for a FirmwarePlan; returns a dict of the output nodes. `with_stand_in`:
    also link its objects for the emulated target with the same arch flags (a target without an emulator);
    `with_profile`: also a per-op profiling image (op markers) for whatever runs in the emulator."""
    from tinyml_build.analysis.op_inventory import REFERENCE
    from tinyml_build.image.link import binary_names
    from tinyml_build.model.reader import load_model
    from tinyml_build.verification.oracle import oracle_for, select_oracle

    env = env.Clone()
    build_root = plan.common_dir.parent.parent
    env.Replace(TML_TARGET_FILE=str(target_file), TML_BUILD_ROOT=str(build_root), TML_TARGET_CPU=plan.target.cpu,
                TML_IMAGE_FORMAT=plan.image_format)
    flags = plan.flags
    if plan.profile_ops:  # the per-op marker calls (aot program) and their target (test app)
        env.Append(CPPDEFINES=["TML_PROFILE_OPS"])
    framework = env.Clone(CPPPATH=[str(p) for p in plan.include_dirs])
    framework.Append(CCFLAGS=[flags.framework_optimization])
    fast = env.Clone(CPPPATH=[str(p) for p in plan.include_dirs])
    fast.Append(CCFLAGS=[flags.kernel_optimization])
    envs = {"framework": framework, "kernel": fast,
            "model_framework": framework.Clone(CPPPATH=[str(p) for p in plan.model_include_dirs]),
            "model_kernel": fast.Clone(CPPPATH=[str(p) for p in plan.model_include_dirs])}
    common, out, obj = plan.common_dir, plan.out_dir, plan.obj_dir

    platform = env.FirmwarePlatform(plan.platform, framework)
    envs["platform"] = platform  # a runtime that links another image for this target (tflm's probe) reuses it
    board, script, sizing_script = platform["board"], platform["scripts"][:1], platform["scripts"][1:]
    platform_objects = platform["objects"]
    # ESP targets: the emulator twin's platform, on which `test` and tflm's arena probe run.
    twin_platform = env.FirmwarePlatform(plan.twin_platform, framework, board=board) if plan.has_twin else None
    envs["twin_platform"] = twin_platform
    app_objects = [framework.Object(str(common / "app" / f"{src.stem}.o"), str(src)) for src in plan.app_sources]

    # The runtime's part: its target-level objects, per-model objects and generated files.
    runtime = getattr(env, plan.runtime.scons_builder)(plan, envs)
    target_objects, model_objects, generated = (list(runtime["target_objects"]), list(runtime["model_objects"]),
                                                list(runtime["generated"]))

    oracle = select_oracle(dict(plan.third_party_overrides))
    # The kernel set whose outputs the golden data must match: a tflm image's kernels= (an op whose
    # optimized kernel is not bit-exact with the reference is then judged by that library's oracle);
    # aot is bit-exact with the reference kernels. The target: float ops calling libm are judged by
    # the pinned TFLM built for its core (oracle/target.py) where it runs in qemu-system-arm.
    kernels = plan.runtime.kernels if plan.runtime.name == "tflm" else REFERENCE
    goldens, model_oracles = [], {}
    for m in plan.models:
        judge = oracle_for(load_model(m.tflite, name=m.name), kernels, dict(plan.third_party_overrides),
                           target=plan.target)
        if judge is not oracle:
            model_oracles[m.name] = judge.as_dict()
        reference = judge.identity()  # the oracle's name and, for the pinned build, its runner digest
        accuracy = m.accuracy
        golden = env.Command(str(m.golden_json), [str(m.tflite)] + [str(p) for p in m.golden_inputs],
                             Action(_golden_action, label("GOLD"),
                                    varlist=["TML_MODEL_NAME", "TML_RANDOM_VECTORS", "TML_SEED", "TML_REFERENCE",
                                             "TML_DATASET", "TML_ORACLE_KERNELS"]),
                             TML_MODEL_NAME=m.name, TML_ORACLE_KERNELS=kernels,
                             TML_RANDOM_VECTORS=str(plan.random_vectors),
                             TML_SEED=str(plan.seed), TML_REFERENCE=str(accuracy.reference) if accuracy else "",
                             TML_DATASET=str(accuracy.dataset) if accuracy and accuracy.dataset else "",
                             TML_THIRD_PARTY_OVERRIDES=list(plan.third_party_overrides))
        generated_by(env, golden, "tinyml_build.verification.golden", "tinyml_build.verification.samples",
                     "tinyml_build.verification.float_reference", "tinyml_build.verification.oracle.select",
                     "tinyml_build.verification.oracle.target")
        env.Depends(golden, ([str(m.tflite.parent / "model.yaml")] if m.samples else [])
                    + [env.Value(reference)])  # another oracle or pin recomputes the golden outputs
        vectors = env.Command(str(m.test_vectors_c), golden, Action(_test_vectors_action, label("GEN")))
        generated_by(env, vectors, "tinyml_build.verification.test_vectors")
        model_objects += envs["model_framework"].Object(str(obj / f"{m.name}_test_vectors.o"), vectors)
        generated += vectors
        goldens += golden
    names = [m.name for m in plan.models]
    table = env.Command(str(plan.model_table_c), env.Value(",".join(names)),
                        Action(_model_table_action, label("GEN"), varlist=["TML_MODEL_NAMES"]), TML_MODEL_NAMES=names)
    generated_by(env, table, "tinyml_build.verification.test_vectors")
    model_objects += envs["model_framework"].Object(str(obj / "tml_test_models.o"), table)
    generated += table

    objects = platform_objects + app_objects + target_objects + model_objects
    link_line = list(flags.arch) + list(flags.link) + list(flags.libraries)
    link_env = env.Clone(TML_FLAGS=flags, TML_LINKER_SCRIPT=str(plan.linker_script),
                         TML_SIZING_LINKER_SCRIPT=str(plan.sizing_linker_script), TML_LINK_LINE=link_line)
    elf, linker_map = link_env.Command([str(plan.elf), str(plan.map)], objects,
                                       Action(_link_action, label("LINK"), varlist=["TML_LINK_LINE"]))
    link_env.Depends(elf, script + sizing_script)
    generated_by(link_env, elf, "tinyml_build.image.link")
    if plan.image_format == "esp":  # esptool's flash image; the chip's loader reads no Intel HEX
        binaries = env.Command(str(plan.bin), elf, Action(_esp_image_action, label("BIN")))
        generated_by(env, binaries, "tinyml_build.image.esp_image")
        hex_file = []
    else:
        binaries = env.Command([str(out / name) for name in binary_names(plan.target).values()], elf,
                               Action(_binaries_action, label("BIN", "$TARGETS")))
        hex_file = env.Command(str(plan.hex), elf, Action(_hex_action, label("HEX")))
        generated_by(env, binaries + hex_file, "tinyml_build.image.link")
    sizes = env.SizeReport(str(out), elf, linker_map, target_file, **runtime.get("size_report", {}))
    env.Depends([elf] + binaries + sizes, str(target_file))  # they read the target's memory map

    # manifest.json: every input's digest (sources, headers, generated files, model, target file).
    headers = [str(p) for d in plan.include_dirs if d.is_dir() and d != plan.board_header.parent
               for p in sorted(d.glob("*.h"))]
    source_files = [str(p) for p in plan.platform_sources + plan.app_sources + plan.runtime.manifest_sources()]
    settings = {"random_vectors": plan.random_vectors, "seed": plan.seed, "runtime_requested": plan.runtime_requested,
                "oracle": oracle.as_dict()}
    if model_oracles:  # models judged by their kernel library's (op_inventory.NOT_BIT_EXACT) or the target oracle
        settings["model_oracles"] = model_oracles
    if plan.profile_ops:
        settings["profile_ops"] = True
    runtime_settings = plan.runtime.manifest_settings(plan.project_dir, build_root)
    if runtime_settings:
        settings[plan.runtime.name] = runtime_settings
    inputs = ([str(target_file)] + [str(m.tflite) for m in plan.models]
              + [str(p) for m in plan.models for p in m.golden_inputs]
              + source_files + headers + [str(n) for n in board + script + generated + goldens]
              + [str(h) for h in plan.runtime.model_headers()])
    outputs = [elf] + binaries + hex_file
    manifest = env.Command(str(out / "manifest.json"), outputs + inputs,
                           Action(_manifest_action, label("GEN"),
                                  varlist=["TML_MANIFEST_MODELS", "TML_SETTINGS", "TML_LINK_LINE"]),
                           TML_OUTPUT_COUNT=len(outputs), TML_TARGET_NAME=plan.target.name,
                           TML_RUNTIME=plan.runtime.name,
                           TML_MANIFEST_MODELS=[{"name": m.name, "sha256": m.sha256, "samples": len(m.samples)}
                                                for m in plan.models],
                           TML_SETTINGS=settings, TML_FLAGS=flags, TML_PROJECT=str(plan.project_dir),
                           TML_LINK_LINE=link_line)
    generated_by(env, manifest, "tinyml_build.reports.manifest")
    env.NoCache(manifest)  # it records tool versions, which are not part of its signature
    database = env.Command(str(out / "compile_commands.json"),
                           env.Value(_compile_commands(platform_objects + app_objects + target_objects + model_objects,
                                                       plan.project_dir)),
                           Action(_write_value, label("GEN")))
    # What runs in an emulator: the image itself, its emulator twin (ESP targets) or a stand-in.
    runner = (plan.target, [elf, linker_map], platform, plan.platform)
    twin = None
    if plan.has_twin:
        declared = twin_platform
        twin = _link_with(env, plan, declared, plan.twin_platform, app_objects + target_objects + model_objects,
                          link_line, "firmware-twin", plan.target)
        runner = (plan.target, twin, declared, plan.twin_platform)
    elif with_stand_in:
        runner = _stand_in_image(env, plan, framework, app_objects + target_objects + model_objects, link_line)
    profile = None
    if with_profile:
        profiled = _with_op_markers(env.Flatten(app_objects + model_objects), obj / "profile-ops")
        profile = _link_with(env, plan, runner[2], runner[3], profiled + target_objects, link_line, "firmware-profile",
                             runner[0])
    return {
        "twin": twin, "runner": runner[:2], "profile": profile,
        "elf": elf, "map": linker_map, "bin": binaries, "hex": hex_file, "size": sizes, "manifest": manifest,
        "compile_commands": database, "golden": goldens, "generated": generated + board + script,
        "all": [elf, linker_map] + binaries + hex_file + sizes + manifest + database,
        "steps": board,  # built through the scanner's implicit dependencies; listed so the step count holds it
    }


def _with_op_markers(objects, folder):
    """The application and model objects compiled again with TML_PROFILE_OPS (each with the environment
    it was built with): the aot program calls tml_profile_op() before each op, for a per-op profile."""
    marked = []
    for node in objects:
        marker_env = node.get_build_env().Clone()
        marker_env.Append(CPPDEFINES=["TML_PROFILE_OPS"])
        marked += marker_env.Object(str(folder / Path(str(node)).name), node.sources[0])
    return marked


def _link_with(env, plan, declared, platform, objects, link_line, stem, target):
    """Link `objects` with a declared platform layer (FirmwarePlatform's dict) into <stem>.elf/.map."""
    link_env = env.Clone(TML_FLAGS=plan.flags, TML_LINKER_SCRIPT=str(platform.linker_script),
                         TML_SIZING_LINKER_SCRIPT=str(platform.sizing_linker_script), TML_LINK_LINE=link_line,
                         TML_TARGET_FILE=str(target.path))
    nodes = link_env.Command([str(plan.output(f"{stem}.elf")), str(plan.output(f"{stem}.map"))],
                             declared["objects"] + objects,
                             Action(_link_action, label("LINK"), varlist=["TML_LINK_LINE"]))
    link_env.Depends(nodes, declared["scripts"] + [str(target.path)])
    generated_by(link_env, nodes, "tinyml_build.image.link")
    return nodes


def _stand_in_image(env, plan, framework, objects, link_line):
    """A target without an emulator: the image's application, runtime and model objects with the platform
    of the emulated target that has the same arch flags (verification/image_profile.stand_in_for), run
    there for its time, stack mark and outputs; returns (that target, [elf, map], its platform, declared)."""
    from tinyml_build.platform import IMAGE, TargetPlatform
    from tinyml_build.verification.image_profile import stand_in_for

    target = stand_in_for(plan.target)
    platform = TargetPlatform(target, plan.common_dir / "stand-in-platform" / target.name, IMAGE, plan.toolchain)
    declared = env.FirmwarePlatform(platform, framework)
    return target, _link_with(env, plan, declared, platform, objects, link_line, "firmware-stand-in", target), \
        declared, platform


def _has_stand_in(target, required):
    """Whether an emulated target can run `target`'s objects (image_profile.stand_in_for); when `required`
    (`cycles` asked for) its absence stops the build with the fix."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.verification.image_profile import stand_in_for
    from tinyml_scons import tinyml_fail

    try:
        stand_in_for(target)
    except TinyMLError as exc:
        if required:
            tinyml_fail(exc)
        return False
    return True


def FirmwareImage(env, config):
    """The image for a checked BuildConfig (and, when asked for, its `test` run); returns the nodes
    a plain `scons` builds. The runtime's site tool is the one named like the runtime."""
    from SCons.Script import COMMAND_LINE_TARGETS

    from tinyml_build.errors import TinyMLError
    from tinyml_build.image.plan import plan_firmware
    from tinyml_build.verification.image_profile import STAND_IN_DIR
    from tinyml_scons import tinyml_fail

    try:
        plan = plan_firmware(config, env["TINYML_PROJECT_DIR"], env["TML_OPTIONS"])
        env.Tool(plan.runtime.name)  # site_tools/aot.py or tflm.py
        toolchain, _ = env.UseToolchain(config, env["TINYML_PROJECT_DIR"])
    except TinyMLError as exc:
        tinyml_fail(exc)
    wanted = set(COMMAND_LINE_TARGETS)
    report = "report" in wanted
    # `report` estimates cycles per op from a profiling image beside the product image (aot's program calls
    # op markers; tflm's api wraps each kernel's invoke to call them; profile_ops=on puts aot's markers in
    # the product image itself, which is then profiled).
    from tinyml_build.verification.image_profile import profiles_per_op

    separate_profile = (report and not plan.profile_ops
                        and all(profiles_per_op(plan.runtime.name, m.tflite) for m in plan.models))
    emulated = config.target.emulator is not None or _has_stand_in(config.target, "cycles" in wanted)
    timed = bool(wanted & {"cycles", "report"}) and emulated  # `report` without any emulator says why not
    image = env.Firmware(plan, toolchain, config.target.path, with_stand_in=timed and config.target.emulator is None,
                         with_profile=separate_profile and timed)
    env.Alias("firmware", image["all"] + image["steps"])
    flashed = []
    if plan.image_format == "esp":
        flashed = env.FlashCommand(plan, image["bin"])
    runs_on, (runner_elf, _runner_map) = image["runner"]
    run = None
    if "test" in wanted or (report and config.target.supports.test):
        run = env.QemuTest(str(plan.out_dir), runner_elf, image["golden"], config.target.path,
                           env["TML_QEMU_TIMEOUT"], for_report_only="test" not in wanted)
        env.Depends(run, image["all"])  # the whole image, budget gate included, before it runs
        env.Alias("test", run)
    elif report and config.target.emulator is None and emulated:  # the stand-in's run: stack, outputs, verdict
        run = env.QemuTest(str(plan.out_dir / STAND_IN_DIR), runner_elf, image["golden"], runs_on.path,
                           env["TML_QEMU_TIMEOUT"], for_report_only=True)
        env.Depends(run, image["all"])
    options = env["TML_OPTIONS"]
    cycles = None
    if timed:
        profiled = image["profile"][0] if image["profile"] else runner_elf
        labelled = [(m.name, str(m.tflite)) for m in plan.models] if plan.profile_ops or separate_profile else []
        markers = ("a resolver that reaches each kernel's invoke through a trampoline calling tml_profile_op, "
                   "two calls more per op than the product image" if plan.runtime.name == "tflm"
                   else "tml_profile_op before each op, a call more per op than the product image")
        what = (f"profiled {Path(str(profiled)).name}: the image's objects, its application and model compiled "
                f"again with op markers ({markers})" if image["profile"] else "")
        cycles = env.CycleEstimate(str(plan.out_dir), profiled, config.target.path, labelled, options.text("measured"),
                                   runs_on.path, what, plan.runtime.name)
        env.Depends(cycles, image["all"])
    if "monitor" in wanted:
        monitor = env.SerialMonitor(str(plan.out_dir), image["all"], options.text("port"), config.target.console.baud)
        if "flash" in wanted:
            env.Depends(monitor, flashed)  # `flash monitor`: capture the run of the image just written
    if report:
        env.FitReport(config, plan, image, run, cycles)
    return env.Alias("firmware")


def generate(env):
    for tool in ("toolchain", "size_report", "qemu_test", "esp_flash", "cycle_estimate", "serial_monitor", "report"):
        env.Tool(tool)
    env.AddMethod(Firmware)
    env.AddMethod(FirmwarePlatform)
    env.AddMethod(FirmwareImage)


def exists(env):
    return True
