"""The project's own platform layers: C sources plus what is generated per target.

Cortex-M: src/ (startup, fault reporting, consoles, timer, exit); the image is what QEMU runs.
ESP32 family: the chip layer (esp/, esp_chip.py) boots from the ROM loader; `test` links the same
application, model and kernel objects with an emulator twin's platform instead (twin_riscv.py on
qemu-system-riscv32 virt, twin_xtensa.py on qemu-system-xtensa sim), because no stock QEMU models
the chips. Per target the build generates `tml_board.h` (board_header.py) and the linker script.
"""

from dataclasses import dataclass
from pathlib import Path

from tinyml_build.config.targets import Target
from tinyml_build.errors import TargetError
from tinyml_build.runtimes import API_INCLUDE_DIR

SOURCE_DIR = Path(__file__).resolve().parent / "src"

IMAGE = "image"  # the platform of the flashable image
TWIN = "twin"  # the emulator twin's platform (ESP targets' `test`)

_COMMON = ("startup.c", "fault.c", "platform.c", "tml_print.c", "tml_stack.c", "sbrk.c")
_CONSOLES = {"semihosting": "console_semihosting.c", "uart": "console_uart_stm32.c"}


def is_esp(target: Target) -> bool:
    return target.family == "esp32"


def platform_sources(target: Target, variant: str = IMAGE, toolchain: str | None = None) -> list[Path]:
    """The platform C/assembly files the target compiles for `variant` (image or twin)."""
    if is_esp(target):
        if variant == TWIN:
            sources = _twin_module(target).twin_sources()
        else:
            from tinyml_build.platform import esp_chip

            sources = esp_chip.chip_sources(target)
        # every platform layer prints through the project's printf and measures its stack the same way
        shared = [SOURCE_DIR / name for name in ("tml_print.c", "tml_stack.c")]
        return sources + [s for s in shared if s not in sources] + runtime_support_sources(target, toolchain)
    if variant == TWIN:
        raise TargetError(f"target {target.name} runs its own image in QEMU; it has no emulator twin",
                          where=target.source or target.name)
    console = _CONSOLES.get(target.console.type)
    if console is None or target.isa != "arm":
        raise TargetError(f"no Cortex-M platform for console type '{target.console.type}' on cpu {target.cpu}",
                          where=target.source or target.name, fix="use an Arm Cortex-M target")
    return [SOURCE_DIR / name for name in _COMMON + (console,)]


def runtime_support_sources(target: Target, toolchain: str | None) -> list[Path]:
    """The project's helper library (memcpy, 64-bit division, float division...) for toolchains that
    bring none usable: Debian's clang for windowed Xtensa (its lx106 libgcc/libc are call0 ABI)."""
    if toolchain == "clang-xtensa":
        from tinyml_build.platform import twin_xtensa

        return twin_xtensa.runtime_support_sources()
    return []


def _twin_module(target: Target):
    if target.isa == "riscv":
        from tinyml_build.platform import twin_riscv

        return twin_riscv
    if target.isa == "xtensa":
        from tinyml_build.platform import twin_xtensa

        return twin_xtensa
    raise TargetError(f"no emulator twin for cpu {target.cpu}", where=target.source or target.name)


def render_platform_linker_script(target: Target, variant: str = IMAGE, relaxed: bool = False) -> str:
    """The linker script of `variant` for `target`."""
    if is_esp(target):
        if variant == TWIN:
            return _twin_module(target).render_twin_linker_script(target, relaxed=relaxed)
        from tinyml_build.platform import esp_chip

        return esp_chip.render_chip_linker_script(target, relaxed=relaxed)
    from tinyml_build.platform.linker_script import render_linker_script

    return render_linker_script(target, relaxed=relaxed)


def twin_counting(target: Target) -> tuple[str, str] | tuple[()] | None:
    """How `test` counts instructions on the target's twin: None when the firmware's own timer is
    exact (riscv minstret); else the instruction-count plugin does, skipping the instructions between
    the two symbols returned (the Xtensa twin's emulation handler), or () to skip nothing."""
    return getattr(_twin_module(target), "PLUGIN_SKIP_SYMBOLS", None)


def twin_qemu_arguments(target: Target) -> list[str]:
    """The QEMU machine options of the target's emulator twin."""
    return _twin_module(target).qemu_arguments()


@dataclass(frozen=True)
class TargetPlatform:
    """A target's platform layer and generated files in its _common/ folder (shared by every model).

    Separate from the firmware plan because runtime=tflm's arena probe may run on another target's
    QEMU machine (an emulated target with the same arch flags) and needs that target's platform,
    and because ESP targets link a second platform (the emulator twin) for `test`.
    """

    target: Target
    common_dir: Path
    variant: str = IMAGE
    toolchain: str | None = None  # the image's toolchain name (some need the runtime-support library)

    @property
    def board_header(self) -> Path:
        return self.common_dir / "include" / "tml_board.h"

    @property
    def _folder(self) -> Path:
        return self.common_dir if self.variant == IMAGE else self.common_dir / "twin"

    @property
    def linker_script(self) -> Path:
        return self._folder / "firmware.ld"

    @property
    def sizing_linker_script(self) -> Path:
        """Same layout with enlarged regions: links an image that is too big so it can be measured."""
        return self._folder / "firmware-sizing.ld"

    @property
    def sources(self) -> list[Path]:
        return platform_sources(self.target, self.variant, self.toolchain)

    @property
    def object_dir(self) -> Path:
        return self._folder / "platform"

    @property
    def defines(self) -> list[str]:
        return ["TML_TWIN=1"] if self.variant == TWIN else []

    @property
    def include_dirs(self) -> list[Path]:
        extra = []
        if is_esp(self.target) and self.variant == IMAGE:
            from tinyml_build.platform import esp_chip

            extra = esp_chip.chip_include_dirs()
        return [self.board_header.parent, SOURCE_DIR, API_INCLUDE_DIR] + extra
