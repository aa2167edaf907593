"""SCons tool: the `host` target -- the aot runtime compiled with the build machine's gcc.

`scons target=host model=<name or path> runtime=aot test` generates the model's C, builds it
with a small test program, runs it on seeded random inputs and compares every output byte
(and every intermediate tensor) with the tflite-micro host interpreter. A seconds-long check
of a new model before touching a board. The work is tinyml_build.verification.host_check's.
"""

from pathlib import Path

from SCons.Script import Action
from tinyml_scons import clean_errors, generated_by, label

HOST_RUNS = 20
HOST_SEED = 0


@clean_errors
def _host_check_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.model.reader import load_model
    from tinyml_build.verification.host_check import check_model

    work = Path(str(target[0])).parent / "host_check"
    model = load_model(str(source[0]), name=env["TML_MODEL_NAME"])
    report = check_model(model, runs=int(env["TML_HOST_RUNS"]), seed=int(env["TML_HOST_SEED"]), workdir=work)
    print(report)  # escaped by CheckReport itself (it quotes the model's tensor names)
    if not report.ok:
        return 1
    write_atomic(str(target[0]), str(report) + "\n")  # only a passing run is recorded (and not re-run)
    return 0


def HostCheck(env, out_dir, model_input, runs=HOST_RUNS, seed=HOST_SEED):
    """Run the model's aot C on the host against tflite-micro; the stamp file exists only after a pass."""
    stamp = f"{out_dir}/{model_input.name}_host_check.txt"
    out = env.Command(stamp, str(model_input.tflite),
                      Action(_host_check_action, label("HOST", f"check {model_input.name} against tflite-micro"),
                             varlist=["TML_MODEL_NAME", "TML_HOST_RUNS", "TML_HOST_SEED"]),
                      TML_MODEL_NAME=model_input.name, TML_HOST_RUNS=str(runs), TML_HOST_SEED=str(seed))
    return generated_by(env, out, "tinyml_build.verification.host_check")


def HostTarget(env, config):
    """The host target's graph: the aot C of every model (default) and, for `test`, its check."""
    from SCons.Script import COMMAND_LINE_TARGETS

    generated = []
    for m in config.models:
        gen = config.gen_dir
        generated += env.AotSources(gen / f"{m.name}_model.c", gen / f"{m.name}_model.h", m.tflite, m.name)
        if "test" in COMMAND_LINE_TARGETS:
            env.Alias("test", env.HostCheck(str(config.out_dir), m))
    return generated


def generate(env):
    env.AddMethod(HostCheck)
    env.AddMethod(HostTarget)


def exists(env):
    return True
