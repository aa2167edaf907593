"""The linker script, generated from the target's memory map (templates/linker.ld.j2).

Why generated: the memory map is data in targets/<name>.yaml, and where the model and the
tensor arena go (flash or code SRAM; SRAM, CCM or DTCM) is the target's choice. One template
serves every Cortex-M target, so a new board is a YAML file, not a new script.

`relaxed=True` gives the sizing variant used by the budget gate: same layout, regions enlarged
so an image that is too big still links and its consumers can be named.
"""

from dataclasses import dataclass

from tinyml_build.codegen.templating import render
from tinyml_build.config.targets import REGION_NAMES, Target
from tinyml_build.errors import TargetError

TEMPLATE = "linker.ld.j2"
_RELAXED_LENGTH = 0x40000000  # 1 GB per region: anything real fits


@dataclass(frozen=True)
class LinkerRegion:
    label: str  # MEMORY name, e.g. FLASH, DTCM
    attributes: str
    origin: int
    length: int
    comment: str


def region_label(name: str) -> str:
    """The MEMORY name of a target region: flash -> FLASH, code_sram -> CODE_SRAM."""
    return name.upper()


def render_linker_script(target: Target, relaxed: bool = False) -> str:
    """The linker script text for `target` (deterministic: same target, same bytes)."""
    for role, name in (("arena_region", target.arena_region), ("model_region", target.model_region)):
        region = target.region(name)
        if role == "arena_region" and not region.data:
            raise TargetError(f"{role} '{name}' cannot hold data", where=target.source or target.name)
    regions = [
        LinkerRegion(region_label(r.name), r.linker_attributes, r.origin,
                     _RELAXED_LENGTH if relaxed else r.size, REGION_NAMES.get(r.name, ""))
        for r in target.memory
    ]
    return render(
        TEMPLATE,
        t=target,
        relaxed=relaxed,
        regions=regions,
        flash=region_label("flash"),
        ram=region_label("ram"),
        arena=region_label(target.arena_region),
        model_region=region_label(target.model_region),
    )
