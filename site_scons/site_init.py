"""Loaded by SCons before SConstruct: makes the checkout's tinyml_build importable and gives
SConstruct one way to stop with a clean message instead of a traceback."""

import sys
from pathlib import Path

_PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(_PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(_PROJECT_DIR))


def tinyml_fail(exc) -> None:
    """Print a TinyMLError as one message and stop SCons with status 2."""
    from SCons.Script import Exit

    print(f"scons: *** {exc}", file=sys.stderr)
    Exit(2)
