"""Loaded by SCons before the build description: in a checkout, makes the checkout's tinyml_build
importable ahead of any installed one (an installed package, whose copy of this folder is
tinyml_build/scons/, is importable already); gives SConstruct tinyml_fail."""

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "tinyml_build" / "__init__.py").is_file() and str(_CHECKOUT) not in sys.path:
    sys.path.insert(0, str(_CHECKOUT))

from tinyml_scons import tinyml_fail  # noqa: E402,F401 -- for SConstruct
