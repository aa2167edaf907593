"""Step 6: op support and integration -- the kernel every op gets per runtime and kernel library,
the ops only one runtime supports, and the toolchain the image was built with.

Why: "which code runs my CONV_2D" decides speed and size; an op only tflm provides rules out aot.
"""

from __future__ import annotations

from tinyml_build.analysis import op_inventory
from tinyml_build.errors import TinyMLError
from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import FAIL, PASS, WARN, Section


def _tflm_kernel(op: str, kernels: str) -> tuple[str, str]:
    """(kernel, registration) of `op` for runtime=tflm with `kernels`."""
    try:
        info = op_inventory.lookup(op)
    except TinyMLError:
        return "none: not in TFLM's op table", "-"
    if kernels != op_inventory.REFERENCE and kernels in info.optimized:
        return f"optimized ({kernels})", info.registration
    library = "" if kernels == op_inventory.REFERENCE else f" ({kernels} has none)"
    return f"reference{library}", info.registration


def section(inputs: ReportInputs) -> Section:
    a = inputs.analysis
    kernels = inputs.kernels or inputs.target.kernels
    rows, tflm_missing = [], []
    for op, count in a.op_counts.items():
        kernel, registration = _tflm_kernel(op, kernels)
        if kernel.startswith("none"):
            tflm_missing.append(op)
        rows.append({"op": op, "count": count, "versions": ",".join(map(str, a.op_versions[op])),
                     "tflm kernel": kernel, "tflm registration": registration,
                     "other libraries": ", ".join(sorted(op_inventory.OPS[op].optimized)) if op in op_inventory.OPS
                     else "", "aot": "no" if inputs.aot_refusal else "yes"})
    manifest = inputs.manifest or {}
    toolchain = manifest.get("toolchain", "not built")
    version = (manifest.get("tools") or {}).get(toolchain, "")
    figures = {"runtime": inputs.runtime, "kernels": kernels if inputs.runtime == "tflm" else "aot's own",
               "toolchain": f"{toolchain}: {version}" if version else toolchain}
    only = []
    if inputs.aot_refusal:
        only.append(f"only tflm builds this model ({inputs.aot_refusal})")
    if tflm_missing:
        only.append(f"only aot builds {', '.join(tflm_missing)}")
    if only:
        figures["one runtime only"] = "; ".join(only)
    runtime_lacks = (inputs.runtime == "aot" and inputs.aot_refusal) or (inputs.runtime == "tflm" and tflm_missing)
    if runtime_lacks:
        return Section(6, "ops", "Op support and integration", FAIL, f"runtime={inputs.runtime} lacks an op: "
                       + "; ".join(only), figures, rows=tuple(rows))
    reference = [r["op"] for r in rows if inputs.runtime == "tflm" and kernels != op_inventory.REFERENCE
                 and r["tflm kernel"].startswith("reference")]
    if reference:
        return Section(6, "ops", "Op support and integration", WARN,
                       f"{', '.join(reference)} run reference kernels: {kernels} has no optimized one",
                       figures, rows=tuple(rows))
    return Section(6, "ops", "Op support and integration", PASS,
                   f"every op has a kernel in runtime={inputs.runtime}" + (f"; {'; '.join(only)}" if only else ""),
                   figures, rows=tuple(rows))
