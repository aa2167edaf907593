"""Steps 2 and 3: flash and RAM of the linked image, by component and region (size.json).

Why split product from harness: the test image carries an application, test vectors and a console
that a product replaces with its own; "model + runtime + kernels" is what the product would carry.
"""

from __future__ import annotations

from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import FAIL, NA, PASS, WARN, Chart, Section

PRODUCT = ("model data", "runtime", "kernels")
HARNESS = ("application", "test data")
SUPPORT = ("platform", "C library", "linker")
FULL_PERCENT = 90.0  # a region this full leaves no room for the product's own code: WARN


def _regions(inputs: ReportInputs, data: bool) -> list[tuple[str, dict]]:
    regions = (inputs.size or {}).get("regions", {})
    return [(r.name, regions[r.name]) for r in inputs.target.memory if r.data == data and r.name in regions]


def _overflows(regions) -> list[str]:
    return [f"{name} needs {r['used']:,} B of {r['size']:,} ({r['used'] - r['size']:,} over; largest components: "
            f"{_largest_components(r)})" for name, r in regions if r["used"] > r["size"]]


def _largest_components(region: dict, count: int = 3) -> str:
    parts = sorted((region.get("by_component") or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:count]
    return ", ".join(f"{name} {size:,} B" for name, size in parts) or "not measured"


def _without_test_vectors(regions) -> str:
    """When the test vectors alone make a region overflow: how to get a report of time and stack anyway."""
    over = [(name, r) for name, r in regions if r["used"] > r["size"]]
    if over and all(r["used"] - (r.get("by_component") or {}).get("test data", 0) <= r["size"] for _, r in over):
        return ("; its test vectors alone put it over: test_vectors=0 (none: time and stack only) or a smaller "
                "test_vectors=N leaves them out")
    return ""


def _region_status(regions, what: str) -> tuple[str, str]:
    over = _overflows(regions)
    if over:
        return FAIL, f"does not fit: {'; '.join(over)}"
    full = [f"{name} {100.0 * r['used'] / r['size']:.0f}% used" for name, r in regions
            if r["size"] and 100.0 * r["used"] / r["size"] >= FULL_PERCENT]
    if full:
        return WARN, f"fits, but {', '.join(full)}"
    return PASS, ", ".join(f"{name} {r['used']:,} of {r['size']:,} B ({100.0 * r['used'] / r['size']:.1f}%)"
                           for name, r in regions) or f"no {what} region"


def _no_image(key: str, step: int, title: str, inputs: ReportInputs) -> Section:
    return Section(step, key, title, NA, "not measured: no linked image (build the image first)")


def flash_section(inputs: ReportInputs) -> Section:
    if inputs.size is None:
        return _no_image("flash", 2, "Flash", inputs)
    by = inputs.size["flash"]["by_component"]
    regions = _regions(inputs, data=False)
    status, reason = _region_status(regions, "flash")
    product = sum(by.get(c, 0) for c in PRODUCT)
    harness = sum(by.get(c, 0) for c in HARNESS)
    figures = {"image bytes": inputs.size["flash"]["total"], "product (model data + runtime + kernels)": product,
               "test harness (application + test data)": harness,
               "platform, C library, padding": sum(by.get(c, 0) for c in SUPPORT)}
    figures.update({f"{c}": v for c, v in by.items()})
    for name, r in regions:
        figures[f"{name} used / size"] = f"{r['used']:,} / {r['size']:,}"
    limit = regions[0][1]["size"] if len(regions) == 1 else None
    chart = Chart("Flash by component", "B", tuple(by.items()), limit)
    if inputs.overflow:
        reason = (f"{reason} (measured on the sizing link: the build stops before writing the image)"
                  f"{_without_test_vectors(regions)}")
    return Section(2, "flash", "Flash", status, reason, figures, (chart,))


def arena_figures(inputs: ReportInputs) -> tuple[int | None, int | None, str]:
    """(used, reserved, where from): tflm's measured arena (size.json notes), else the run's TML-MODEL
    line, else aot's static plan (its arena is exactly the plan: used = reserved)."""
    notes = ((inputs.size or {}).get("notes") or {}).get("arena") or {}
    mine = notes.get(inputs.model_name)
    if mine:
        where = mine.get("measured_on", "?")
        return int(mine["used"]), int(mine["reserved"]), f"measured by the arena probe on {where}"
    facts = (inputs.run.model(inputs.model_name).get("facts") if inputs.run else None) or {}
    if "arena_used" in facts and "arena_reserved" in facts:
        return (int(facts["arena_used"]), int(facts["arena_reserved"]),
                f"reported by the firmware on {inputs.run.where}")
    if inputs.size is not None and inputs.runtime == "aot":
        reserved = inputs.size["arena"]["bytes"]
        return reserved, reserved, "aot's static plan"
    return None, None, "not measured"


def stack_figures(inputs: ReportInputs) -> tuple[int | None, str]:
    """The stack high-water mark from the run: the model's own (test.json models.<m>.stack: its
    inference alone), else the image's deepest (top-level `stack`)."""
    if inputs.run is None:
        return None, inputs.not_run or "not measured: the image was not run"
    for stack, whose in ((inputs.run.model(inputs.model_name).get("stack"), "this model's inferences"),
                         (inputs.run.test.get("stack"), "the whole program")):
        if isinstance(stack, dict) and isinstance(stack.get("used"), int):
            return stack["used"], f"high-water mark of {whose}, measured on {inputs.run.where}"
    return None, f"not measured: the run on {inputs.run.where} reports no stack high-water mark"


def ram_section(inputs: ReportInputs) -> Section:
    if inputs.size is None:
        return _no_image("ram", 3, "RAM", inputs)
    by = inputs.size["ram"]["by_component"]
    regions = _regions(inputs, data=True)
    status, reason = _region_status(regions, "RAM")
    used, reserved, arena_from = arena_figures(inputs)
    stack_reserved = inputs.size.get("stack", 0)
    stack_used, stack_from = stack_figures(inputs)
    static = sum(v for c, v in by.items() if c not in ("arena", "heap", "stack"))
    not_measured = "not measured"
    figures = {"arena used": not_measured if used is None else used,
               "arena reserved": not_measured if reserved is None else reserved,
               "arena headroom": not_measured if used is None else reserved - used,
               "arena from": arena_from,
               "static data (.data + .bss besides the arena)": static, "heap reserved": inputs.size.get("heap", 0),
               "stack reserved": stack_reserved,
               "stack high-water": "not measured" if stack_used is None else stack_used, "stack from": stack_from}
    for name, r in regions:
        figures[f"{name} used / size"] = f"{r['used']:,} / {r['size']:,}"
    if stack_used is not None and status != FAIL:
        if stack_used > stack_reserved:
            status = FAIL
            reason = f"the stack high-water mark {stack_used:,} B exceeds the {stack_reserved:,} B reserved"
        elif stack_used > FULL_PERCENT / 100.0 * stack_reserved:
            status = WARN
            reason = f"the stack high-water mark {stack_used:,} B is within 10% of {stack_reserved:,} B"
    if status == FAIL and inputs.overflow:
        reason = f"{reason}; largest tensors: {largest_tensors(inputs)}"
    limit = regions[0][1]["size"] if len(regions) == 1 else None
    chart = Chart("RAM by component", "B", tuple(by.items()), limit)
    return Section(3, "ram", "RAM", status, reason, figures, (chart,))


def largest_tensors(inputs: ReportInputs, count: int = 3) -> str:
    """The biggest activation tensors of the arena plan, named (escaped where shown)."""
    a = inputs.analysis
    tensors = a.model.main.tensors
    biggest = sorted(a.lifetimes, key=lambda i: (-tensors[i].nbytes, i))[:count]
    return ", ".join(f"{tensors[i].name} {tensors[i].nbytes:,} B" for i in biggest) or "none"
