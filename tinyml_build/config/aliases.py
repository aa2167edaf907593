"""The build aliases a command line may name (`scons ... test`), in one table: `scons -h` lists it and
the build checks each name against it.

Why: SCons takes any other word for a file to make and stops with "Do not know how to make File
target `tset'", after the banner, with nothing about what the user meant. A name with a path
separator or a dot, or one that exists, is left to SCons as a file or folder to build.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tinyml_build.errors import TinyMLError

ALIASES = {
    "all": "(the default) the firmware image and its reports, or only generated sources for a target "
           "without image support",
    "gen": "only the generated sources (model array, op resolver or the aot program)",
    "test": "build, run in QEMU (or natively on target=host) and compare every output byte",
    "report": "build, run in QEMU (a stand-in for a board without one), estimate cycles, write "
              "report.json/.html/.txt (flash, RAM, stack, latency, power, ops, accuracy against rate_hz=, "
              "latency_ms=, power_mw=, battery_mah=, life_days=)",
    "cycles": "the estimated cycles per inference at the target's clock (cycles.json), or a board's measured= log",
    "export": "the model's code as a library to vendor (CMake, Make, ESP-IDF, PlatformIO, Arduino)",
    "firmware": "the firmware image and its steps, without the default's other outputs",
    "flash": "ESP targets: print esptool's write-flash command for the image",
    "monitor": "capture a board's console from a serial port (port=)",
}


def check_requested(requested, project_dir: Path) -> None:
    """Refuse a command-line name that is neither an alias nor a file or folder to build (the
    message is escaped where it is printed: TinyMLError.__str__)."""
    for name in requested:
        if name in ALIASES or "/" in name or "." in name or (project_dir / name).exists():
            continue
        close = difflib.get_close_matches(name, sorted(ALIASES), n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise TinyMLError(f"`{name}` is not a build alias", where="command line",
                          fix=f"{hint}aliases: {', '.join(ALIASES)} (scons -h says what each does); "
                              "a file or folder to build is named by its path")
