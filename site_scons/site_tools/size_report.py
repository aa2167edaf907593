"""SCons tool: size.txt and size.json from the linked image, with the budget gate.

The measuring and the budget rules live in tinyml_build.reports.size.
"""

from pathlib import Path

from SCons.Script import Action

from tinyml_scons import clean_errors, generated_by, label


@clean_errors
def _size_action(target, source, env):
    from tinyml_build.config.targets import load_target
    from tinyml_build.fileio import write_atomic
    from tinyml_build.image.link import read_linked
    from tinyml_build.reports.size import check_budget_recorded, measure

    board = load_target(env["TML_TARGET_FILE"])
    elf, inputs = read_linked(str(source[0]), str(source[1]))
    report = measure(board, elf, inputs)
    library = env.get("TML_KERNEL_LIBRARY")
    if len(source) > 2 or library:
        from tinyml_build.runtimes.tflm.image_check import annotate

        annotate(report, elf, inputs, library, str(source[2]) if len(source) > 2 else None)
    write_atomic(str(target[0]), report.to_text())
    write_atomic(str(target[1]), report.to_json())
    check_budget_recorded(report, board, Path(str(target[1])).parent)
    if library and library[2]:  # kernels= was explicit: linking none of the library is an error
        from tinyml_build.runtimes.tflm.image_check import check_library_linked

        check_library_linked(report, library[0], str(source[0]))


def SizeReport(env, out_dir, elf, linker_map, target_file, kernel_library=None, arena_json=None):
    """[size.txt, size.json] for elf + map; fails the build if the image exceeds the target.

    runtime=tflm adds `kernel_library` ((kernels=, object path fragment, required) of the optimized
    library: its linked functions are listed, and with `required` none linked fails the build)
    and `arena_json` (the measured arena, listed per model).
    """
    sources = [elf, linker_map] + ([arena_json] if arena_json is not None else [])
    out = env.Command([f"{out_dir}/size.txt", f"{out_dir}/size.json"], sources,
                      Action(_size_action, label("SIZE"), varlist=["TML_TARGET_FILE", "TML_KERNEL_LIBRARY"]),
                      TML_TARGET_FILE=str(target_file), TML_KERNEL_LIBRARY=list(kernel_library or ()))
    return generated_by(env, out, "tinyml_build.reports.size", "tinyml_build.runtimes.tflm.image_check")


def generate(env):
    env.AddMethod(SizeReport)


def exists(env):
    return True
