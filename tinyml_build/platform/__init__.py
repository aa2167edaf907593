"""The project's own Cortex-M platform layer: C sources plus what is generated per target.

C sources live in src/ (startup, fault reporting, consoles, timer, exit). Per target the
build generates `tml_board.h` (board_header.py) and the linker script (linker_script.py);
`platform_sources()` says which C files a target compiles.
"""

from pathlib import Path

from tinyml_build.errors import TargetError
from tinyml_build.config.targets import Target

SOURCE_DIR = Path(__file__).resolve().parent / "src"

_COMMON = ("startup.c", "fault.c", "platform.c", "tml_print.c", "sbrk.c")
_CONSOLES = {"semihosting": "console_semihosting.c", "uart": "console_uart_stm32.c"}


def platform_sources(target: Target) -> list[Path]:
    """The platform C files the target compiles (the console driver depends on the target)."""
    console = _CONSOLES.get(target.console.type)
    if console is None or target.isa != "arm":
        raise TargetError(f"no Cortex-M platform for console type '{target.console.type}' on cpu {target.cpu}",
                          where=target.source or target.name, fix="use an Arm Cortex-M target")
    return [SOURCE_DIR / name for name in _COMMON + (console,)]
