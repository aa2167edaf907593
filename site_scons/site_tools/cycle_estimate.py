"""SCons tool: the `cycles` alias -- estimated cycles and latency per inference (and per op) in QEMU.

Profiling, classification and the cycle model live in tinyml_build.verification.image_profile and
tinyml_build.reports.cycle_model; this tool writes cycles.json and cycles.txt and prints the table.
With measured=LOG (a board's console log) its cycle lines replace the estimate.
"""

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label


@clean_errors
def _cycles_action(target, source, env):
    from pathlib import Path

    from tinyml_build.config.targets import load_target
    from tinyml_build.escape import json_text
    from tinyml_build.fileio import write_atomic
    from tinyml_build.verification.image_profile import estimate_image, format_estimate, op_labels, profile_image

    board, runs_on = load_target(env["TML_TARGET_FILE"]), load_target(env["TML_PROFILE_TARGET_FILE"])
    labels = {name: op_labels(env["TML_OP_RUNTIME"], path) for name, path in env["TML_OP_MODELS"]}
    profile = profile_image(runs_on, str(source[0]), labels, timeout=float(env["TML_QEMU_TIMEOUT"]))
    estimates = estimate_image(profile, board)
    if env["TML_PROFILED"]:
        from dataclasses import replace

        estimates = {name: replace(e, notes=(env["TML_PROFILED"], *e.notes)) for name, e in estimates.items()}
    if env["TML_MEASURED"]:
        from tinyml_build.reports.measured_cycles import apply_measured, read_measured

        measured = Path(env["TML_MEASURED"])
        estimates = apply_measured(estimates, read_measured(measured), measured.name)
    text = "\n".join(format_estimate(name, e) for name, e in estimates.items()) + "\n"
    write_atomic(str(target[0]), json_text({n: e.as_dict() for n, e in estimates.items()}, indent=1) + "\n")
    write_atomic(str(target[1]), text)
    print(text, end="")
    return 0


def CycleEstimate(env, out_dir, elf, target_file, op_models, measured, profile_target_file, profiled="",
                  runtime="aot"):
    """cycles.json + cycles.txt (returned; also the `cycles` alias); `op_models`: (name, tflite) of the
    models whose ops are labelled (the ops `runtime`'s profiling image marks); `elf` runs on the QEMU
    machine of `profile_target_file` (the target's, or a stand-in's); `profiled`: a note saying what that
    ELF is when it is not the image itself."""
    node = env.Command([f"{out_dir}/cycles.json", f"{out_dir}/cycles.txt"], elf,
                       Action(_cycles_action, label("CYC", "$SOURCE"),
                              varlist=["TML_MEASURED", "TML_OP_MODELS", "TML_PROFILED", "TML_OP_RUNTIME"]),
                       TML_TARGET_FILE=str(target_file), TML_OP_MODELS=op_models, TML_MEASURED=measured,
                       TML_PROFILE_TARGET_FILE=str(profile_target_file), TML_PROFILED=profiled,
                       TML_OP_RUNTIME=runtime)
    env.Depends(node, [str(target_file), str(profile_target_file)] + [path for _name, path in op_models]
                + ([measured] if measured else []))
    generated_by(env, node, "tinyml_build.verification.image_profile", "tinyml_build.reports.cycle_model",
                 "tinyml_build.reports.measured_cycles")
    env.NoCache(node)
    env.Alias("cycles", node)
    return node


def generate(env):
    env.AddMethod(CycleEstimate)


def exists(env):
    return True
