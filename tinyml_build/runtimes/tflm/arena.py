"""The tensor arena of a runtime=tflm image: measured on the target's code, not guessed.

Why: TFLM needs one arena for tensors, its own structs and the kernels' scratch; how much depends
on the model, the kernel set (CMSIS-NN asks for scratch buffers the reference kernels do not)
and the CPU (pointer size, DSP/MVE buffer rules). A guessed size wastes RAM or fails at start-up.

`arena=auto` (default): the build links an arena probe -- the same TFLM, kernel and wrapper
objects as the final image with one large arena (probe_capacity) and tml_arena_probe.c as the
application -- and runs it in QEMU (the target's own machine, or for a board without an emulator
the emulated target with identical arch flags: same code, same allocations). The probe reports
TFLM's arena_used_bytes() and the smallest 16-byte multiple in which the model still sets up;
the final image reserves that plus `arena_headroom`.

`arena_headroom=` takes bytes (`arena_headroom=1024`) or a percentage of the measured size
(`arena_headroom=5%`); default 0. Why 0: the measurement is exact for this image -- the final
image runs the very objects the probe ran, the arena is 16-byte aligned and a multiple of 16 in
both, so TFLM lays it out identically; the tests build every model with headroom 0 and run it.
Headroom is for an arena the application will share with something else.

`arena=<bytes>` reserves that many bytes (rounded up to 16) for each model; the probe still runs,
and a size below the measured need is a build-time error that names the need.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from tinyml_build.config.options import DEFAULT_HEADROOM
from tinyml_build.config.targets import Target
from tinyml_build.errors import TinyMLError
from tinyml_build.escape import json_text

ALIGNMENT = 16
# Bytes of the arena region the probe leaves for everything else there when it shares the region
# with .data/.bss (TFLM's static storage, the platform, newlib): generous, the probe is not shipped.
PROBE_MARGIN = 16 * 1024


def round_up(value: int, step: int = ALIGNMENT) -> int:
    return (value + step - 1) // step * step


@dataclass(frozen=True)
class ArenaOption:
    """arena= and arena_headroom= as given."""

    fixed: int | None  # arena=<bytes>; None for arena=auto
    headroom_bytes: int = 0
    headroom_percent: float = 0.0

    def headroom_for(self, needed: int) -> int:
        """Headroom bytes on top of `needed`."""
        return self.headroom_bytes + int(-(-needed * self.headroom_percent // 100))

    def describe_headroom(self) -> str:
        return f"{self.headroom_percent:g}%" if self.headroom_percent else f"{self.headroom_bytes}"


def parse_option(arena: str = "auto", headroom: str = DEFAULT_HEADROOM) -> ArenaOption:
    """ArenaOption from the option strings; TinyMLError naming the bad one."""
    arena = (arena or "auto").strip().lower()
    fixed = None
    if arena != "auto":
        fixed = _bytes(arena, "arena", "arena=auto (measure it) or arena=<bytes>, e.g. arena=20000 or arena=24k")
        if fixed <= 0:
            raise TinyMLError(f"arena={arena} must be positive", where="arena=", fix="e.g. arena=auto or arena=20000")
    text = (headroom or DEFAULT_HEADROOM).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text)
    if match:
        percent = float(match.group(1))
        if percent > 1000:
            raise TinyMLError(f"arena_headroom={headroom} is more than 1000 %", where="arena_headroom=",
                              fix="e.g. arena_headroom=5% or arena_headroom=1024")
        return ArenaOption(fixed, 0, percent)
    return ArenaOption(fixed, _bytes(text, "arena_headroom", "e.g. arena_headroom=5% or arena_headroom=1024"), 0.0)


def _bytes(text: str, option: str, fix: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([km]?)b?", text)
    if not match:
        raise TinyMLError(f"{option}={text} is not a byte count", where=f"{option}=", fix=fix)
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]


def probe_capacity(target: Target) -> int:
    """Arena bytes the probe image reserves: the arena region, minus stack, heap and a margin when
    they share it."""
    region = target.arena
    size = region.size
    if region.name == target.ram.name:
        size -= target.stack_size + target.heap_size + PROBE_MARGIN
    if size < ALIGNMENT:
        raise TinyMLError(f"target {target.name} has no room for an arena in {region.name}",
                          where=target.source or target.name, fix="lower stack_size/heap_size or change arena_region")
    return size // ALIGNMENT * ALIGNMENT


@dataclass(frozen=True)
class ProbeResult:
    model: str
    used: int  # TFLM's arena_used_bytes() in the large probe arena
    needed: int  # smallest 16-byte multiple in which the model sets up
    capacity: int


def parse_probe_output(text: str, models: list[str], where: str) -> dict[str, ProbeResult]:
    """{model: ProbeResult} from the probe's console output; TinyMLError if a model failed or is missing."""
    found: dict[str, ProbeResult] = {}
    failed: list[tuple[str, int, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("TML-ARENA "):
            continue
        fields = dict(item.partition("=")[::2] for item in line.split()[1:])
        name = fields.get("model", "")
        try:
            capacity = int(fields.get("capacity", "0"))
            if fields.get("status") == "OK":
                found[name] = ProbeResult(name, int(fields["used"]), int(fields["needed"]), capacity)
            else:
                failed.append((name, capacity, fields.get("reason", "setup")))
        except (KeyError, ValueError):
            raise TinyMLError(f"unreadable arena probe line: {line}", where=where) from None
    if failed:
        name, capacity, reason = failed[0]
        if reason == "invoke_fails_at_needed":  # the host probe's inference (TML_ARENA_PROBE_INVOKE)
            raise TinyMLError(f"model {name} sets up in the arena the probe found but its inference fails there",
                              where=where, fix="report this with the log; meanwhile pass arena=<bytes>")
        if reason != "setup":
            raise TinyMLError(f"the arena probe could not measure model {name}: {reason.replace('_', ' ')}",
                              where=where,
                              fix="report this with the log: TFLM's allocator behaves unlike the probe's checked copy")
        raise TinyMLError(f"model {name} does not set up even in a {capacity:,}-byte arena (all the probe could "
                          f"reserve in the arena region): it needs more, or a kernel's Prepare refused one of its "
                          f"ops; build with tflm_log=on to see TFLM's reason in {where}",
                          where=where, fix="if TFLM's reason is an op that failed to prepare: kernels=reference "
                                           "or runtime=aot; if it is the arena: a target with more RAM in its "
                                           "arena_region, a smaller model, or runtime=aot (its arena holds "
                                           "activations only)")
    missing = [m for m in models if m not in found]
    if missing:
        raise TinyMLError(f"the arena probe reported nothing for {', '.join(missing)}", where=where,
                          fix="see the probe's console output in that file")
    return {m: found[m] for m in models}


@dataclass(frozen=True)
class ArenaDecision:
    """What the final image reserves for one model, and why."""

    model: str
    used: int  # TFLM's arena_used_bytes()
    needed: int  # smallest arena that sets up (probe)
    reserved: int  # bytes in the final image
    headroom: int  # reserved - used: what the firmware's TML-MODEL line and the size report call headroom
    margin: int  # reserved - needed: what arena_headroom= (or a larger arena=) added above the need
    source: str  # 'auto' or 'arena=<bytes>'
    measured_on: str  # the QEMU target that ran the probe

    def comment(self) -> str:
        return (f"{self.source}: needs {self.needed} "
                f"(TFLM arena_used_bytes {self.used}, probed on {self.measured_on}), "
                f"headroom {self.headroom} (reserved - used), {self.margin} above the need")


def decide(option: ArenaOption, probes: dict[str, ProbeResult], measured_on: str) -> dict[str, ArenaDecision]:
    """The reserved arena per model; TinyMLError when arena=<bytes> is below a model's need."""
    decisions = {}
    for name, p in sorted(probes.items()):
        if option.fixed is not None:
            reserved = round_up(option.fixed)
            if reserved < p.needed:
                raise TinyMLError(f"arena={option.fixed} is too small for model {name}: it needs {p.needed:,} bytes "
                                  f"(measured on {measured_on} with this kernel set)", where="arena=",
                                  fix=f"use arena={p.needed} or more, or arena=auto")
            source = f"arena={option.fixed}"
        else:
            reserved = round_up(p.needed + option.headroom_for(p.needed))
            source = f"auto (arena_headroom={option.describe_headroom()})"
        decisions[name] = ArenaDecision(name, p.used, p.needed, reserved, reserved - p.used, reserved - p.needed,
                                        source, measured_on)
    return decisions


def to_json(decisions: dict[str, ArenaDecision]) -> str:
    return json_text({name: asdict(d) for name, d in sorted(decisions.items())}, indent=1) + "\n"


def from_json(text: str) -> dict[str, ArenaDecision]:
    return {name: ArenaDecision(**fields) for name, fields in json.loads(text).items()}


def report_lines(decisions: dict[str, ArenaDecision]) -> list[str]:
    """'arena <model>: <used> used / <reserved> reserved, headroom <reserved - used>' for the build output
    (the same words and numbers as the firmware's report), then what the reservation is based on."""
    return [f"arena {d.model}: {d.used:,} used / {d.reserved:,} reserved, headroom {d.headroom:,} "
            f"(sets up in {d.needed:,}; {d.margin:,} above that from {d.source}; probed on {d.measured_on})"
            for d in decisions.values()]
