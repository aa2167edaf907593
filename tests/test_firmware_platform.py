"""Generated platform files: the linker script from the memory map and tml_board.h."""

import re

import pytest

from tinyml_build.config.targets import list_targets, load_target
from tinyml_build.errors import TargetError
from tinyml_build.platform import platform_sources
from tinyml_build.platform.board_header import render_board_header
from tinyml_build.platform.linker_script import render_linker_script

ARM_TARGETS = [n for n in list_targets() if load_target(n).toolchain == "arm-none-eabi-gcc"]


def _memory(script: str) -> dict[str, tuple[str, int, int]]:
    rows = re.findall(r"^\s+(\w+)\s+\((\w+)\) : ORIGIN = 0x([0-9A-F]+), LENGTH = 0x([0-9A-F]+)", script, re.M)
    return {name: (attrs, int(origin, 16), int(length, 16)) for name, attrs, origin, length in rows}


def _placed_in(script: str, section: str) -> str:
    match = re.search(rf"^  {re.escape(section)}\b.*?\}} > (\w+)", script, re.M | re.S)
    assert match, f"{section} not in the script"
    return match.group(1)


@pytest.mark.parametrize("name", ARM_TARGETS)
def test_linker_script_follows_the_memory_map(name):
    target = load_target(name)
    script = render_linker_script(target)
    memory = _memory(script)
    assert memory == {r.name.upper(): (r.linker_attributes, r.origin, r.size) for r in target.memory}
    assert _placed_in(script, ".vectors") == "FLASH"
    assert _placed_in(script, ".tml_arena") == target.arena_region.upper()
    assert _placed_in(script, ".tml_model") == target.model_region.upper()
    assert _placed_in(script, ".stack") == "RAM"
    assert f"__tml_stack_size = 0x{target.stack_size:X};" in script
    assert render_linker_script(target) == script  # deterministic


def test_arena_and_model_regions_are_the_targets_choice():
    m55 = render_linker_script(load_target("qemu-m55"))
    assert _placed_in(m55, ".tml_arena") == "DTCM" and _placed_in(m55, ".tml_model") == "CODE_SRAM"
    assert "*(.tml_model .tml_model.*)" in m55
    h7 = render_linker_script(load_target("stm32h743"))
    assert _placed_in(h7, ".tml_arena") == "DTCM" and _placed_in(h7, ".data") == "RAM"


def test_sizing_variant_only_enlarges_regions():
    target = load_target("stm32f103")
    normal, sizing = render_linker_script(target), render_linker_script(target, relaxed=True)
    assert all(length == 0x40000000 for _, _, length in _memory(sizing).values())
    strip = lambda text: re.sub(r"LENGTH = 0x[0-9A-F]+", "", text.split("*/", 1)[1])  # noqa: E731
    assert strip(normal) == strip(sizing)


def test_board_header_for_a_uart_target():
    header = render_board_header(load_target("stm32f407"))
    assert '#define TML_TARGET_NAME "stm32f407"' in header
    assert "#define TML_UART_STM32F4 1" in header
    assert "#define TML_UART_BASE 0x40011000u" in header
    assert "#define TML_UART_BRR 139u" in header  # 16 MHz / 115200, rounded
    assert "#define TML_UART_TX_PIN 6u" in header and "#define TML_UART_TX_AF 7u" in header
    assert "#define TML_TIMER_USE_DWT 1" in header and "#define TML_HAS_FPU 1" in header


@pytest.mark.parametrize("name, layout", [("stm32f103", "TML_UART_STM32F1"), ("stm32h743", "TML_UART_STM32_ISR"),
                                          ("stm32u585", "TML_UART_STM32_ISR")])
def test_each_stm32_uart_layout(name, layout):
    assert f"#define {layout} 1" in render_board_header(load_target(name))


def test_board_header_for_a_qemu_target():
    header = render_board_header(load_target("qemu-m3"))
    assert "#define TML_CONSOLE_SEMIHOSTING 1" in header and "#define TML_HAS_FPU 0" in header
    assert "#define TML_CLOCK_HZ 25000000u" in header and "TML_UART" not in header


def test_console_driver_selects_the_sources():
    names = lambda t: [p.name for p in platform_sources(load_target(t))]  # noqa: E731
    assert "console_semihosting.c" in names("qemu-m4") and "console_uart_stm32.c" not in names("qemu-m4")
    assert "console_uart_stm32.c" in names("stm32f407") and "console_semihosting.c" not in names("stm32f407")
    assert all(p.is_file() for p in platform_sources(load_target("stm32f407")))


def test_esp_targets_get_their_chip_layer_and_an_emulator_twin():
    """The image's platform boots the chip; the twin's runs the same objects in QEMU; the Xtensa
    ones add the project's runtime-support library (clang has no usable libgcc for windowed code)."""
    esp32 = load_target("esp32")
    image = [p.name for p in platform_sources(esp32, "image", "clang-xtensa")]
    twin = [p.name for p in platform_sources(esp32, "twin", "clang-xtensa")]
    assert "esp_xtensa.c" in image and "twin_vectors.c" in twin and "tml_print.c" in image and "tml_print.c" in twin
    assert "mem.c" in image and "mem.c" in twin  # xtensa_rt
    c3 = [p.name for p in platform_sources(load_target("esp32c3"), "twin", "riscv64-unknown-elf-gcc")]
    assert "start.S" in c3 and "mem.c" not in c3  # picolibc provides the helpers
    with pytest.raises(TargetError):
        platform_sources(load_target("qemu-m4"), "twin")  # a Cortex-M target runs its own image
