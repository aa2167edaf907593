"""The per-core timing table (reports/core_timings.yaml) as checked data.

Why a data file with a schema: the cycle numbers are facts from the vendors' manuals, each with its
source; a reviewer checks them against the cited table, not against code. A malformed entry (a class
missing, a negative cycle count, a cpu modelled twice) is one TargetError naming the file and the key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, create_model, model_validator

from tinyml_build.config.schema_base import NonEmpty, Schema, invalid, validate
from tinyml_build.config.strict_yaml import load_checked
from tinyml_build.errors import TargetError
from tinyml_build.reports.instruction_mix import CLASSES

TIMINGS_FILE = Path(__file__).with_name("core_timings.yaml")
BASES = ("published", "derived")

Cycles = Annotated[float, Field(ge=0, le=1000)]
ClassCycles = create_model("ClassCycles", __base__=Schema, **{c: (Cycles, ...) for c in CLASSES})  # every class


class CoreEntry(Schema):
    cpus: Annotated[list[NonEmpty], Field(min_length=1)]
    basis: Literal[BASES]
    source: NonEmpty
    per_register: Cycles
    cycles: ClassCycles


class TimingsFile(Schema):
    cores: Annotated[dict[NonEmpty, CoreEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _each_cpu_once(self):
        seen: dict[str, str] = {}
        for core, entry in self.cores.items():
            for cpu in entry.cpus:
                if cpu in seen:
                    raise invalid(f"cpu {cpu} is modelled by both {seen[cpu]} and {core}", at=("cores", core, "cpus"))
                seen[cpu] = core
        return self


@dataclass(frozen=True)
class CoreTiming:
    name: str
    cpus: tuple[str, ...]
    basis: str  # published | derived
    source: str
    per_register: float
    cycles: dict[str, float]  # class -> cycles of one instruction


def load_timings(path: Path | str = TIMINGS_FILE) -> dict[str, CoreTiming]:
    """core name -> CoreTiming; TargetError naming the file and key when malformed."""
    path = Path(path)
    data = load_checked(path, path.name, TargetError, lambda d, shown, _ctx: validate(TimingsFile, d, shown,
                                                                                      TargetError))
    return {name: CoreTiming(name, tuple(e["cpus"]), e["basis"], " ".join(e["source"].split()),
                             float(e["per_register"]), {c: float(e["cycles"][c]) for c in CLASSES})
            for name, e in data["cores"].items()}


@functools.cache
def core_table() -> dict[str, CoreTiming]:
    return load_timings()


def core_for_cpu(cpu: str, table: dict[str, CoreTiming] | None = None) -> CoreTiming:
    """The timing entry modelling a target's `cpu:`; TargetError when there is none."""
    table = core_table() if table is None else table
    for timing in table.values():
        if cpu in timing.cpus:
            return timing
    raise TargetError(f"no cycle timings for cpu {cpu}", where=TIMINGS_FILE.name,
                      fix=f"add a core entry listing {cpu} under cpus, with its manual's instruction timings")
