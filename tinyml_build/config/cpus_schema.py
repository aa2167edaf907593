"""The schema of config/cpus.yaml: one entry per CPU a target file may name."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from tinyml_build.config.cpus import CYCLE_TIMERS, ISAS, TOOLCHAINS
from tinyml_build.config.schema_base import NonEmpty, Says, Schema, invalid, validate
from tinyml_build.errors import TargetError

Flag = Annotated[str, StringConstraints(pattern=r"^-\S+$"),
                 Says("one compiler flag starting with '-'",
                      fix="write each flag as its own list item: [-mcpu=cortex-m4, -mthumb]")]
CpuName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$"),
                    Says("a cpu name: lower-case letters, digits and '-'")]


class Cpu(Schema):
    isa: Literal[ISAS]
    fpus: Annotated[list[NonEmpty], Field(min_length=1), Says("a list of FPU names (none: no FPU)")]
    dsp_possible: bool
    mve_possible: bool
    toolchain: Literal[TOOLCHAINS]
    cycle_timers: Annotated[list[Literal[CYCLE_TIMERS]], Field(min_length=1), Says("a list of cycle counters")]
    required_flags: list[Flag]

    @model_validator(mode="after")
    def _consistent(self):
        for key in ("fpus", "cycle_timers", "required_flags"):
            values = getattr(self, key)
            if len(set(values)) != len(values):
                raise invalid(f"lists {next(v for v in values if values.count(v) > 1)} twice", at=(key,))
        if "none" not in self.cycle_timers:
            raise invalid("must include none (a target may always go without a cycle counter)", at=("cycle_timers",))
        if self.mve_possible and self.isa != "arm":
            raise invalid("MVE is an Arm M-profile extension", at=("mve_possible",))
        if (self.isa == "host") != (self.toolchain == "host-gcc"):
            raise invalid("the host cpu, and only it, is built with host-gcc", at=("toolchain",))
        return self


class CpusFile(Schema):
    cpus: Annotated[dict[CpuName, Cpu], Field(min_length=1), Says("a mapping of cpu name to its facts")]


def check(data, shown: str) -> None:
    validate(CpusFile, data, shown, TargetError)
