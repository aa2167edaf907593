"""Step 1: the quick screen -- what `tinyml-build inspect` says, against the target's memories.

Why first: the model alone (no build) already tells whether it can fit: its bytes against the
flash and its estimated activation arena against the arena's region.
"""

from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import FAIL, PASS, WARN, Section


def section(inputs: ReportInputs) -> Section:
    a, target = inputs.analysis, inputs.target
    model_region, arena_region = target.model_memory, target.arena
    figures = {
        "operators": len(a.ops), "distinct ops": len(a.op_counts), "parameters": a.parameters,
        "MACs": a.macs, "model bytes": a.model.size, "estimated arena (activations)": a.arena.size,
        f"{model_region.name} size": model_region.size, f"{arena_region.name} size": arena_region.size,
    }
    problems = [f.what for f in a.errors]
    # tflm carries the whole flatbuffer; aot only the constant tensors' bytes
    carried, what = (a.weight_bytes, "model constants") if inputs.runtime == "aot" else (a.model.size, "model")
    figures["bytes in flash (runtime " + inputs.runtime + ")"] = carried
    if carried > model_region.size:
        problems.append(f"{what}: {carried:,} B, more than {model_region.name} holds ({model_region.size:,} B)")
    if a.arena.size > arena_region.size:
        problems.append(f"the estimated arena ({a.arena.size:,} B) is larger than {arena_region.name} "
                        f"({arena_region.size:,} B)")
    if problems:
        return Section(1, "screen", "Quick screen", FAIL, "; ".join(problems), figures)
    warnings = [f.what for f in a.findings if f.severity != "error"]
    if warnings:
        return Section(1, "screen", "Quick screen", WARN, "; ".join(warnings), figures)
    regions = " and ".join(sorted({model_region.name, arena_region.name}))
    return Section(1, "screen", "Quick screen", PASS,
                   f"{what} {carried:,} B and estimated arena {a.arena.size:,} B are within {regions} "
                   "(runtime overhead, code and stack come on top: steps 2 and 3)", figures)
