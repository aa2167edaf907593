"""The RISC-V emulator twin: the ESP32-C3's application, model and kernel objects linked with a small
start-up for qemu-system-riscv32's `virt` machine, so `test` runs them bit for bit.

Why a twin and not the chip: no QEMU in any registry here models the ESP32-C3 (Espressif's fork
does). The twin runs the same RV32IMC instructions the chip would, with semihosting for the
console and the exit status, and minstret as an exact instruction counter under -icount shift=0.
It says nothing about the chip's peripherals, caches or timing: the test output says so.
"""

from __future__ import annotations

from pathlib import Path

from tinyml_build.codegen.templating import render
from tinyml_build.config.targets import Target

SOURCE_DIR = Path(__file__).resolve().parent / "twin_riscv_virt"
SHARED_SOURCE_DIR = Path(__file__).resolve().parent / "src"  # console, printf
TEMPLATE = "twin_riscv_virt.ld.j2"
RAM_LENGTH = 0x01000000  # 16 MB of the machine's 128 MB: more than any ESP32-C3 image needs
RELAXED_LENGTH = 0x08000000


def twin_sources() -> list[Path]:
    return [SOURCE_DIR / "start.S", SOURCE_DIR / "platform_twin.c", SHARED_SOURCE_DIR / "console_semihosting.c",
            SHARED_SOURCE_DIR / "tml_print.c", SHARED_SOURCE_DIR / "tml_stack.c"]


def render_twin_linker_script(target: Target, relaxed: bool = False) -> str:
    return render(TEMPLATE, t=target, length=RELAXED_LENGTH if relaxed else RAM_LENGTH)


def qemu_arguments() -> list[str]:
    """The twin's own QEMU options; machine and cpu come from the target file's emulator entry (virt,
    rv32 without the a/f/d extensions, as the C3 has none), icount and the ELF from the runner. The
    console is semihosting on the chardev the runner reads."""
    return ["-bios", "none", "-semihosting-config", "enable=on,target=native,chardev=console", "-serial", "null"]
