"""Flash and RAM use of a firmware image, by component, and the budget gate.

Why: "does it fit, and what takes the space" is the first question about any firmware. The
numbers come from the ELF (section and symbol tables) and the linker map (which object each
input section came from); region sizes come from the target, so a sizing link made with
enlarged regions (see platform/linker_script.py) is measured against the real board.

Components: model data (weights, parameters, the flatbuffer), runtime (generated model code
or the interpreter), kernels, platform (startup, console, timer), application (the test
runner), test data (test vectors, golden outputs), C library (newlib, libgcc), arena, heap,
stack, and linker (alignment padding and reset tables).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from tinyml_build.config.targets import MemoryRegion, Target
from tinyml_build.errors import TinyMLError
from tinyml_build.escape import json_text, terminal
from tinyml_build.image.elf import ElfImage
from tinyml_build.image.linker_map import InputSection

COMPONENTS = ("model data", "runtime", "kernels", "platform", "application", "test data", "C library",
              "arena", "heap", "stack", "linker")
TOP_SYMBOLS = 20
TEST_DATA = "test data"  # the component of the test vectors and golden outputs (not in a product)
_C_LIBRARIES = ("libc_nano.a(", "libc.a(", "libg_nano.a(", "libm.a(", "libgcc.a(", "libstdc++", "libsupc++",
                "libnosys.a(", "crti.o", "crtn.o", "crtbegin.o", "crtend.o")
# Output sections whose whole size belongs to one component, whatever the map says inside them.
_WHOLE_SECTIONS = {".tml_arena": "arena", ".heap": "heap", ".stack": "stack", ".tml_tables": "linker"}


class BudgetError(TinyMLError):
    """The image needs more flash or RAM than the target has."""


# Beside the image: the measurement of an image that does not fit (the build stops before size.json),
# so `tinyml-build fit` can say by how much instead of showing the error alone.
OVERFLOW_JSON = "size-overflow.json"


def check_budget_recorded(report: SizeReport, target: Target, out_dir) -> None:
    """check_budget, leaving OVERFLOW_JSON in `out_dir` when it fails and removing a stale one when it
    passes."""
    from pathlib import Path

    from tinyml_build.fileio import write_atomic

    path = Path(out_dir) / OVERFLOW_JSON
    try:
        check_budget(report, target)
    except BudgetError as err:
        write_atomic(path, json_text({"error": err.what, "size": report.as_dict()}, indent=1, sort_keys=False) + "\n")
        raise
    path.unlink(missing_ok=True)


_TFLM_CORE = re.compile(r"/_common/tflm(-log)?/core/")
_TFLM_TARGET_LEVEL = re.compile(r"/_common/tflm(-log)?/")


def component_of(origin: str, section: str) -> str:
    """The component an input section belongs to, from the object it came from."""
    path = origin.replace("\\", "/")
    if not path:
        return "linker"
    if any(lib in path for lib in _C_LIBRARIES):
        return "C library"
    if _TFLM_CORE.search(path):  # runtime=tflm: TFLM's framework (its tree has kernels/ folders too)
        return "runtime"
    if _TFLM_TARGET_LEVEL.search(path):  # runtime=tflm: kernel files of the kernel set and its library
        return "kernels"
    name = path.rsplit("/", 1)[-1]
    if name.endswith("_test_vectors.o") or name == "tml_test_models.o":
        return TEST_DATA
    if name.endswith("_model_data.o"):
        return "model data"
    if name.endswith("_model.o"):  # generated aot model: constants are model data, code is runtime
        if section.startswith(".bss.tml_arena"):
            return "arena"
        return "model data" if section.startswith((".rodata", ".tml_model")) else "runtime"
    if "/kernels/" in path:
        return "kernels"
    if "/platform/" in path:
        return "platform"
    if "/app/" in path:
        return "application"
    return "runtime"


@dataclass(frozen=True)
class RegionUse:
    name: str
    origin: int
    size: int
    used: int
    holds_data: bool

    @property
    def free(self) -> int:
        return self.size - self.used

    def as_dict(self) -> dict:
        return {"origin": f"0x{self.origin:08X}", "size": self.size, "used": self.used, "free": self.free}


@dataclass
class SizeReport:
    target: str
    regions: list[RegionUse]
    flash_by_component: dict[str, int]
    ram_by_component: dict[str, int]
    region_components: dict[str, dict[str, int]]
    arena_region: str
    arena_bytes: int
    stack_bytes: int
    heap_bytes: int
    top_symbols: list[dict] = field(default_factory=list)
    # Runtime-specific facts (runtime=tflm: the measured arena, the kernel library functions linked),
    # as data for size.json and as lines for size.txt; filled by the runtime, e.g.
    # tinyml_build.runtimes.tflm.image_check.
    notes: dict = field(default_factory=dict)
    note_lines: list[str] = field(default_factory=list)
    flash_title: str = "Flash (image bytes)"

    @property
    def flash_total(self) -> int:
        return sum(self.flash_by_component.values())

    @property
    def ram_total(self) -> int:
        return sum(self.ram_by_component.values())

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "flash": {"total": self.flash_total, "by_component": _ordered(self.flash_by_component)},
            "ram": {"total": self.ram_total, "by_component": _ordered(self.ram_by_component)},
            "arena": {"region": self.arena_region, "bytes": self.arena_bytes},
            "stack": self.stack_bytes,
            "heap": self.heap_bytes,
            "regions": {r.name: {**r.as_dict(), "by_component": _ordered(self.region_components.get(r.name, {}))}
                        for r in self.regions},
            "top_symbols": self.top_symbols,
            **({"notes": self.notes} if self.notes else {}),
        }

    def to_json(self) -> str:
        return json_text(self.as_dict(), indent=1, sort_keys=False) + "\n"

    def to_text(self) -> str:
        lines = [f"Firmware size for {self.target}", ""]
        lines.append(f"{'region':<10} {'origin':>10} {'size':>10} {'used':>10} {'free':>10}  use")
        for r in self.regions:
            percent = 100.0 * r.used / r.size if r.size else 0.0
            lines.append(f"{r.name:<10} 0x{r.origin:08X} {r.size:>10,} {r.used:>10,} {r.free:>10,}  {percent:5.1f}%")
        for title, table, total in ((self.flash_title, self.flash_by_component, self.flash_total),
                                    ("RAM (reserved at run time)", self.ram_by_component, self.ram_total)):
            lines += ["", f"{title}: {total:,} bytes"]
            for name, size in _ordered(table).items():
                lines.append(f"  {name:<14} {size:>10,}")
        lines += ["", f"Arena: {self.arena_bytes:,} bytes in {self.arena_region}; stack {self.stack_bytes:,}; "
                      f"heap {self.heap_bytes:,}", "", f"Top {len(self.top_symbols)} symbols:"]
        for s in self.top_symbols:
            lines.append(f"  {s['bytes']:>9,}  {s['region']:<9} {s['component']:<12} {terminal(s['name'])}")
        if self.note_lines:
            lines += [""] + [terminal(line) for line in self.note_lines]
        return "\n".join(lines) + "\n"


def _ordered(table: dict[str, int]) -> dict[str, int]:
    """Components in COMPONENTS order, zero entries dropped: deterministic output."""
    return {name: table[name] for name in COMPONENTS if table.get(name)}


def _region_at(regions: tuple[MemoryRegion, ...], address: int, size: int = 0) -> MemoryRegion | None:
    """The region a section was placed in: the one with the highest origin at or below its address.

    Past-the-end addresses still count for their region, so an image from the sizing link (enlarged
    regions) is measured against the real sizes.
    """
    below = [r for r in regions if r.origin <= address]
    return max(below, key=lambda r: r.origin) if below else None


def measure(target: Target, elf: ElfImage, inputs: list[InputSection]) -> SizeReport:
    """Sizes by region and component; regions are the target's, whatever the link used."""
    used = {r.name: 0 for r in target.memory}
    per_region: dict[str, dict[str, int]] = {r.name: {} for r in target.memory}
    flash: dict[str, int] = {}
    ram: dict[str, int] = {}
    by_output: dict[str, list[InputSection]] = {}
    for s in inputs:
        by_output.setdefault(s.output, []).append(s)
    # ESP images are copied from flash into RAM by the ROM loader: every loaded byte is an image byte.
    ram_loaded = target.family == "esp32"

    def add(table: dict, component: str, size: int) -> None:
        table[component] = table.get(component, 0) + size

    for section in elf.sections:
        if not section.allocated or section.size == 0:
            continue
        parts = _split(section.name, section.size, by_output.get(section.name, []))
        run_region = _region_at(target.memory, section.vma, section.size)
        load_region = _region_at(target.memory, section.lma, section.size) if section.loaded else None
        if run_region is not None:
            used[run_region.name] += section.size
            for component, size in parts.items():
                add(per_region[run_region.name], component, size)
                if run_region.data:
                    add(ram, component, size)
        if load_region is not None and load_region is not run_region:
            used[load_region.name] += section.size
            for component, size in parts.items():
                add(per_region[load_region.name], component, size)
        image_region = load_region or run_region
        if section.loaded and image_region is not None and (not image_region.data or ram_loaded):
            for component, size in parts.items():
                add(flash, component, size)
        elif section.loaded and image_region is not None and section.lma != section.vma:
            for component, size in parts.items():
                add(flash, component, size)

    arena = elf.section(".tml_arena")
    stack = elf.section(".stack")
    heap = elf.section(".heap")
    regions = [RegionUse(r.name, r.origin, r.size, used[r.name], r.data) for r in target.memory]
    return SizeReport(
        target=target.name, regions=regions, flash_by_component=flash, ram_by_component=ram,
        region_components={k: _ordered(v) for k, v in per_region.items()},
        arena_region=target.arena_region, arena_bytes=arena.size if arena else 0,
        stack_bytes=stack.size if stack else 0, heap_bytes=heap.size if heap else 0,
        top_symbols=top_symbols(target, elf, inputs),
        flash_title="Flash (image bytes, copied into RAM at boot)" if ram_loaded else "Flash (image bytes)",
    )


def _split(output: str, size: int, parts: list[InputSection]) -> dict[str, int]:
    """An output section's bytes by component; what the map does not explain is linker padding."""
    if output in _WHOLE_SECTIONS:
        return {_WHOLE_SECTIONS[output]: size}
    table: dict[str, int] = {}
    strings: dict[str, int] = {}
    for s in parts:
        component = component_of(s.origin, s.name)
        into = strings if _MERGED_STRINGS.match(s.name) else table
        into[component] = into.get(component, 0) + s.size
    room = size - sum(table.values())
    if strings and 0 <= room < sum(strings.values()):
        # Mergeable strings (.rodata.str1.*, e.g. C++ code's error messages): the map gives each input's
        # size before the linker merged duplicates, so they over-explain the section. They take what the
        # rest leaves, shared in proportion to what each component contributed.
        strings = _share(strings, room)
    for component, bytes_ in strings.items():
        table[component] = table.get(component, 0) + bytes_
    explained = sum(table.values())
    if explained < size:
        table["linker"] = table.get("linker", 0) + size - explained
    elif explained > size:  # never expected; keep totals honest
        table = {"linker": size}
    return table


_MERGED_STRINGS = re.compile(r"\.rodata(\..*)?\.str\d+\.\d+\Z")  # .rodata.str1.1, .rodata.<function>.str1.4


def _share(weights: dict[str, int], total: int) -> dict[str, int]:
    """`total` split in proportion to `weights`, whole bytes, largest remainders first (deterministic)."""
    whole = sum(weights.values())
    exact = {k: total * v / whole for k, v in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:total - sum(out.values())]:
        out[k] += 1
    return out


def top_symbols(target: Target, elf: ElfImage, inputs: list[InputSection], count: int = TOP_SYMBOLS) -> list[dict]:
    """The biggest functions and objects, with the component and region that hold them."""
    allocated = {s.name for s in elf.sections if s.allocated}
    spans = sorted(((s.address, s.address + s.size, s) for s in inputs if s.output in allocated), key=lambda t: t[:2])
    starts = [a for a, _, _ in spans]
    rows = []
    for sym in elf.symbols:
        k = bisect.bisect_right(starts, sym.address) - 1
        component = "runtime"
        if k >= 0 and spans[k][0] <= sym.address < spans[k][1]:
            component = component_of(spans[k][2].origin, spans[k][2].name)
        region = _region_at(target.memory, sym.address, sym.size)
        rows.append({"name": sym.name, "bytes": sym.size, "kind": sym.kind, "component": component,
                     "region": region.name if region else "?"})
    rows.sort(key=lambda r: (-r["bytes"], r["name"]))
    return rows[:count]


def check_budget(report: SizeReport, target: Target) -> None:
    """BudgetError naming every region that overflows, the numbers and the biggest consumers."""
    problems = []
    for r in report.regions:
        if r.used <= r.size:
            continue
        consumers = sorted(report.region_components.get(r.name, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        symbols = [s for s in report.top_symbols if s["region"] == r.name][:3]
        kind = "RAM" if r.holds_data else "flash"
        label = r.name if r.name.lower() == kind.lower() else f"{r.name} ({kind})"
        text = (f"{label} needs {r.used:,} bytes but the target has {r.size:,} "
                f"({r.used - r.size:,} over); biggest consumers: "
                + ", ".join(f"{name} {size:,}" for name, size in consumers))
        if symbols:
            text += "; largest symbols: " + ", ".join(f"{s['name']} {s['bytes']:,}" for s in symbols)
        problems.append((r, text))
    if not problems:
        return
    fixes = []
    test_data = {r.name: report.region_components.get(r.name, {}).get(TEST_DATA, 0) for r, _ in problems}
    if any(test_data.values()):
        fits = all(r.used - test_data[r.name] <= r.size for r, _ in problems)
        fixes.append(f"the test vectors take {sum(test_data.values()):,} bytes of it"
                     + (" and the image fits without them" if fits else "")
                     + ": fewer vectors (test_vectors=<n>), or test_vectors=0 (the model runs on one fixed input; "
                       "`test` reports time and stack only)")
    if target.family == "esp32":
        fixes.append("this ESP image is loaded into internal RAM by the ROM loader (code in iram, model, arena and "
                     "data in ram; running from flash-mapped memory is not supported yet): use a smaller model, "
                     f"or lower stack_size in {target.source or 'the target file'}")
    elif any(not r.holds_data for r, _ in problems):
        fixes.append("use a smaller model or a target with more flash")
    if target.family != "esp32" and any(r.holds_data for r, _ in problems):
        fixes.append(f"RAM holds the arena ({report.arena_bytes:,} in {report.arena_region}), stack "
                     f"({report.stack_bytes:,}) and heap ({report.heap_bytes:,}): lower stack_size/heap_size or move "
                     f"arena_region in {target.source or 'the target file'}, or use a smaller model")
    raise BudgetError(f"the image does not fit {target.name}: " + "; ".join(text for _, text in problems),
                      where=f"target={target.name}", fix="; ".join(fixes))
