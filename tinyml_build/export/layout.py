"""The vendored tree's layout and names, decided once so every build file agrees.

Why one flat `src/`: Arduino compiles a library's `src/` recursively but puts only `src/` itself on
the include path (no per-library -I), and every other build system can point at any folder. With
every header and source directly in `src/` (and upstream trees of runtime=tflm under it, keeping
their own relative include paths), one include directory serves CMake, Make, ESP-IDF, PlatformIO and
Arduino alike, and the public headers (`tml_model_api.h`, `tml_<model>.h`) are where each expects them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from tinyml_build.errors import TinyMLError
from tinyml_build.escape import require_c_identifier

SRC = "src"  # sources and headers, the one include directory
MANIFEST = "manifest.json"
README = "README.md"
CMAKE = "CMakeLists.txt"
IDF_COMPONENT = "idf_component.yml"
LIBRARY_JSON = "library.json"  # PlatformIO
LIBRARY_PROPERTIES = "library.properties"  # Arduino
MANIFEST_FORMAT = "tinyml_build export 1"  # marks a folder as one of our exports (tree.py trusts only this)


def library_name(model_c_name: str) -> str:
    """'kws' -> 'tml_kws': a C identifier, a CMake target, a Make prefix (upper-cased), a PlatformIO
    and Arduino library name and an ESP-IDF component name, made only from the checked C name."""
    require_c_identifier(model_c_name, "model name")
    return f"tml_{model_c_name}"


def macro_prefix(library: str) -> str:
    """'tml_kws' -> 'TML_KWS': the prefix of the model header's constants and the Make variables."""
    return library.upper()


def make_fragment(library: str) -> str:
    return f"{library}.mk"


def model_header(library: str) -> str:
    """The one header an application includes: the API, and the model's facts as constants."""
    return f"{library}.h"


def in_src(name: str) -> str:
    return f"{SRC}/{name}"


def check_relative(path: str) -> str:
    """A tree-relative POSIX path that stays inside the tree (no absolute path, no '..')."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise TinyMLError(f"export file name '{path}' would leave the export folder", where="export",
                          fix="this is a bug in tinyml_build's export: report it")
    return str(pure)
