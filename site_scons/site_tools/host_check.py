"""SCons tool: the `host` target -- the aot runtime compiled with the build machine's gcc.

`scons target=host model=<name or path> runtime=aot test` generates the model's C, builds it
with a small test program, runs it on seeded random inputs and compares every output byte
(and every intermediate tensor) with the tflite-micro host interpreter. A seconds-long check
of a new model before touching a board. The work is tinyml_build.verification.host_check's; like
the QEMU test it writes test.json and test.xml (JUnit) and ends the build with the verdict's exit
status (3 mismatch, 4 crash, 5 hang; qemu_timeout= limits the program's run).
"""

import json
from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, finish_test, generated_by, label

HOST_RUNS = 20
HOST_SEED = 0


@clean_errors
def _host_check_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.model.reader import load_model
    from tinyml_build.verification import junit
    from tinyml_build.verification.host_check import run_host_test
    from tinyml_build.verification.verdict import EXIT_STATUS, worst

    names = env["TML_MODEL_NAMES"]
    stamps, test_json, test_xml = target[:len(names)], target[len(names)], target[len(names) + 1]
    work = Path(str(test_json)).parent / "host_check"
    tests = []
    for name, tflite, stamp in zip(names, source, stamps):
        test = run_host_test(load_model(str(tflite), name=name), runs=int(env["TML_HOST_RUNS"]),
                             seed=int(env["TML_HOST_SEED"]), workdir=work, timeout=float(env["TML_HOST_TIMEOUT"]))
        if test.report is not None:
            print(test.report)
        if test.report is not None and test.report.ok:
            write_atomic(str(stamp), str(test.report) + "\n")  # only a passing run is recorded (and not re-run)
        tests.append(test)
    verdict = worst(t.verdict for t in tests)
    suites = junit.host_suites(tests)
    summary = {"target": "host", "status": "PASS" if verdict == "pass" else "FAIL", "verdict": verdict,
               "exit_status": EXIT_STATUS[verdict], "models": {t.model: t.summary() for t in tests}}
    write_atomic(str(test_json), json.dumps(summary, indent=1, sort_keys=True) + "\n")
    write_atomic(str(test_xml), junit.render(junit.title("host", names), suites, sum(t.seconds for t in tests)))
    problems = [f"model {t.model}: {p}" for t in tests for p in t.problems]
    from tinyml_build.verification.oracle import select_oracle

    judge = select_oracle().name
    return finish_test(verdict, f"host, {len(tests)} model(s) against {judge}", problems, suites, str(test_xml))


def HostCheck(env, out_dir, models, runs=HOST_RUNS, seed=HOST_SEED, timeout=None):
    """Run each model's aot C on the host against tflite-micro: a stamp file per model that passed
    (`<model>_host_check.txt`), test.json and test.xml. Re-runs until every model passes."""
    out = env.Command([f"{out_dir}/{m.name}_host_check.txt" for m in models] + [f"{out_dir}/test.json",
                                                                                f"{out_dir}/test.xml"],
                      [str(m.tflite) for m in models],
                      Action(_host_check_action,
                             label("HOST", f"check {', '.join(m.name for m in models)} against the TFLM oracle"),
                             varlist=["TML_MODEL_NAMES", "TML_HOST_RUNS", "TML_HOST_SEED"]),
                      TML_MODEL_NAMES=[m.name for m in models], TML_HOST_RUNS=str(runs), TML_HOST_SEED=str(seed),
                      TML_HOST_TIMEOUT=str(timeout if timeout is not None else env["TML_QEMU_TIMEOUT"]))
    env.NoCache(out)
    return generated_by(env, out, "tinyml_build.verification.host_check")


def HostTarget(env, config):
    """The host target's graph: the aot C of every model (default) and, for `test`, their check."""
    from SCons.Script import COMMAND_LINE_TARGETS

    generated = []
    for m in config.models:
        gen = config.gen_dir
        generated += env.AotSources(gen / f"{m.name}_model.c", gen / f"{m.name}_model.h", m.tflite, m.name)
    if "test" in COMMAND_LINE_TARGETS:
        env.Alias("test", env.HostCheck(str(config.out_dir), config.models))
    return generated


def generate(env):
    env.AddMethod(HostCheck)
    env.AddMethod(HostTarget)


def exists(env):
    return True
