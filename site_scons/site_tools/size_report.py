"""SCons tool: size.txt and size.json from the linked image, with the budget gate.

The measuring and the budget rules live in tinyml_build.size_report.
"""

from SCons.Script import Action
from tinyml_scons import clean_errors


@clean_errors
def _size_action(target, source, env):
    from tinyml_build.fileio import write_atomic
    from tinyml_build.firmware.elf import read_elf
    from tinyml_build.firmware.linker_map import read_map
    from tinyml_build.size_report import check_budget, measure
    from tinyml_build.targets import load_target

    board = load_target(env["TML_TARGET_FILE"])
    report = measure(board, read_elf(str(source[0])), read_map(str(source[1])))
    write_atomic(str(target[0]), report.to_text())
    write_atomic(str(target[1]), report.to_json())
    check_budget(report, board)


def SizeReport(env, out_dir, elf, linker_map, target_file):
    """[size.txt, size.json] for elf + map; fails the build if the image exceeds the target."""
    return env.Command([f"{out_dir}/size.txt", f"{out_dir}/size.json"], [elf, linker_map],
                       Action(_size_action, "Measuring $TARGET", varlist=["TML_TARGET_FILE"]),
                       TML_TARGET_FILE=str(target_file))


def generate(env):
    env.AddMethod(SizeReport)


def exists(env):
    return True
