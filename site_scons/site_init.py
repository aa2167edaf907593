"""Loaded by SCons before SConstruct: makes the checkout's tinyml_build importable and gives
SConstruct one way to stop with a clean message instead of a traceback (tinyml_fail)."""

import sys
from pathlib import Path

_PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(_PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(_PROJECT_DIR))

from tinyml_scons import tinyml_fail  # noqa: E402,F401 -- for SConstruct
