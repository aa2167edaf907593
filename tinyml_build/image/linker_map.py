"""Read a GNU ld map file: which object each input section came from, at which address.

Why the map: the ELF knows symbols and output sections, but only the map says which object
file (platform, kernel library, generated model, C library...) contributed each byte, which
is what the size report groups by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_SECTION_START = re.compile(r"^(?P<indent> ?)(?P<name>[.*A-Za-z_][^\s]*)(?:\s+(?P<rest>0x.*))?$")
_PLACEMENT = re.compile(r"^(?P<address>0x[0-9a-fA-F]+)\s+(?P<size>0x[0-9a-fA-F]+)(?:\s+(?P<origin>.+?))?\s*$")


class MapError(ValueError):
    """The file is not a (whole) GNU ld map file."""


@dataclass(frozen=True)
class InputSection:
    output: str  # output section, e.g. .text
    name: str  # input section, e.g. .text.tml_printf; "*fill*" for padding
    address: int
    size: int
    origin: str  # object file or archive(member) as written by ld; "" for linker-made bytes


def parse_map(text: str) -> list[InputSection]:
    """Input sections with a size, in map order."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Linker script and memory map"))
    except StopIteration:
        raise MapError("not a GNU ld map file (no 'Linker script and memory map' section)") from None
    result = []
    output = ""
    i = start + 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.startswith(("LOAD ", "OUTPUT(", "START GROUP", "END GROUP")):
            continue
        if line.startswith("Cross Reference Table") or line.startswith("Discarded input sections"):
            break
        match = _SECTION_START.match(line)
        if not match:
            continue
        name = match.group("name")
        if name.startswith("*(") or name.startswith("*") and name != "*fill*" and "(" in name:
            continue  # an input-section pattern from the script, not a placement
        rest = match.group("rest")
        if rest is None:
            # Long names put the address on the next line.
            if i < len(lines) and lines[i].startswith(" " * 16) and lines[i].strip().startswith("0x"):
                rest = lines[i].strip()
                i += 1
            else:
                continue
        placement = _PLACEMENT.match(rest.strip())
        if not placement:
            continue
        if not match.group("indent"):
            output = name
            continue
        size = int(placement.group("size"), 16)
        origin = placement.group("origin") or ""
        if origin.startswith("load address"):
            origin = ""
        if size == 0 or not output:
            continue
        result.append(InputSection(output, name, int(placement.group("address"), 16), size, origin.strip()))
    return result


def read_map(path: str | Path) -> list[InputSection]:
    return parse_map(Path(path).read_text(encoding="utf-8", errors="replace"))
