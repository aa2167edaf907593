"""SCons tool: point the C/C++ builders at arm-none-eabi-gcc with the target's flags.

The toolchain is found and checked, and every flag is decided, in
tinyml_build.toolchains.arm_gcc; this tool only copies them into construction variables.
"""

from tinyml_scons import unsigned


def UseArmGcc(env, target, project_dir, build_root):
    """Configure env for `target`; returns (ArmGcc, Flags). Raises ToolchainError if it is missing."""
    from tinyml_build.toolchains import arm_gcc

    toolchain = arm_gcc.find_toolchain(environ={"PATH": env["ENV"].get("PATH", ""), **_toolchain_override(env)})
    flags = arm_gcc.firmware_flags(target, project_dir, build_root)
    env.Replace(
        CC=str(toolchain.gcc),
        CXX=str(toolchain.gxx),
        AS=str(toolchain.gcc),
        AR=str(toolchain.ar),
        RANLIB=str(toolchain.program("ranlib")),
        ARFLAGS=["rcD"],  # deterministic archives: no timestamps, uids or modes
        RANLIBFLAGS=["-D"],
        CCFLAGS=list(flags.arch) + list(flags.common) + unsigned(flags.path_maps),
        CFLAGS=list(flags.c),
        CXXFLAGS=list(flags.cxx),
        ASFLAGS=list(flags.arch),
        OBJSUFFIX=".o",
        LIBPREFIX="lib",
        LIBSUFFIX=".a",
        TML_ARM_GCC_BIN=str(toolchain.bin_dir),
    )
    return toolchain, flags


def _toolchain_override(env):
    import os

    from tinyml_build.toolchains.arm_gcc import TOOLCHAIN_DIR_VARIABLE

    value = env["ENV"].get(TOOLCHAIN_DIR_VARIABLE) or os.environ.get(TOOLCHAIN_DIR_VARIABLE)
    return {TOOLCHAIN_DIR_VARIABLE: value} if value else {}


def generate(env):
    # The generic C/C++/archive builders; UseArmGcc then swaps in the cross programs and flags.
    for tool in ("gcc", "g++", "ar"):
        env.Tool(tool)
    env.AddMethod(UseArmGcc)


def exists(env):
    return True
