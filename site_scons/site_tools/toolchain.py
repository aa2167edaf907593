"""SCons tool: point the C/C++ builders at the image's cross compiler with the target's flags.

Which toolchain, where it is and every flag are decided in tinyml_build.toolchains (plain Python,
tested without SCons); this tool only copies them into construction variables. A compiler that is
not GCC-like on the command line (clang-xtensa: C -> assembly -> llvm-mc) names its driver
program through `driver_command()`, which takes GCC's arguments.
"""

from tinyml_scons import unsigned


def UseToolchain(env, config, project_dir):
    """Configure env for the config's target and toolchain; returns (toolchain, Flags).
    Raises ToolchainError if the compiler is missing."""
    from tinyml_build import toolchains

    name = config.toolchain.name
    toolchain = toolchains.find(name, environ={"PATH": env["ENV"].get("PATH", ""), **_toolchain_override(env)})
    flags = toolchains.firmware_flags(name, config.target, project_dir, config.build_root)
    driver = list(toolchain.driver_command()) if hasattr(toolchain, "driver_command") else None
    cc = driver or [str(toolchain.gcc)]
    cxx = toolchains.cxx_command(name, toolchain, config.target, env["ENV"].get("PATH", ""))
    env.Replace(
        CC=cc,
        CXX=cxx or driver or [str(toolchain.gxx)],
        AS=cc,
        AR=str(toolchain.ar),
        RANLIB=str(getattr(toolchain, "ranlib", None) or toolchain.program("ranlib")),
        ARFLAGS=["rcD"],  # deterministic archives: no timestamps, uids or modes
        RANLIBFLAGS=["-D"] if driver is None else ["sD"],  # llvm-ar as ranlib: `s` indexes, D stays deterministic
        CCFLAGS=list(flags.arch) + list(flags.common) + unsigned(flags.path_maps),
        CFLAGS=list(flags.c),
        CXXFLAGS=list(flags.cxx),
        ASFLAGS=list(flags.arch),
        OBJSUFFIX=".o",
        LIBPREFIX="lib",
        LIBSUFFIX=".a",
        TML_TOOLCHAIN_NAME=name,
        TML_TOOLCHAIN_PATH=search_path(toolchain, env),
    )
    return toolchain, flags


def search_path(toolchain, env):
    """Where the actions find the same programs again: the toolchain's folder, else the build's PATH."""
    folder = getattr(toolchain, "bin_dir", None)
    return str(folder) if folder is not None else env["ENV"].get("PATH", "")


def _toolchain_override(env):
    import os

    from tinyml_build.toolchains.arm_gcc import TOOLCHAIN_DIR_VARIABLE

    value = env["ENV"].get(TOOLCHAIN_DIR_VARIABLE) or os.environ.get(TOOLCHAIN_DIR_VARIABLE)
    return {TOOLCHAIN_DIR_VARIABLE: value} if value else {}


def generate(env):
    # The generic C/C++/archive builders; UseToolchain then swaps in the cross programs and flags.
    for tool in ("gcc", "g++", "as", "ar"):  # as: start-up files in assembler (.S)
        env.Tool(tool)
    env.AddMethod(UseToolchain)


def exists(env):
    return True
