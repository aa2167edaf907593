"""The CPU facts table, as data: what each `cpu:` of a target file allows (config/cpus.yaml).

Loaded through the strict YAML loader and checked by config/cpus_schema.py on first use, so a
malformed entry is one TargetError naming cpus.yaml and the key, never an import-time failure.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from tinyml_build.config.strict_yaml import load_checked
from tinyml_build.errors import TargetError

CPUS_FILE = Path(__file__).with_name("cpus.yaml")
_PROJECT_DIR = Path(__file__).resolve().parents[2]

ISAS = ("arm", "host", "riscv", "xtensa")
TOOLCHAINS = ("arm-none-eabi-gcc", "clang-xtensa", "host-gcc", "riscv64-unknown-elf-gcc")
CYCLE_TIMERS = ("ccount", "dwt", "mcycle", "mpccr", "none", "systick")


@dataclass(frozen=True)
class CpuFacts:
    """What a CPU allows; the target schema checks each target file against it (keys: cpus.yaml)."""

    isa: str  # arm | xtensa | riscv | host
    fpus: tuple[str, ...]
    dsp_possible: bool
    mve_possible: bool
    toolchain: str
    cycle_timers: tuple[str, ...]
    required_flags: tuple[str, ...]  # flag prefixes arch_flags must contain


def load_cpus(path: Path | str = CPUS_FILE) -> MappingProxyType:
    """cpu name -> CpuFacts, in file order; TargetError naming the file, line or key if malformed."""
    path = Path(path)
    try:
        shown = path.resolve().relative_to(_PROJECT_DIR).as_posix()
    except ValueError:
        shown = str(path)
    data = load_checked(path, shown, TargetError, _check)
    return MappingProxyType({name: CpuFacts(**{k: tuple(v) if isinstance(v, list) else v for k, v in facts.items()})
                             for name, facts in data["cpus"].items()})


def _check(data, shown: str, context: dict) -> None:
    from tinyml_build.config.cpus_schema import check

    check(data, shown)


@functools.cache
def cpu_table() -> MappingProxyType:
    """The project's CPU table (config/cpus.yaml), loaded once."""
    return load_cpus()


def cpu_facts(cpu: str) -> CpuFacts:
    return cpu_table()[cpu]

