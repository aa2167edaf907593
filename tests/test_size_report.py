"""Size report and budget gate: map parsing, component attribution, totals vs binutils, overflow."""

import dataclasses
import shutil
import subprocess

import pytest
from firmware_testlib import FixtureBuilder, add_one_golden

from tinyml_build.config.targets import MemoryRegion, load_target
from tinyml_build.image.elf import ElfError, parse_elf, read_elf
from tinyml_build.image.linker_map import parse_map, read_map
from tinyml_build.reports.size import BudgetError, check_budget, component_of, measure

needs_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")

# As GNU ld writes it (its *fill* lines end in a space: \x20).
MAP = """\
Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x08000000         0x00100000         xr

Linker script and memory map

LOAD build/x/_common/platform/startup.o
.vectors        0x08000000       0x40
 *(.vectors)
 .vectors       0x08000000       0x40 build/x/_common/platform/startup.o
                0x08000000                tml_vector_table

.text           0x08000040      0x120
 *(.text .text.*)
 .text.a_really_long_function_name_that_wraps
                0x08000040       0x80 build/x/_common/kernels/conv2d.o
                0x08000040                a_really_long_function_name_that_wraps
 *fill*         0x080000c0        0x4\x20
 .text          0x080000c4       0x9c /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/libgcc.a(_udivmoddi4.o)

.data           0x20000000        0x8 load address 0x08000160
 .data.x        0x20000000        0x8 build/x/kws/obj/kws_model.o
.debug_info     0x00000000       0x40
 .debug_info    0x00000000       0x40 build/x/_common/platform/startup.o
"""


def test_parse_map_reads_input_sections():
    sections = parse_map(MAP)
    assert [(s.output, s.name, s.address, s.size) for s in sections] == [
        (".vectors", ".vectors", 0x08000000, 0x40),
        (".text", ".text.a_really_long_function_name_that_wraps", 0x08000040, 0x80),
        (".text", "*fill*", 0x080000C0, 4),
        (".text", ".text", 0x080000C4, 0x9C),
        (".data", ".data.x", 0x20000000, 8),
        (".debug_info", ".debug_info", 0, 0x40),
    ]
    assert sections[1].origin == "build/x/_common/kernels/conv2d.o"
    assert sections[2].origin == ""
    assert sections[3].origin.endswith("libgcc.a(_udivmoddi4.o)")


def test_parse_map_rejects_other_files():
    with pytest.raises(ValueError):
        parse_map("not a map\n")


def test_parse_elf_rejects_other_files():
    with pytest.raises(ElfError):
        parse_elf(b"\x7fELF" + bytes(60))
    with pytest.raises(ElfError):
        parse_elf(b"hello")


@pytest.mark.parametrize("origin, section, component", [
    ("build/t/kws/obj/kws_model.o", ".rodata.tml_c3", "model data"),
    ("build/t/kws/obj/kws_model.o", ".text.tml_invoke", "runtime"),
    ("build/t/kws/obj/kws_model.o", ".bss.tml_arena", "arena"),
    ("build/t/kws/obj/kws_model_data.o", ".rodata.kws_model_data", "model data"),
    ("build/t/kws/obj/kws_test_vectors.o", ".rodata.tv0_in0", "test data"),
    ("build/t/kws/obj/tml_test_models.o", ".rodata.tml_test_models", "test data"),
    ("build/t/_common/kernels/conv2d.o", ".text.tml_conv2d_s8", "kernels"),
    ("build/t/_common/platform/startup.o", ".text.Reset_Handler", "platform"),
    ("build/t/_common/app/main.o", ".text.startup.main", "application"),
    ("/usr/lib/arm-none-eabi/lib/thumb/v7e-m/libc_nano.a(lib_a-memcpy.o)", ".text", "C library"),
    ("/usr/lib/gcc/arm-none-eabi/12.2.1/libgcc.a(_udivmoddi4.o)", ".text", "C library"),
    ("", "*fill*", "linker"),
])
def test_components(origin, section, component):
    assert component_of(origin, section) == component


@pytest.fixture(scope="module")
def fixture_image(tmp_path_factory):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")
    elf = FixtureBuilder(tmp_path_factory.mktemp("size")).image("stm32f407", "size", add_one_golden())
    return elf, elf.with_name("firmware.map")


@needs_gcc
def test_totals_agree_with_binutils_size(fixture_image):
    elf, linker_map = fixture_image
    report = measure(load_target("stm32f407"), read_elf(elf), read_map(linker_map))
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sections = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit() and not parts[0].startswith(".debug"):
            sections[parts[0]] = (int(parts[1]), int(parts[2]))
    in_flash = sum(size for size, addr in sections.values() if 0x08000000 <= addr < 0x08100000)
    in_ram = sum(size for size, addr in sections.values() if 0x20000000 <= addr < 0x20020000)
    assert report.flash_total == in_flash + sections[".data"][0]  # .data's initial values are stored in flash
    assert report.ram_total == in_ram
    flash = next(r for r in report.regions if r.name == "flash")
    assert flash.used == report.flash_total
    assert report.stack_bytes == 8192 and report.heap_bytes == 8192 and report.arena_bytes == 0  # fixture: own arena
    for component in ("platform", "application", "test data", "C library"):
        assert report.flash_by_component[component] > 0, component
    names = [s["name"] for s in report.top_symbols]
    assert "main" in names and "tml_vprintf" in names  # the console formatter (tml_printf forwards to it)
    assert report.top_symbols == sorted(report.top_symbols, key=lambda s: (-s["bytes"], s["name"]))
    text_report = report.to_text()
    assert "Flash (image bytes)" in text_report and "stack 8,192" in text_report
    check_budget(report, load_target("stm32f407"))  # fits


@needs_gcc
def test_budget_gate_names_numbers_and_consumers(fixture_image):
    elf, linker_map = fixture_image
    real = load_target("stm32f407")
    small = dataclasses.replace(real, memory=tuple(
        dataclasses.replace(r, size=4096) if r.name == "flash" else r for r in real.memory))
    report = measure(small, read_elf(elf), read_map(linker_map))
    with pytest.raises(BudgetError) as err:
        check_budget(report, small)
    message = str(err.value)
    flash = next(r for r in report.regions if r.name == "flash")
    assert f"flash needs {flash.used:,} bytes but the target has 4,096 ({flash.used - 4096:,} over)" in message
    assert "biggest consumers: application" in message or "biggest consumers: platform" in message
    assert "largest symbols: main" in message
    assert "fix:" in message
    assert "the test vectors take" in message and "fits without them" not in message  # too small even without


@needs_gcc
def test_budget_gate_says_when_only_the_test_vectors_do_not_fit(fixture_image):
    elf, linker_map = fixture_image
    real = load_target("stm32f407")
    report = measure(real, read_elf(elf), read_map(linker_map))
    flash = next(r for r in report.regions if r.name == "flash")
    test_data = report.region_components["flash"]["test data"]
    small = dataclasses.replace(real, memory=tuple(
        dataclasses.replace(r, size=flash.used - test_data // 2) if r.name == "flash" else r for r in real.memory))
    with pytest.raises(BudgetError) as err:
        check_budget(measure(small, read_elf(elf), read_map(linker_map)), small)
    assert (f"the test vectors take {test_data:,} bytes of it and the image fits without them: fewer vectors "
            "(test_vectors=<n>), or test_vectors=0") in err.value.fix


def test_regions_past_their_end_still_count():
    """The sizing link puts overflowing sections past a region's end; they count for that region."""
    from tinyml_build.reports.size import _region_at

    regions = (MemoryRegion("flash", 0x08000000, 0x1000, True, False),
               MemoryRegion("ram", 0x20000000, 0x1000, True, True))
    assert _region_at(regions, 0x08001800).name == "flash"
    assert _region_at(regions, 0x20002000).name == "ram"
    assert _region_at(regions, 0x100) is None
