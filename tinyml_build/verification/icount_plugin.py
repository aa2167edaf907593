"""Exact guest instruction counts per inference from the project's QEMU TCG plugin (icount/tml_icount.c).

Why a plugin: on the emulator twins the firmware's own counter does not count instructions (the
Xtensa CCOUNT follows a model clock), and QEMU's `-icount` only makes time deterministic. The plugin
counts the instructions executed between the firmware's tml_profile_begin() and tml_profile_end()
markers ("windows", one per timed inference). Debian ships no plugins and no plugin header, so the
project builds its own with the host C compiler, once per source version, into a cache folder.

    so = build_plugin(cache_dir)
    argv = qemu_command(...) + ["-plugin", plugin_argument(so, elf), "-d", "plugin"]
    count = parse_icount(stderr_text)      # the plugin's line goes to QEMU's log: stderr, or -D FILE
    per_inference(count)                   # instructions / windows, rounded

QEMU 7.2 prints plugin output only with `-d plugin`. Single vCPU only (the plugin refuses -smp > 1).

Mix mode (`mix_path=`): the plugin also writes the executions per guest address inside windows, split
by model and by op when the firmware has tml_profile_op() (per-op profiling builds):

    argv += ["-plugin", plugin_argument(so, elf, mix_path=Path("mix.txt")), "-d", "plugin"]
    counts = parse_mix(Path("mix.txt").read_text())   # MixCounts: (model, op) -> {address: executions}
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.image.elf import ElfError, read_elf

SOURCE_DIR = Path(__file__).resolve().parent / "icount"
SOURCES = ("tml_icount.c", "tml_qemu_plugin_api.h")  # everything the .so is built from (the digest covers them)
CFLAGS = ("-std=c99", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror")
APT_COMMAND = "sudo apt-get install gcc"
BEGIN_SYMBOL = "tml_profile_begin"
END_SYMBOL = "tml_profile_end"
REPORT_SYMBOL = "tml_profile_report"  # optional: one TML-ICOUNT-REPORT line per model
OP_SYMBOL = "tml_profile_op"  # optional, mix mode: called before each op by per-op profiling builds
LOG_OPTIONS = ("-d", "plugin")  # QEMU 7.2 drops qemu_plugin_outs() text unless the `plugin` log item is on

_EM_ARM = 40
_STT_FUNC = 2
_STT_SECTION = 3
_STT_FILE = 4
_LINE = re.compile(r"TML-ICOUNT windows=(\d+) instructions=(\d+) total=(\d+)")
_REPORT = re.compile(r"TML-ICOUNT-REPORT windows=(\d+) instructions=(\d+)")


@dataclass(frozen=True)
class ICount:
    windows: int  # closed begin..end windows (timed inferences)
    instructions: int  # executed inside them, skip range excluded
    total: int  # every instruction the guest executed, skip range included


def _digest(cc: str) -> str:
    """Of the sources, the flags and the compiler's name: a change to any of them builds a new .so."""
    sha = hashlib.sha256()
    for name in SOURCES:
        sha.update(name.encode() + b"\0" + (SOURCE_DIR / name).read_bytes() + b"\0")
    sha.update(" ".join((Path(cc).name, *CFLAGS)).encode())
    return sha.hexdigest()[:16]


def _find_cc(cc: str | None) -> str:
    for name in ([cc] if cc else ["gcc", "cc"]):
        found = shutil.which(name)
        if found:
            return found
    raise ToolchainError(f"host C compiler {cc or 'gcc'} not found on PATH (needed to build the QEMU "
                         "instruction-count plugin)", fix=f"install it: {APT_COMMAND}")


def build_plugin(cache_dir: Path, cc: str | None = None) -> Path:
    """The plugin's shared object in `cache_dir`, compiled only when no build of the current sources exists.

    Named tml_icount-<digest>.so; written to a temporary file and renamed, so a parallel or interrupted
    build never leaves a half-written .so under the final name.
    """
    cache_dir = Path(cache_dir)
    tool = _find_cc(cc)
    target = cache_dir / f"tml_icount-{_digest(tool)}.so"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tml_icount-", suffix=".so", dir=cache_dir)
    os.close(fd)
    try:
        # Relative source name and the source folder as cwd: no path of this machine enters the object.
        proc = subprocess.run([tool, *CFLAGS, "-o", tmp, SOURCES[0]], cwd=SOURCE_DIR, capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            raise ToolchainError("the host C compiler could not build the QEMU instruction-count plugin",
                                 where=str(SOURCE_DIR / SOURCES[0]), details=(proc.stderr or proc.stdout)[-4000:],
                                 fix="build with gcc (C99, POSIX shared objects), or pass another compiler")
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _symbols(elf_path: Path) -> dict[str, int]:
    """Every defined symbol's address (labels included, which tinyml_build.image.elf leaves out); Thumb
    function addresses with bit 0 cleared, as the instructions' addresses QEMU reports."""
    try:
        image = read_elf(elf_path)
    except (OSError, ElfError) as err:
        raise TinyMLError(f"cannot read the firmware's symbols: {err}", where=str(elf_path),
                          fix="pass the firmware's .elf (little-endian ELF32)") from None
    symtab, strtab = image.section(".symtab"), image.section(".strtab")
    if symtab is None or strtab is None:
        raise TinyMLError("the firmware has no symbol table", where=str(elf_path),
                          fix="do not strip the firmware used for instruction counts")
    arm = struct.unpack_from("<H", image.data, 18)[0] == _EM_ARM
    names = image.data[strtab.offset:strtab.offset + strtab.size]
    found: dict[str, int] = {}
    for at in range(symtab.offset, symtab.offset + symtab.size - 15, 16):
        st_name, value, _size, info, _other, shndx = struct.unpack_from("<IIIBBH", image.data, at)
        if shndx == 0 or st_name == 0 or info & 0xF in (_STT_SECTION, _STT_FILE):
            continue
        name = names[st_name:names.index(b"\0", st_name)].decode("ascii", "replace")
        if arm and info & 0xF == _STT_FUNC:
            value &= ~1
        global_binding = info >> 4 != 0
        if name not in found or global_binding:  # a global definition wins over a local of the same name
            found[name] = value
    return found


def _address(symbols: dict[str, int], name: str, elf_path: Path) -> int:
    if name not in symbols:
        raise TinyMLError(f"symbol {name} not found in the firmware", where=str(elf_path),
                          fix=f"instruction counts need {BEGIN_SYMBOL}() and {END_SYMBOL}() as real (non-inlined) "
                              "functions of the platform layer, and any skip-range symbols named")
    return symbols[name]


def plugin_argument(so_path: Path, elf_path: Path, skip_symbols: tuple[str, str] | None = None,
                    mix_path: Path | None = None, data_range: tuple[int, int] | None = None) -> str:
    """The value of QEMU's `-plugin` option: the .so and the marker addresses read from `elf_path`.

    `skip_symbols` = (first, past_end) names an address range [first, past_end) whose instructions are
    not counted in windows (the Xtensa twin's muluh/mulsh-emulating exception handler). `mix_path`:
    mix mode, the per-address counts are written there (split per op when the ELF has tml_profile_op);
    `data_range` = (start, end): mix mode also counts the loads from [start, end) (the image's flash).
    """
    elf_path = Path(elf_path)
    symbols = _symbols(elf_path)
    begin = _address(symbols, BEGIN_SYMBOL, elf_path)
    end = _address(symbols, END_SYMBOL, elf_path)
    if begin == end:
        raise TinyMLError(f"{BEGIN_SYMBOL} and {END_SYMBOL} have the same address {begin:#x}", where=str(elf_path),
                          fix="keep them distinct functions (noinline, not merged by identical code folding)")
    parts = [str(so_path).replace(",", ",,"), f"begin={begin:#x}", f"end={end:#x}"]  # QEMU reads ",," as ","
    if REPORT_SYMBOL in symbols:
        parts.append(f"report={symbols[REPORT_SYMBOL]:#x}")
    if skip_symbols is not None:
        start, stop = (_address(symbols, name, elf_path) for name in skip_symbols)
        if stop < start:
            raise TinyMLError(f"skip range {skip_symbols[0]}..{skip_symbols[1]} ends before it starts",
                              where=str(elf_path))
        parts += [f"skip_start={start:#x}", f"skip_end={stop:#x}"]
    if mix_path is not None:
        parts.append("mix=" + str(mix_path).replace(",", ",,"))
        if OP_SYMBOL in symbols:
            parts.append(f"op={symbols[OP_SYMBOL]:#x}")
        if data_range is not None:
            parts += [f"data_start={data_range[0]:#x}", f"data_end={data_range[1]:#x}"]
    return ",".join(parts)


@dataclass(frozen=True)
class MixCounts:
    """The plugin's mix file: per (model, op) the windows that reached it and the executions per address.
    Models are numbered by tml_profile_report() calls, ops by tml_profile_op() calls in a window; op -1 is
    what ran before the first op call (the whole window when the firmware has no op markers)."""

    entries: dict[tuple[int, int], int]
    counts: dict[tuple[int, int], dict[int, int]]
    range_loads: dict[tuple[int, int], int] = field(default_factory=dict)  # loads from the data range

    def models(self) -> list[int]:
        return sorted({model for model, _op in self.entries})

    def windows(self, model: int) -> int:
        return self.entries.get((model, -1), 0)

    def ops(self, model: int) -> list[int]:
        return sorted(op for m, op in self.entries if m == model and op >= 0)

    def instructions(self, model: int) -> int:
        return sum(n for (m, _op), by_address in self.counts.items() if m == model for n in by_address.values())


def parse_mix(text: str) -> MixCounts:
    """The plugin's mix file (`S model op windows range_loads` and `C model op address count` lines)."""
    entries: dict[tuple[int, int], int] = {}
    counts: dict[tuple[int, int], dict[int, int]] = {}
    range_loads: dict[tuple[int, int], int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        try:
            if fields[0] == "S" and len(fields) == 5:
                entries[(int(fields[1]), int(fields[2]))] = int(fields[3])
                range_loads[(int(fields[1]), int(fields[2]))] = int(fields[4])
                continue
            if fields[0] == "C" and len(fields) == 5:
                key = (int(fields[1]), int(fields[2]))
                by_address = counts.setdefault(key, {})
                address = int(fields[3], 16)
                by_address[address] = by_address.get(address, 0) + int(fields[4])
                continue
        except (ValueError, IndexError):
            pass
        raise TinyMLError(f"line {number} of the instruction-mix file is not a plugin line: {line[:80]!r}",
                          fix="the file is written by the project's QEMU plugin in mix mode; rerun the profile")
    return MixCounts(entries, counts, range_loads)


def parse_icount(text: str) -> ICount | None:
    """The counts of the plugin's last TML-ICOUNT line in QEMU's stderr or log; None when there is none."""
    matches = _LINE.findall(text)
    if not matches:
        return None
    windows, instructions, total = (int(v) for v in matches[-1])
    return ICount(windows, instructions, total)


def parse_reports(text: str) -> list[ICount]:
    """One ICount per tml_profile_report() call (one per model, in the firmware's order); `total` is 0."""
    return [ICount(int(w), int(i), 0) for w, i in _REPORT.findall(text)]


def per_inference(icount: ICount) -> int:
    """Instructions per timed inference, rounded to the nearest integer (halves up)."""
    if icount.windows == 0:
        raise TinyMLError("the instruction-count plugin saw no complete tml_profile_begin..tml_profile_end window",
                          fix="check that the firmware calls both markers around each timed inference")
    return (2 * icount.instructions + icount.windows) // (2 * icount.windows)
