"""Building small ESP chip images for the tests: the platform layer, a trivial application and tiny
runtime helpers, linked with the rendered RAM-only linker script.

Why here: the project's own ESP toolchain layer is another module; these tests only need to know
that the platform sources compile with the chips' compilers and link into an image the ROM loader
accepts. Xtensa: clang-22 -S, then llvm-mc-22 (LLVM 22 cannot emit Xtensa objects directly), then
xtensa-lx106-elf-ld. ESP32-C3: riscv64-unknown-elf-gcc.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from tinyml_build.config.targets import load_target
from tinyml_build.platform.esp_chip import CHIPS, chip_include_dirs, chip_sources, render_chip_linker_script

ESP32_FEATURES = ("density fp loop mac16 windowed bool sext nsa mul16 mul32 mul32high dfpaccel s32c1i threadptr "
                  "div32 debug exception highpriinterrupts highpriinterrupts-level7 coprocessor interrupt dcache "
                  "rvector timers3 prid regprotect miscsr minmax clamps").split()
XTENSA_TOOLS = ("clang-22", "llvm-mc-22", "xtensa-lx106-elf-ld")
RISCV_TOOLS = ("riscv64-unknown-elf-gcc",)

# What tml_board.h defines for the chips (the lead's board header generator writes the real one).
_BOARD = {
    "esp32": ("ESP32", 240000000, 1, "CCOUNT"),
    "esp32s3": ("ESP32S3", 240000000, 1, "CCOUNT"),
    "esp32c3": ("ESP32C3", 160000000, 0, "MPCCR"),
}

APP_C = r"""
#include "tml_platform.h"
#include "tml_print.h"
void tml_profile_begin(void); /* declared by tml_platform.h once the lead adds the hooks */
void tml_profile_end(void);
__attribute__((section(".bss.tml_arena"), aligned(16))) unsigned char tml_arena[4096];
__attribute__((section(".tml_model"))) const unsigned char demo_model[64] = {1, 2, 3};
volatile unsigned counter = 7;
int main(void) {
  tml_platform_init();
  unsigned long long t0 = tml_timer_read();
  tml_profile_begin();
  tml_arena[1] = demo_model[2];
  tml_profile_end();
  unsigned long long cycles = tml_timer_to_report_units(tml_timer_read() - t0);
  tml_printf("TML-RESULT status=PASS models=%u cycles=%llu\n", (unsigned)counter, cycles);
  return 0;
}
"""

# Just what the platform and the printf need; another module provides the real runtime library.
HELPERS_C = r"""
#include <stddef.h>
#include <stdint.h>
void *memset(void *d, int c, size_t n) { uint8_t *p = d; while (n--) *p++ = (uint8_t)c; return d; }
void *memcpy(void *d, const void *s, size_t n) {
  uint8_t *p = d; const uint8_t *q = s; while (n--) *p++ = *q++; return d;
}
static uint64_t udivmod(uint64_t n, uint64_t d, uint64_t *r) {
  uint64_t q = 0, rem = 0;
  for (int i = 63; i >= 0; --i) {
    rem = (rem << 1) | ((n >> i) & 1u);
    if (rem >= d) { rem -= d; q |= (uint64_t)1 << i; }
  }
  *r = rem;
  return q;
}
uint64_t __udivdi3(uint64_t n, uint64_t d) { uint64_t r; return udivmod(n, d, &r); }
uint64_t __umoddi3(uint64_t n, uint64_t d) { uint64_t r; udivmod(n, d, &r); return r; }
uint64_t __muldi3(uint64_t a, uint64_t b) {
  uint64_t r = 0; while (b) { if (b & 1u) r += a; a <<= 1; b >>= 1; } return r;
}
"""


def require(tools) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (Debian: clang-22 llvm-22 binutils-xtensa-lx106 "
                    "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)")


def tools_for(chip: str) -> tuple[str, ...]:
    return XTENSA_TOOLS if CHIPS[chip].isa == "xtensa" else RISCV_TOOLS


def chip_target(chip: str, **changes):
    """The chip's target with the memory map proposed in esp_chip.CHIPS (model in RAM)."""
    fields = {"memory": CHIPS[chip].memory, "model_region": "ram", **changes}
    return dataclasses.replace(load_target(chip), **fields)


def board_header(chip: str) -> str:
    macro, clock, fpu, timer = _BOARD[chip]
    return "\n".join([
        f'#define TML_TARGET_NAME "{chip}"', f"#define TML_CLOCK_HZ {clock}u", f"#define TML_HAS_FPU {fpu}",
        f"#define TML_ESP_CHIP_{macro} 1", "#define TML_CONSOLE_ESP_ROM_UART 1", f"#define TML_TIMER_USE_{timer} 1",
        "#define TML_TIMER_USE_DWT 0", "#define TML_TIMER_USE_NONE 0", "#define TML_EMULATED_ONLY 0", ""])


def xtensa_features(chip: str, drop=()) -> list[str]:
    skip = {"dfpaccel"} if chip == "esp32s3" else set()
    return [f for f in ESP32_FEATURES if f not in skip and f not in drop]


def _run(argv) -> None:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))}\n{proc.stdout}\n{proc.stderr}"


def compile_c(chip: str, source: Path, out_dir: Path, include_dirs, drop_features=(), defines=()) -> Path:
    """One object file for the chip (Xtensa: clang-22 -S then llvm-mc-22)."""
    obj = out_dir / (source.stem + ".o")
    common = ["-O2", "-std=c99", "-ffreestanding", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra",
              "-Werror", *[f"-D{d}" for d in defines], *[f"-I{d}" for d in include_dirs]]
    if CHIPS[chip].isa == "xtensa":
        features = xtensa_features(chip, drop_features)
        flags = [x for f in features for x in ("-Xclang", "-target-feature", "-Xclang", f"+{f}")]
        asm = out_dir / (source.stem + ".s")
        _run(["clang-22", "--target=xtensa", *flags, *common, "-S", source, "-o", asm])
        _run(["llvm-mc-22", "-triple=xtensa", "-mattr=" + ",".join(f"+{f}" for f in features), "-filetype=obj",
              asm, "-o", obj])
    else:
        _run(["riscv64-unknown-elf-gcc", "-march=rv32imc_zicsr_zifencei", "-mabi=ilp32", "--specs=picolibc.specs",
              *common, "-c", source, "-o", obj])
    return obj


def link(chip: str, objects, script: Path, elf: Path) -> Path:
    if CHIPS[chip].isa == "xtensa":
        _run(["xtensa-lx106-elf-ld", "-nostdlib", "--gc-sections", "--no-warn-rwx-segments", "-T", script, *objects,
              "-o", elf])
    else:
        _run(["riscv64-unknown-elf-gcc", "-march=rv32imc", "-mabi=ilp32", "-nostdlib", "-nostartfiles",
              "-Wl,--gc-sections", "-T", script, *objects, "-lgcc", "-o", elf])
    return elf


def build_image(chip: str, out_dir: Path, app_c: str = APP_C, extra_objects=()) -> Path:
    """Compile the chip's platform sources with a trivial main and link them; returns the ELF."""
    require(tools_for(chip))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tml_board.h").write_text(board_header(chip))
    (out_dir / "app.c").write_text(app_c)
    (out_dir / "helpers.c").write_text(HELPERS_C)
    includes = [out_dir, *chip_include_dirs()]
    sources = [*chip_sources(chip_target(chip)), out_dir / "app.c", out_dir / "helpers.c"]
    objects = [compile_c(chip, s, out_dir, includes) for s in sources]
    script = out_dir / "firmware.ld"
    script.write_text(render_chip_linker_script(chip_target(chip)))
    return link(chip, [*objects, *extra_objects], script, out_dir / "app.elf")
