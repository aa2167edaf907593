"""SCons tool: the `test` alias -- run the image in QEMU and compare with the golden outputs.

Running, parsing and judging live in tinyml_build.verification.qemu_runner; this tool writes the console
log (test.log), the verdict (test.json) and the JUnit report (test.xml, verification/junit.py),
prints the problems, and ends the build with the verdict's exit status unless every output byte
matched (verification/verdict.py: 3 mismatch, 4 crash, 5 hang).
"""

from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, finish_test, label


@clean_errors
def _test_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.escape import json_text, terminal
    from tinyml_build.fileio import write_atomic
    from tinyml_build.verification import junit
    from tinyml_build.verification.golden import Golden
    from tinyml_build.verification.qemu_runner import run_test

    board = load_target(env["TML_TARGET_FILE"])
    goldens = [Golden.from_json(Path(str(s)).read_text()) for s in source[1:]]
    result = run_test(board, str(source[0]), goldens, timeout=float(env["TML_QEMU_TIMEOUT"]))
    suites = junit.qemu_suites(result, goldens, board.clock_hz)
    write_atomic(str(target[0]), result.outcome.output)
    summary = result.summary()
    for g in goldens:  # which TFLM judged each model, and where a wheel oracle cannot
        entry = summary["models"].setdefault(g.model, {})
        entry["oracle"], entry["oracle_blind_spots"] = g.oracle, list(g.blind_spots)
    write_atomic(str(target[1]), json_text(summary, indent=1) + "\n")
    write_atomic(str(target[2]), junit.render(junit.title(board.name, [g.model for g in goldens]), suites,
                                                  result.outcome.seconds))
    output = terminal(result.outcome.output, keep_newlines=True)
    print(output, end="" if output.endswith("\n") else "\n")
    for name, model in sorted(result.report.models.items()):
        if model.time.get("counted_by") == "plugin":
            print(terminal(f"{name}: {model.time['per_inference']} instructions per inference (exact: counted by the "
                           f"QEMU plugin over {model.time['windows']} runs; replaces the CCOUNT estimate above)"))
    for name, figures in sorted(result.accuracy.items()):
        print(terminal(accuracy_line(name, figures)))
    judged = []
    for g in goldens:  # a model judged by its kernel library's or the target oracle, not the reference: say which, why
        if g.oracle.get("chosen_because"):
            print(terminal(f"test: {g.model}: golden data from {g.oracle['name']}, because "
                           f"{g.oracle.get('chosen_because', '')}"))
            judged.append(f"{g.model} judged by {g.oracle['name']}")
    return finish_test(result.verdict, "; ".join([f"{emulated_as(board)}, {result.outcome.seconds:.1f} s", *judged]),
                       result.problems, suites, str(target[2]), unchecked_ends_build=env["TML_UNCHECKED_ENDS_BUILD"])


def accuracy_line(name, figures):
    """One line of a model's accuracy against its float reference, e.g. for the console."""
    if "error" in figures:
        return f"{name}: accuracy not measured: {figures['error']}"
    shown = ", ".join(f"{key} {figures[key]}" for key in ("mae", "rmse", "max_abs_error", "cosine_similarity",
                                                            "relative_l2", "top1_agreement", "accuracy",
                                                            "reference_accuracy") if key in figures)
    return (f"{name}: target int8 vs float {figures['reference']} on {figures['samples']} of {figures['available']} "
            f"inputs ({figures['inputs']}): {shown}")


def emulated_as(board):
    """What ran: the target's own QEMU machine, or (ESP targets) its objects on an ISA twin."""
    emulator = board.emulator
    if not emulator.twin:
        return f"{board.name} on {emulator.machine}"
    core = f" -cpu {emulator.cpu}" if emulator.cpu else ""
    isa = {"riscv": "a RISC-V", "xtensa": "an Xtensa"}.get(board.isa, f"an {board.isa}")
    return (f"{board.name}'s objects on {isa} ISA twin: {emulator.qemu} -M {emulator.machine}{core}, "
            "not a model of the chip")


def QemuTest(env, out_dir, elf, goldens, target_file, timeout, for_report_only=False):
    """test.log + test.json + test.xml from running elf; always runs when asked for. `for_report_only`:
    the run `report` made without `test`, which goes on to the report when the image is unchecked."""
    node = env.Command([f"{out_dir}/test.log", f"{out_dir}/test.json", f"{out_dir}/test.xml"], [elf] + list(goldens),
                       Action(_test_action, label("QEMU", "$SOURCE")),
                       TML_TARGET_FILE=str(target_file), TML_QEMU_TIMEOUT=str(timeout),
                       TML_UNCHECKED_ENDS_BUILD=not for_report_only)
    env.AlwaysBuild(node)
    env.NoCache(node)
    return node


def generate(env):
    env.AddMethod(QemuTest)


def exists(env):
    return True
