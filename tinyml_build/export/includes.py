"""The headers a set of C sources really includes: the closure of `#include "..."` over known folders.

Why: the export ships only what the model's code uses. Which runtime header a kernel needs is
written in its `#include` lines, so it is read there, not listed by hand (a list would drift from the
code). `<...>` includes are the C library's and the toolchain's, never shipped; a quoted include
found in no folder is an error, so an export cannot miss a header silently.
"""

from __future__ import annotations

import re
from pathlib import Path

from tinyml_build.errors import TinyMLError

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)
_ANGLE_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<([^>]+)>", re.M)


def quoted_includes(text: str) -> list[str]:
    """The `#include "..."` names of one file, in order (conditional ones too: they may be compiled)."""
    return _INCLUDE.findall(text)


def angle_includes(text: str) -> list[str]:
    """The `#include <...>` names of one file, in order (the export ships those a kernel library's own
    folders hold: ESP-NN includes its headers so)."""
    return _ANGLE_INCLUDE.findall(text)


def include_closure(sources: list[Path], include_dirs: list[Path], provided=()) -> list[Path]:
    """Every header reached from `sources` through quoted includes, found beside the including file or
    in `include_dirs` (the compiler's order), sorted by path; `provided` names headers the export
    writes itself (generated ones), which are not looked up."""
    found: dict[str, Path] = {}
    pending = list(sources)
    seen_files: set[Path] = set()
    while pending:
        current = pending.pop()
        if current in seen_files:
            continue
        seen_files.add(current)
        for name in quoted_includes(current.read_text(encoding="utf-8")):
            if name in provided:
                continue
            header = next((d / name for d in [current.parent, *include_dirs] if (d / name).is_file()), None)
            if header is None:
                raise TinyMLError(f"{current.name} includes \"{name}\", found in none of the runtime's folders",
                                  where=str(current), fix="this is a bug in tinyml_build's export: report it")
            found[str(header)] = header
            pending.append(header)
    return sorted(found.values())
