"""The Xtensa emulator twin: ESP32/ESP32-S3 objects run on stock QEMU (`-M sim -cpu de233_fpu`).

Why a twin: stock QEMU models no ESP32, but its de233_fpu core runs the same windowed-ABI code
(FPU, loops, MAC16, DIV32...) except `muluh`/`mulsh`, which the twin's exception handler emulates.
So the objects compiled for the chip are linked a second time with this layer (start-up, vectors,
SIMCALL console and exit, CCOUNT timer) and a linker script that keeps the chip's addresses for
code, data and model (`-m 2G` puts RAM there); only the reset vector is the sim machine's.
Both chip and twin link xtensa_rt, the project's own helpers for the calls LLVM emits.

Instruction counts: under `-icount shift=0` CCOUNT ticks once per 25 instructions (40 MHz model
clock); exact counts come from an instruction-counting TCG plugin that skips the emulation
handler between the symbols EMULATION_START_SYMBOL and EMULATION_END_SYMBOL.
"""

from __future__ import annotations

from pathlib import Path

from tinyml_build.codegen.templating import render
from tinyml_build.config.targets import REGION_NAMES, Target
from tinyml_build.errors import TargetError
from tinyml_build.platform.linker_script import LinkerRegion, region_label

PLATFORM_DIR = Path(__file__).resolve().parent
TWIN_SOURCE_DIR = PLATFORM_DIR / "twin_xtensa_sim"
RT_SOURCE_DIR = PLATFORM_DIR / "xtensa_rt"
RT_INCLUDE_DIR = RT_SOURCE_DIR / "include"  # freestanding string.h / inttypes.h (xtensa_cc adds it)
TEMPLATE = "twin_xtensa_sim.ld.j2"

QEMU = "qemu-system-xtensa"
# Console: SIMCALL write to fd 1 is QEMU's stdout; -semihosting also makes SIMCALL exit QEMU's status.
QEMU_ARGS = ("-M", "sim", "-cpu", "de233_fpu", "-m", "2G", "-nographic", "-monitor", "none", "-serial", "none",
             "-semihosting", "-icount", "shift=0")
EMULATION_START_SYMBOL = "tml_twin_emulation_start"
EMULATION_END_SYMBOL = "tml_twin_emulation_end"
PROFILE_SYMBOLS = ("tml_profile_begin", "tml_profile_end")
TWIN_CCOUNT_HZ = 40_000_000  # de233_fpu's model clock (QEMU core config)
INSTRUCTIONS_PER_CCOUNT = 25  # 1e9 instructions/s under -icount shift=0, over TWIN_CCOUNT_HZ

RESET_VECTOR = 0xFE000000  # de233_fpu's XCHAL_RESET_VECTOR0_VADDR
_RESET_LENGTH = 0x100
_RELAXED_LENGTH = 0x40000000
# Executable RAM when the target file lists none: ESP32-S3 SRAM1 through the I-bus (TRM, "System and
# Memory"; the same 416 KB as its `ram` region through the D-bus -- separate RAM in the twin).
_CODE_FALLBACK = {"esp32s3": (0x40378000, 0x68000, "SRAM1 via I-bus (ESP32-S3 TRM)")}


_label = region_label
TwinRegion = LinkerRegion  # one MEMORY line, as the Cortex-M script has them


def _code_region(target: Target, relaxed: bool) -> TwinRegion:
    for region in target.memory:
        if region.executable:
            return TwinRegion(_label(region.name), "rx", region.origin,
                              _RELAXED_LENGTH if relaxed else region.size, REGION_NAMES.get(region.name, ""))
    if target.cpu in _CODE_FALLBACK:
        origin, size, comment = _CODE_FALLBACK[target.cpu]
        return TwinRegion("IRAM", "rx", origin, _RELAXED_LENGTH if relaxed else size, comment)
    raise TargetError(f"target {target.name} has no executable memory region for the twin's code",
                      where=target.source or target.name, fix="add an `iram` region with executable: true")


def render_twin_linker_script(target: Target, relaxed: bool = False) -> str:
    """The twin's linker script for an ESP32-family target (deterministic: same target, same bytes)."""
    if target.cpu not in ("esp32", "esp32s3"):
        raise TargetError(f"target {target.name} (cpu {target.cpu}) has no Xtensa twin",
                          where=target.source or target.name, fix="use an ESP32 or ESP32-S3 target")
    arena = target.region(target.arena_region)
    if not arena.data:
        raise TargetError(f"arena_region '{target.arena_region}' cannot hold data", where=target.source or target.name)
    code = _code_region(target, relaxed)
    regions = [TwinRegion("RESET", "rx", RESET_VECTOR, _RESET_LENGTH, "QEMU sim reset vector (twin only)"), code]
    regions += [TwinRegion(_label(r.name), r.linker_attributes, r.origin, _RELAXED_LENGTH if relaxed else r.size,
                           REGION_NAMES.get(r.name, ""))
                for r in target.memory if _label(r.name) != code.label]
    return render(TEMPLATE, t=target, relaxed=relaxed, regions=regions, reset="RESET", code=code.label,
                  rodata=_label("flash"), ram=_label("ram"), arena=_label(target.arena_region),
                  model_region=_label(target.model_region))


def twin_sources() -> list[Path]:
    """The twin platform's C files (start-up and vectors, console/timer/exit); compile with -DTML_TWIN=1."""
    return sorted(TWIN_SOURCE_DIR.glob("*.c"))


def runtime_support_sources() -> list[Path]:
    """xtensa_rt's C files: every helper LLVM calls in the firmware (chip image and twin)."""
    return sorted(RT_SOURCE_DIR.glob("*.c"))


# test: the instruction-count plugin counts, skipping the muluh/mulsh emulation handler (platform.twin_counting).
PLUGIN_SKIP_SYMBOLS = (EMULATION_START_SYMBOL, EMULATION_END_SYMBOL)


def qemu_arguments() -> list[str]:
    """The twin's own QEMU options after the target file's machine and cpu (sim, de233_fpu): RAM at
    the chip's addresses, SIMCALL semihosting (console on QEMU's stdout, exit status)."""
    return ["-m", "2G", "-serial", "none", "-semihosting"]


def qemu_command(elf: Path | str, qemu: str = QEMU, plugin_args: tuple[str, ...] = ()) -> list[str]:
    """The QEMU command running a twin ELF; its stdout is the console, its exit status the firmware's."""
    return [qemu, *QEMU_ARGS, *plugin_args, "-kernel", str(elf)]
