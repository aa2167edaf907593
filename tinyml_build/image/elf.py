"""Just enough of ELF32 (little-endian) to size a firmware image: sections, segments, symbols.

Why not binutils: the size report and the budget gate must give the same numbers on every
machine and be testable without a cross toolchain; section and symbol tables are a few fixed
structs (System V ABI, "ELF header", "Section header", "Program header", "Symbol table").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

SHT_SYMTAB = 2
SHT_NOBITS = 8
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
PT_LOAD = 1
STT_OBJECT = 1
STT_FUNC = 2


class ElfError(ValueError):
    """The file is not a little-endian ELF32 image."""


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    flags: int
    vma: int  # run-time address
    lma: int  # load address (differs from vma for .data: copied from flash at reset)
    size: int
    offset: int = 0  # where the contents are in the file (loaded sections)

    @property
    def allocated(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def loaded(self) -> bool:
        """Occupies bytes in the image (not NOBITS like .bss, the arena, heap and stack)."""
        return self.allocated and self.type != SHT_NOBITS and self.size > 0


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int  # Thumb functions have bit 0 cleared here
    size: int
    kind: str  # "function" or "object"


@dataclass(frozen=True)
class ElfImage:
    sections: tuple[Section, ...]
    symbols: tuple[Symbol, ...]  # functions and objects with a size, sorted by address
    data: bytes = b""

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def contents(self, section: Section) -> bytes:
        """The bytes a loaded section puts into memory."""
        return self.data[section.offset:section.offset + section.size] if section.loaded else b""


def read_elf(path: str | Path) -> ElfImage:
    """The image in `path`; ElfError when it is not a whole little-endian ELF32 file (e.g. truncated)."""
    data = Path(path).read_bytes()
    try:
        return parse_elf(data)
    except ElfError:
        raise
    except (struct.error, IndexError, ValueError) as err:  # offsets or tables past the end of the file
        raise ElfError(f"truncated or corrupt ELF ({len(data)} bytes: {err})") from None


def parse_elf(data: bytes) -> ElfImage:
    if len(data) < 52 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 1 or data[5] != 1:
        raise ElfError("not a little-endian 32-bit ELF file")
    (phoff, shoff) = struct.unpack_from("<II", data, 28)
    (phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack_from("<HHHHH", data, 42)
    segments = []
    for i in range(phnum):
        p_type, _offset, vaddr, paddr, filesz, memsz, _flags, _align = struct.unpack_from("<8I", data,
                                                                                          phoff + i * phentsize)
        if p_type == PT_LOAD:
            segments.append((vaddr, paddr, max(filesz, memsz)))
    raw = [struct.unpack_from("<10I", data, shoff + i * shentsize) for i in range(shnum)]
    if not raw or shstrndx >= len(raw):
        raise ElfError("no section name table")
    names_offset = raw[shstrndx][4]

    def cstring(offset: int) -> str:
        end = data.index(b"\0", offset)
        return data[offset:end].decode("ascii", "replace")

    def load_address(vma: int, size: int, flags: int) -> int:
        if not flags & SHF_ALLOC:
            return vma
        for vaddr, paddr, memsz in segments:
            if vaddr <= vma and vma + size <= vaddr + memsz:
                return vma - vaddr + paddr
        return vma

    sections = []
    for name, s_type, flags, addr, offset, size, _link, _info, _align, _entsize in raw:
        sections.append(Section(cstring(names_offset + name), s_type, flags, addr, load_address(addr, size, flags),
                                size, offset))

    symbols = []
    for _name, s_type, _flags, _addr, offset, size, link, _info, _align, entsize in raw:
        if s_type != SHT_SYMTAB or entsize == 0:
            continue
        strings = raw[link][4]
        for k in range(size // entsize):
            st_name, value, st_size, info, _other, shndx = struct.unpack_from("<IIIBBH", data, offset + k * entsize)
            kind = {STT_FUNC: "function", STT_OBJECT: "object"}.get(info & 0xF)
            if kind is None or st_size == 0 or shndx == 0:
                continue
            address = value & ~1 if kind == "function" else value
            symbols.append(Symbol(cstring(strings + st_name), address, st_size, kind))
    symbols.sort(key=lambda s: (s.address, s.name))
    return ElfImage(tuple(sections), tuple(symbols), data)
