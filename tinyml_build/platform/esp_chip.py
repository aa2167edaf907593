"""The real-chip platform layer for ESP32, ESP32-S3 and ESP32-C3: its C sources, its linker
script (templates/esp_chip.ld.j2) and the per-chip facts the image checks rely on.

Why a layer of its own: these chips boot without ESP-IDF. The ROM loader copies the segments of
an esptool image from flash into internal RAM and calls the entry (esp/esp_xtensa.c,
esp/esp_riscv.c); it maps no flash, so code goes to IRAM and everything else, the model
included, to DRAM. Where the loader may put segments, and which RAM the ROM itself uses while
it loads them, is data here (`CHIPS`), read from the primary sources cited next to each value.
None of it was checked on silicon: nothing here has booted a chip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.codegen.templating import render
from tinyml_build.config.targets import REGION_NAMES, MemoryRegion, Target
from tinyml_build.errors import TargetError

ENTRY_SYMBOL = "tml_esp_entry"
TEMPLATE = "esp_chip.ld.j2"
SOURCE_DIR = Path(__file__).resolve().parent / "esp"
SHARED_SOURCE_DIR = Path(__file__).resolve().parent / "src"  # tml_platform.h, tml_print.{c,h}
_RELAXED_LENGTH = 0x40000000  # sizing variant: 1 GB per region, as linker_script.py does
_IDF = "ESP-IDF components/"


@dataclass(frozen=True)
class AddressRange:
    start: int
    end: int  # first address past the range
    what: str  # what the memory is, with the source of the fact

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end

    def __str__(self) -> str:
        return f"0x{self.start:08X}-0x{self.end - 1:08X}"


@dataclass(frozen=True)
class EspChip:
    name: str  # the target cpu (config/cpus.yaml) and esptool --chip name
    isa: str  # xtensa | riscv
    flash_offset: int  # where the ROM loader reads the image from flash
    iram: AddressRange  # where the loader may place code segments
    dram: AddressRange  # where it may place data segments
    rom_used: tuple[AddressRange, ...]  # RAM the ROM uses while loading: no segment there
    i_d_offset: int | None  # I-bus address = D-bus address + offset (one SRAM seen twice); None: separate SRAMs
    rom_uart_tx_one_char: int  # ROM function the console prints through (esp/tml_esp_chip.h)
    memory: tuple[MemoryRegion, ...]  # the regions proposed for targets/<chip>.yaml
    sources: str  # where the numbers come from

    @property
    def esptool_chip(self) -> str:
        return self.name

    def data_alias(self, start: int, end: int) -> tuple[int, int]:
        """The D-bus addresses of an I-bus range (the same physical SRAM), or the range itself."""
        if self.i_d_offset is None:
            return start, end
        return start - self.i_d_offset, end - self.i_d_offset


def _region(name: str, origin: int, size: int, executable: bool) -> MemoryRegion:
    return MemoryRegion(name, origin, size, executable=executable, data=not executable)


CHIPS: dict[str, EspChip] = {
    "esp32": EspChip(
        name="esp32",
        isa="xtensa",
        # esptool targets/esp32.py BOOTLOADER_FLASH_OFFSET
        flash_offset=0x1000,
        # SRAM0 after the two 32 KB flash caches (esptool esp32.py MEMORY_MAP "IRAM"; ESP-IDF bootloader's
        # iram_seg starts at 0x40080400 only to keep its entry away from the app's vector addresses)
        iram=AddressRange(0x40080000, 0x400A0000, "IRAM, SRAM0 after the flash caches (esptool esp32.py)"),
        # esptool esp32.py MEMORY_MAP "DRAM" 0x3FFAE000-0x3FFFFFFF
        dram=AddressRange(0x3FFAE000, 0x40000000, "DRAM, SRAM2 + SRAM1 (esptool esp32.py)"),
        rom_used=(
            # heap/port/esp32/memory_layout.c: pool 16 "used for rom code", reserved rom_data 0x3FFAE000-0x3FFAE6E0
            AddressRange(0x3FFAE000, 0x3FFB0000, "ROM data (ESP-IDF heap/port/esp32/memory_layout.c)"),
            # memory_layout.c: ROM PRO/APP data 0x3FFE0000-0x3FFE0440, 0x3FFE3F20-0x3FFE4350 and "the ROM stack
            # is located in the 0x3ffe0000 area"; bootloader.memory.ld.in puts the bootloader's own data at
            # 0x3FFF0000, "after ROM bootloader stack": the whole 64 KB below it is treated as the ROM's.
            AddressRange(0x3FFE0000, 0x3FFF0000,
                         "ROM data and the ROM loader's stack (ESP-IDF memory_layout.c, bootloader.memory.ld.in)"),
        ),
        i_d_offset=None,
        rom_uart_tx_one_char=0x40009200,  # esp_rom/esp32/ld/esp32.rom.ld
        memory=(
            _region("flash", 0x3F400000, 0x400000, False),  # DROM window: unused by the RAM-only image
            _region("ram", 0x3FFB0000, 0x30000, False),
            _region("iram", 0x40080000, 0x20000, True),
        ),
        sources=_IDF + "bootloader/subproject/main/ld/esp32/bootloader.memory.ld.in, heap/port/esp32/"
                       "memory_layout.c, esp_rom/esp32/ld/esp32.rom.ld; esptool targets/esp32.py",
    ),
    "esp32s3": EspChip(
        name="esp32s3",
        isa="xtensa",
        flash_offset=0x0,  # esptool targets/esp32s3.py BOOTLOADER_FLASH_OFFSET
        # SRAM1 on the I-bus (SRAM0 below 0x40378000 may be the instruction cache: esp_system/ld/esp32s3/
        # memory.ld.in starts IRAM after CONFIG_ESP32S3_INSTRUCTION_CACHE_SIZE; SRAM2 may be the data cache)
        iram=AddressRange(0x40378000, 0x403E0000, "SRAM1, I-bus (ESP-IDF esp32s3 memory.ld.in)"),
        dram=AddressRange(0x3FC88000, 0x3FCF0000, "SRAM1, D-bus (ESP-IDF esp32s3 memory.ld.in)"),
        rom_used=(
            # bootloader.memory.ld.in: from 0x3FCE9710 the PRO and APP CPU startup stacks, then ROM .bss/.data
            # up to 0x3FCF0000; 0x3FCD7E00-0x3FCE9704 are buffers "used in UART/USB/SPI download mode only" (the
            # ESP-IDF bootloader is loaded there), usable. 0x3FCE9700 is ESP-IDF's rounded limit.
            AddressRange(0x3FCE9700, 0x3FCF0000, "ROM startup stacks, .bss and .data (ESP-IDF esp32s3 "
                                                 "bootloader.memory.ld.in)"),
            AddressRange(0x403D9700, 0x403E0000, "the same memory seen on the I-bus"),
        ),
        i_d_offset=0x6F0000,  # bootloader.memory.ld.in iram_dram_offset
        rom_uart_tx_one_char=0x40000648,  # esp_rom/esp32s3/ld/esp32s3.rom.ld
        memory=(
            _region("flash", 0x3C000000, 0x800000, False),  # DROM window: unused by the RAM-only image
            _region("ram", 0x3FCA8000, 0x41700, False),  # SRAM1 D-bus above the code, up to the ROM's stacks
            _region("iram", 0x40378000, 0x20000, True),  # SRAM1 I-bus; physically D 0x3FC88000-0x3FCA7FFF
        ),
        sources=_IDF + "bootloader/subproject/main/ld/esp32s3/bootloader.memory.ld.in, esp_system/ld/esp32s3/"
                       "memory.ld.in, esp_rom/esp32s3/ld/esp32s3.rom.ld; esptool targets/esp32s3.py",
    ),
    "esp32c3": EspChip(
        name="esp32c3",
        isa="riscv",
        flash_offset=0x0,  # esptool targets/esp32c3.py BOOTLOADER_FLASH_OFFSET
        # SRAM1 on the I-bus; SRAM0 (0x4037C000, 16 KB) is the instruction cache (esp_system/ld/esp32c3/
        # memory.ld.in ICACHE_SIZE "fixed to 16KB")
        iram=AddressRange(0x40380000, 0x403E0000, "SRAM1, I-bus (ESP-IDF esp32c3 memory.ld.in)"),
        dram=AddressRange(0x3FC80000, 0x3FCE0000, "SRAM1, D-bus (ESP-IDF esp32c3 memory.ld.in)"),
        rom_used=(
            # bootloader.memory.ld.in: from 0x3FCDC710 the CPU startup stack, then ROM .bss/.data up to
            # 0x3FCE0000; 0x3FCCAE00-0x3FCDC710 are download-mode-only buffers (the bootloader loads there).
            AddressRange(0x3FCDC700, 0x3FCE0000, "ROM startup stack, .bss and .data (ESP-IDF esp32c3 "
                                                 "bootloader.memory.ld.in)"),
            AddressRange(0x403DC700, 0x403E0000, "the same memory seen on the I-bus"),
        ),
        i_d_offset=0x700000,  # bootloader.memory.ld.in iram_dram_offset
        rom_uart_tx_one_char=0x40000068,  # esp_rom/esp32c3/ld/esp32c3.rom.ld
        memory=(
            _region("flash", 0x3C000000, 0x400000, False),  # DROM window: unused by the RAM-only image
            _region("ram", 0x3FCA0000, 0x3C700, False),  # SRAM1 D-bus above the code, up to the ROM's stack
            _region("iram", 0x40380000, 0x20000, True),  # SRAM1 I-bus; physically D 0x3FC80000-0x3FC9FFFF
        ),
        sources=_IDF + "bootloader/subproject/main/ld/esp32c3/bootloader.memory.ld.in, esp_system/ld/esp32c3/"
                       "memory.ld.in, esp_rom/esp32c3/ld/esp32c3.rom.ld; esptool targets/esp32c3.py",
    ),
}


def chip_of(target_or_name: Target | str) -> EspChip:
    """The chip facts for a target (by its cpu) or a chip name."""
    name = target_or_name if isinstance(target_or_name, str) else target_or_name.cpu
    chip = CHIPS.get(name)
    if chip is None:
        where = None if isinstance(target_or_name, str) else (target_or_name.source or target_or_name.name)
        raise TargetError(f"no ESP chip platform for '{name}'", where=where,
                          fix=f"use one of the chips {', '.join(sorted(CHIPS))}")
    return chip


def chip_sources(target: Target) -> list[Path]:
    """The platform C files an ESP chip target compiles: the common start-up, its ISA's entry and
    trap code, the shared printf (tml_print.c) and stack mark (tml_stack.c)."""
    chip = chip_of(target)
    isa_file = "esp_xtensa.c" if chip.isa == "xtensa" else "esp_riscv.c"
    return [SOURCE_DIR / "esp_platform.c", SOURCE_DIR / isa_file, SHARED_SOURCE_DIR / "tml_print.c",
            SHARED_SOURCE_DIR / "tml_stack.c"]


def chip_include_dirs() -> list[Path]:
    """Include folders of the ESP platform sources (besides the generated tml_board.h's)."""
    return [SOURCE_DIR, SHARED_SOURCE_DIR]


@dataclass(frozen=True)
class _ScriptRegion:
    label: str
    attributes: str
    origin: int
    length: int
    comment: str


def _loadable(chip: EspChip, region: MemoryRegion) -> bool:
    """Whether the ROM loader could put a segment in the region at all (flash windows: no)."""
    return chip.iram.overlaps(region.origin, region.end) or chip.dram.overlaps(region.origin, region.end)


def _check_regions(target: Target, chip: EspChip, code: MemoryRegion, data: list[MemoryRegion]) -> None:
    where = target.source or target.name
    if not chip.iram.contains(code.origin, code.end):
        raise TargetError(f"memory.{code.name} (0x{code.origin:08X}-0x{code.end - 1:08X}) is not IRAM the "
                          f"{chip.name} ROM loader can load code into ({chip.iram})", where=where,
                          fix=f"place the code region inside {chip.iram}")
    for region in data:
        if not chip.dram.contains(region.origin, region.end):
            raise TargetError(f"memory.{region.name} (0x{region.origin:08X}-0x{region.end - 1:08X}) is not DRAM "
                              f"the {chip.name} ROM loader can load data into ({chip.dram})", where=where,
                              fix=f"place the data regions inside {chip.dram}")
    for region in [code, *data]:
        for used in chip.rom_used:
            if used.overlaps(region.origin, region.end):
                raise TargetError(f"memory.{region.name} overlaps {used} ({used.what}), which the ROM uses while "
                                  "it loads the image", where=where, fix=f"end the region below 0x{used.start:08X}")
    if chip.i_d_offset is not None:
        alias = chip.data_alias(code.origin, code.end)
        for region in data:
            if region.origin < alias[1] and alias[0] < region.end:
                raise TargetError(f"memory.{code.name} is the same SRAM as 0x{alias[0]:08X}-0x{alias[1] - 1:08X} "
                                  f"on the data bus, which overlaps memory.{region.name}", where=where,
                                  fix=f"start memory.{region.name} at 0x{alias[1]:08X} or shrink memory.{code.name}")


def render_chip_linker_script(target: Target, relaxed: bool = False) -> str:
    """The RAM-only linker script of an ESP chip image (deterministic: same target, same bytes).

    Code (.literal before .text on Xtensa: L32R loads only from lower addresses) goes to the
    executable region, everything else to data regions the ROM loader fills; the model must be
    in one of those, as no flash is mapped. `relaxed=True` enlarges every region (sizing variant,
    never flashed) and leaves out the region checks.
    """
    chip = chip_of(target)
    where = target.source or target.name
    code_regions = [r for r in target.memory if r.executable and _loadable(chip, r)]
    if len(code_regions) != 1:
        raise TargetError(f"an {chip.name} image needs exactly one executable RAM region for code, found "
                          f"{len(code_regions)}", where=where, fix="declare memory.iram with executable: true")
    code = code_regions[0]
    if "ram" not in target.region_names:
        raise TargetError("no memory.ram region", where=where, fix="declare memory.ram (DRAM, data: true)")
    for role, name in (("model_region", target.model_region), ("arena_region", target.arena_region)):
        region = target.region(name)
        if not region.data or not _loadable(chip, region):
            raise TargetError(f"{role} '{name}' is not RAM the ROM loader fills: the {chip.name} image is RAM-only "
                              "(no flash is mapped)", where=where, fix=f"set {role}: ram in the target file")
    used_names = {"ram", target.model_region, target.arena_region}
    data = [r for r in target.memory if r.name in used_names]
    if not relaxed:
        _check_regions(target, chip, code, data)
    regions = [
        _ScriptRegion(r.name.upper(), r.linker_attributes, r.origin, _RELAXED_LENGTH if relaxed else r.size,
                      REGION_NAMES.get(r.name, ""))
        for r in [code, *data]
    ]
    unused = [r.name for r in target.memory if r is not code and r.name not in used_names]
    return render(
        TEMPLATE,
        t=target,
        chip=chip,
        relaxed=relaxed,
        regions=regions,
        unused=unused,
        entry=ENTRY_SYMBOL,
        xtensa=chip.isa == "xtensa",
        code=code.name.upper(),
        ram="RAM",
        arena=target.arena_region.upper(),
        model_region=target.model_region.upper(),
        data_regions=[r.name.upper() for r in data],
        i_d_offset=chip.i_d_offset,
    )
