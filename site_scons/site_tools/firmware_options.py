"""SCons tool: the firmware build's own options (test vectors, seed, QEMU timeout) and help.

Values come from the command line (test_vectors=5) with the defaults of tinyml_build.verification.golden
and tinyml_build.verification.qemu_runner; bad values stop the build with one message.
"""

from pathlib import Path

from SCons.Script import ARGUMENTS, Help


def _integer(name, default, minimum):
    from tinyml_build.errors import TinyMLError

    text = ARGUMENTS.get(name, str(default))
    try:
        value = int(text, 0)
    except ValueError:
        raise TinyMLError(f"{name}={text} is not a whole number", where=f"{name}=", fix=f"e.g. {name}={default}") from None
    if value < minimum:
        raise TinyMLError(f"{name}={value} is below {minimum}", where=f"{name}=", fix=f"e.g. {name}={default}")
    return value


def TargetFile(env, option):
    """The YAML file behind target=: targets/<name>.yaml, or the path that was given."""
    project = Path(env["TINYML_PROJECT_DIR"])
    if "/" in option or option.endswith((".yaml", ".yml")):
        path = Path(option)
        return path if path.is_absolute() else Path.cwd() / path
    return project / "targets" / f"{option}.yaml"


def generate(env):
    from SCons.Script import GetOption

    from tinyml_build.verification.golden import DEFAULT_RANDOM_VECTORS, DEFAULT_SEED
    from tinyml_build.verification.qemu_runner import DEFAULT_TIMEOUT

    env.AddMethod(TargetFile)
    if GetOption("help"):
        Help("\n".join([
            "",
            "Firmware (Cortex-M targets):",
            f"  test_vectors=N    random test vectors per model, besides model.yaml samples (default {DEFAULT_RANDOM_VECTORS})",
            f"  seed=N            seed of the random test vectors (default {DEFAULT_SEED})",
            f"  qemu_timeout=S    seconds a `test` run may take (default {DEFAULT_TIMEOUT:g})",
            "Aliases: firmware (default), test (run in QEMU, compare with tflite-micro), gen (TFLM sources)",
            "",
        ]), append=True)
        return
    from tinyml_build.errors import TinyMLError

    try:
        env["TML_TEST_VECTORS"] = _integer("test_vectors", DEFAULT_RANDOM_VECTORS, 0)
        env["TML_SEED"] = _integer("seed", DEFAULT_SEED, 0)
        env["TML_QEMU_TIMEOUT"] = _integer("qemu_timeout", int(DEFAULT_TIMEOUT), 1)
    except TinyMLError as exc:
        import sys

        from SCons.Script import Exit

        print(f"scons: *** {exc}", file=sys.stderr)
        Exit(2)


def exists(env):
    return True
