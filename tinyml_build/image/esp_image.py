"""The flash image of an ESP chip target: esptool's elf2image, our own check of its segments,
and the esptool command that writes it.

Why our own check: esptool elf2image does not validate segment addresses; a segment the ROM loader
cannot load, or one over the RAM the ROM itself uses while loading (its stack, its data), gives a
chip that silently fails to boot. `check_segments` predicts the image's segments the way
esptool 5.6 builds them (allocated sections with contents, sorted, adjacent ones merged) and
refuses what the chip facts (tinyml_build.platform.esp_chip.CHIPS) say the loader cannot take.

esptool runs as `python -m esptool` with this interpreter (pip install esptool==5.6.0). Its 5.x
command names are elf2image, image-info and write-flash (the underscore spellings are the older
aliases).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.fileio import write_atomic
from tinyml_build.image.elf import ElfError, read_elf
from tinyml_build.platform.esp_chip import CHIPS, EspChip, chip_of

ESPTOOL_PIN = "esptool==5.6.0"
MAX_SEGMENTS = 16  # esptool bin_image.py: "Invalid segment count ... (max 16)"
FLASH_ARGS = ("--flash-mode", "dio", "--flash-freq", "40m", "--flash-size", "4MB")
DEFAULT_BAUD = 460800
# Section types esptool copies into the image (bin_image.py ELFFile._read_sections: PROG_SEC_TYPES).
_LOADED_TYPES = (1, 14, 15, 16)  # PROGBITS, INIT_ARRAY, FINI_ARRAY, PREINIT_ARRAY


@dataclass(frozen=True)
class Segment:
    address: int
    size: int
    sections: tuple[str, ...]  # the ELF sections it is made of

    @property
    def end(self) -> int:
        return self.address + self.size

    def __str__(self) -> str:
        return f"0x{self.address:08X}-0x{self.end - 1:08X} ({', '.join(self.sections)}, {self.size} bytes)"


def _chip(chip: EspChip | str) -> EspChip:
    return chip if isinstance(chip, EspChip) else chip_of(chip)


def image_segments(elf_path: str | Path) -> list[Segment]:
    """The segments esptool elf2image makes of the ELF: sections with contents and an address, by
    address, merged when one ends where the next starts."""
    try:
        elf = read_elf(elf_path)
    except (OSError, ElfError) as err:
        raise TinyMLError(f"cannot read the firmware ELF: {err}", where=str(elf_path),
                          fix="build the firmware again") from None
    loaded = sorted((s for s in elf.sections if s.type in _LOADED_TYPES and s.vma != 0 and s.size > 0),
                    key=lambda s: s.vma)
    segments: list[Segment] = []
    for section in loaded:
        last = segments[-1] if segments else None
        if last is not None and last.end == section.vma:
            segments[-1] = Segment(last.address, last.size + section.size, (*last.sections, section.name))
        else:
            segments.append(Segment(section.vma, section.size, (section.name,)))
    return segments


def check_segments(elf_path: str | Path, chip: EspChip | str) -> list[Segment]:
    """The image's segments, or a TinyMLError naming the first one the chip's ROM loader cannot
    load: outside its IRAM/DRAM, over memory the ROM uses while loading, or one too many."""
    facts = _chip(chip)
    segments = image_segments(elf_path)
    where = str(elf_path)
    if not segments:
        raise TinyMLError("the firmware ELF has no loadable section", where=where,
                          fix="link it with the ESP chip linker script (esp_chip.ld.j2)")
    if len(segments) > MAX_SEGMENTS:
        raise TinyMLError(f"the image would have {len(segments)} segments; esptool and the {facts.name} ROM "
                          f"loader take at most {MAX_SEGMENTS}", where=where,
                          details=[str(s) for s in segments],
                          fix="merge output sections in the linker script (no gaps between loaded sections)")
    for segment in segments:
        if not (facts.iram.contains(segment.address, segment.end) or facts.dram.contains(segment.address, segment.end)):
            raise TinyMLError(f"segment {segment} is outside the RAM the {facts.name} ROM loader loads "
                              f"(IRAM {facts.iram}, DRAM {facts.dram})", where=where,
                              fix="place the section in the target's iram or ram region (the image is RAM-only: "
                                  "the ROM maps no flash)")
        for used in facts.rom_used:
            if used.overlaps(segment.address, segment.end):
                raise TinyMLError(f"segment {segment} overlaps {used} ({used.what}); the ROM loader would "
                                  "overwrite its own stack or data while loading it", where=where,
                                  fix=f"end the target's memory regions below 0x{used.start:08X}")
    return segments


def _esptool(args: list[str], what: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "esptool", *args]
    try:
        proc = subprocess.run(command, capture_output=True, text=True)
    except OSError as err:
        raise ToolchainError(f"cannot run esptool: {err}", fix=f"pip install {ESPTOOL_PIN}") from None
    if proc.returncode != 0 and "No module named esptool" in proc.stderr:
        raise ToolchainError("esptool is not installed (needed for ESP chip images)", where="python -m esptool",
                             fix=f"pip install {ESPTOOL_PIN}")
    if proc.returncode != 0:
        raise ToolchainError(f"esptool {what} failed (exit status {proc.returncode})",
                             where=" ".join(command[1:]),
                             details=(proc.stderr or proc.stdout).strip().splitlines()[-20:])
    return proc


def esptool_version() -> str:
    """esptool's version, e.g. '5.6.0'; ToolchainError when it is not installed."""
    out = _esptool(["version"], "version").stdout.strip().splitlines()
    return out[-1].strip() if out else ""


def elf2image(elf_path: str | Path, bin_path: str | Path, chip: EspChip | str) -> Path:
    """Check the ELF's segments, then write the esptool image to `bin_path` (atomically: a failed
    or interrupted run leaves no partial image). Same ELF, same bytes: esptool writes no time."""
    facts = _chip(chip)
    check_segments(elf_path, facts)
    bin_path = Path(bin_path)
    bin_path.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(prefix=".elf2image-", suffix=".bin", dir=bin_path.parent)
    os.close(fd)
    try:
        _esptool(["--chip", facts.esptool_chip, "elf2image", *FLASH_ARGS, "-o", scratch, str(elf_path)], "elf2image")
        data = Path(scratch).read_bytes()
    finally:
        Path(scratch).unlink(missing_ok=True)
    return write_atomic(bin_path, data)


def image_info(bin_path: str | Path, chip: EspChip | str) -> str:
    """esptool's description of an image (header, segments, checksum, digest): a second opinion."""
    return _esptool(["--chip", _chip(chip).esptool_chip, "image-info", str(bin_path)], "image-info").stdout


def write_flash_command(bin_path: str | Path, chip: EspChip | str, port: str | None = None,
                        baud: int = DEFAULT_BAUD) -> list[str]:
    """The esptool command that flashes the image at the chip's boot offset. `keep` for the flash
    parameters: otherwise write-flash rewrites header bytes 2-3 and the image's digest no longer
    matches the file that was built and checked."""
    facts = _chip(chip)
    command = ["esptool", "--chip", facts.esptool_chip]
    if port:
        command += ["--port", port]
    command += ["--baud", str(baud), "write-flash", "--flash-mode", "keep", "--flash-freq", "keep",
                "--flash-size", "keep", f"0x{facts.flash_offset:x}", str(bin_path)]
    return command


__all__ = ["CHIPS", "DEFAULT_BAUD", "ESPTOOL_PIN", "MAX_SEGMENTS", "Segment", "check_segments", "elf2image",
           "esptool_version", "image_info", "image_segments", "write_flash_command"]
