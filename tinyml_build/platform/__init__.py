"""The project's own Cortex-M platform layer: C sources plus what is generated per target.

C sources live in src/ (startup, fault reporting, consoles, timer, exit). Per target the
build generates `tml_board.h` (board_header.py) and the linker script (linker_script.py);
`platform_sources()` says which C files a target compiles.
"""

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import TargetError
from tinyml_build.runtimes import API_INCLUDE_DIR

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


@dataclass(frozen=True)
class TargetPlatform:
    """A target's platform layer and generated files in its _common/ folder (shared by every model).

    Separate from the firmware plan because runtime=tflm's arena probe may run on another target's
    QEMU machine (an emulated target with the same arch flags) and needs that target's platform.
    """

    target: Target
    common_dir: Path

    @property
    def board_header(self) -> Path:
        return self.common_dir / "include" / "tml_board.h"

    @property
    def linker_script(self) -> Path:
        return self.common_dir / "firmware.ld"

    @property
    def sizing_linker_script(self) -> Path:
        """Same layout with enlarged regions: links an image that is too big so it can be measured."""
        return self.common_dir / "firmware-sizing.ld"

    @property
    def sources(self) -> list[Path]:
        return platform_sources(self.target)

    @property
    def object_dir(self) -> Path:
        return self.common_dir / "platform"

    @property
    def include_dirs(self) -> list[Path]:
        return [self.board_header.parent, SOURCE_DIR, API_INCLUDE_DIR]
