"""Proof at link time of what a runtime=tflm image contains.

Why: `kernels=cmsis-nn` is only a request until the linker keeps CMSIS-NN code. Each function
symbol of the ELF is traced (through the linker map) to the object it came from; the functions
from the optimized library's objects are listed in size.txt/size.json, and an image that asked
for a library but links none of its functions fails the build -- e.g. when every op of the
model has only a reference kernel, so kernels=cmsis-nn would change nothing.

The same tracing answers "which op kernels are in the image" (kernel_objects_linked), which
the tests use to show that no kernel of an op the model does not use is linked.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from tinyml_build.errors import TinyMLError
from tinyml_build.image.elf import ElfImage
from tinyml_build.image.linker_map import InputSection
from tinyml_build.reports.size import SizeReport


def symbol_origins(elf: ElfImage, inputs: list[InputSection]) -> list[tuple[str, str, int, str]]:
    """(symbol, kind, bytes, object it came from) for every sized symbol of the image."""
    allocated = {s.name for s in elf.sections if s.allocated}
    spans = sorted(((s.address, s.address + s.size, s.origin) for s in inputs if s.output in allocated and s.size),
                   key=lambda t: t[:2])
    starts = [a for a, _, _ in spans]
    rows = []
    for sym in elf.symbols:
        k = bisect.bisect_right(starts, sym.address) - 1
        origin = spans[k][2] if k >= 0 and spans[k][0] <= sym.address < spans[k][1] else ""
        rows.append((sym.name, sym.kind, sym.size, origin.replace("\\", "/")))
    return rows


def library_functions(elf: ElfImage, inputs: list[InputSection], marker: str) -> list[dict]:
    """The functions linked from objects whose path contains `marker`, biggest first."""
    found = {(name, size) for name, kind, size, origin in symbol_origins(elf, inputs)
             if kind == "function" and marker in origin}
    return [{"name": n, "bytes": b} for n, b in sorted(found, key=lambda t: (-t[1], t[0]))]


def kernel_objects_linked(elf: ElfImage, inputs: list[InputSection], marker: str) -> set[str]:
    """Upstream paths ('tflite-micro/tensorflow/lite/micro/kernels/conv.o', ...) of the kernel-set
    objects (path fragment `marker`, TflmPlan.kernel_marker) that contribute a function to the image."""
    return {origin.split(marker, 1)[1] for _, kind, _, origin in symbol_origins(elf, inputs)
            if kind == "function" and marker in origin}


def annotate(report: SizeReport, elf: ElfImage, inputs: list[InputSection], library: list | tuple | None,
             arena_json: str | None) -> None:
    """Add the tflm facts to the size report: the measured arena per model, the library's functions."""
    if arena_json:
        from tinyml_build.runtimes.tflm.arena import from_json, report_lines

        decisions = from_json(Path(arena_json).read_text())
        report.notes["arena"] = {name: {"used": d.used, "needed": d.needed, "reserved": d.reserved,
                                        "headroom": d.headroom, "margin": d.margin, "source": d.source,
                                        "measured_on": d.measured_on}
                                 for name, d in sorted(decisions.items())}
        report.note_lines += ["Arena (runtime=tflm, measured):"] + [f"  {line}" for line in report_lines(decisions)]
    if library:
        name, marker = library[0], library[1]
        functions = library_functions(elf, inputs, marker)
        report.notes["kernel_library"] = {"name": name, "functions": functions,
                                          "bytes": sum(f["bytes"] for f in functions)}
        report.note_lines += ["", f"Kernel library {name}: {len(functions)} functions linked, "
                                  f"{sum(f['bytes'] for f in functions):,} bytes"]
        report.note_lines += [f"  {f['bytes']:>9,}  {f['name']}" for f in functions]


def check_library_linked(report: SizeReport, kernels: str, elf_path: str) -> None:
    """TinyMLError when kernels=<library> was asked for and none of the library's code was linked."""
    library = report.notes.get("kernel_library", {})
    if not library.get("functions"):
        raise TinyMLError(f"kernels={kernels} was requested but no {kernels} function was linked into the image: "
                          f"none of the model's ops runs a {kernels} kernel", where=elf_path,
                          fix="use kernels=reference for this model (same result, no library), or a model with ops "
                              f"that {kernels} optimizes (tinyml_build/analysis/op_inventory.py lists them)")
