"""SCons tool: the `host` target -- the aot runtime compiled with the build machine's gcc.

`scons target=host model=<name or path> runtime=aot test` generates the model's C, builds it
with a small test program, runs it on seeded random inputs and compares every output byte
(and every intermediate tensor) with the tflite-micro host interpreter. A seconds-long check
of a new model before touching a board. The work is tinyml_build.verification.host_check's.
"""

from pathlib import Path

from SCons.Script import Action, Value
from tinyml_scons import clean_errors


@clean_errors
def _aot_sources_action(target, source, env):
    from tinyml_build.runtimes.aot.emit import generate

    model_input = env["TML_HOST_MODEL"]
    generate(model_input.model, Path(str(target[0])).parent, name=model_input.name)
    return 0


@clean_errors
def _host_check_action(target, source, env):
    from tinyml_build.verification.host_check import check_model
    from tinyml_build.fileio import write_atomic

    model_input = env["TML_HOST_MODEL"]
    work = Path(str(target[0])).parent / "host_check"
    report = check_model(model_input.model, runs=env["TML_HOST_RUNS"], seed=env["TML_HOST_SEED"], workdir=work)
    print(report)
    if not report.ok:
        return 1
    write_atomic(str(target[0]), str(report) + "\n")  # only a passing run is recorded (and not re-run)
    return 0


def HostAotSources(env, gen_dir, model_input):
    """<name>_model.c/.h, the aot runtime for one model."""
    targets = [f"{gen_dir}/{model_input.name}_model.c", f"{gen_dir}/{model_input.name}_model.h"]
    out = env.Command(targets, str(model_input.tflite), Action(_aot_sources_action, f"Generating {model_input.name} aot runtime"),
                      TML_HOST_MODEL=model_input)
    return out


def HostCheck(env, out_dir, model_input, runs=20, seed=0):
    """Run the model's aot C on the host against tflite-micro; the stamp file exists only after a pass."""
    stamp = f"{out_dir}/{model_input.name}_host_check.txt"
    out = env.Command(stamp, str(model_input.tflite), Action(_host_check_action, f"Checking {model_input.name} on the host against tflite-micro"),
                      TML_HOST_MODEL=model_input, TML_HOST_RUNS=runs, TML_HOST_SEED=seed)
    env.Depends(out, Value(f"{runs}:{seed}"))
    return out


def generate(env):
    env.AddMethod(HostAotSources)
    env.AddMethod(HostCheck)


def exists(env):
    return True
