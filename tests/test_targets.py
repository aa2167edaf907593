"""Target files: every shipped board loads, its facts match the datasheets / QEMU, and each kind of
mistake in a target file gives one clear TargetError naming the file and the key path."""

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tinyml_build.config import targets
from tinyml_build.errors import TargetError

PROJECT_DIR = Path(__file__).resolve().parents[1]
TARGETS_DIR = PROJECT_DIR / "targets"

SHIPPED = ["esp32", "esp32c3", "esp32s3", "host", "qemu-m3", "qemu-m33", "qemu-m4", "qemu-m55", "qemu-m7",
           "stm32f103", "stm32f407", "stm32h743", "stm32u585"]
KB = 1024


# -- shipped targets ----------------------------------------------------------------------------


def test_list_targets_is_the_shipped_set_sorted():
    assert targets.list_targets(TARGETS_DIR) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_target_loads(name):
    target = targets.load_target(name, TARGETS_DIR)
    assert target.name == name
    assert target.source == f"targets/{name}.yaml"
    assert target.arena.data and target.flash and target.ram
    assert target.model_memory.name == target.model_region
    assert [r.origin for r in target.memory] == sorted(r.origin for r in target.memory)


def test_describe_targets_gives_one_line_per_target():
    lines = targets.describe_targets(TARGETS_DIR)
    assert [line.split()[0] for line in lines] == SHIPPED
    assert all("\n" not in line for line in lines)
    f407 = next(line for line in lines if line.startswith("stm32f407"))
    assert "STM32F407VG" in f407 and "(emulated: netduinoplus2)" in f407


def test_describe_targets_lists_a_broken_file_instead_of_raising(tmp_path):
    tdir = tmp_path / "targets"
    tdir.mkdir()
    shutil.copy(TARGETS_DIR / "qemu-m4.yaml", tdir)
    (tdir / "broken.yaml").write_text("name: broken\ncpu: [\n")
    lines = targets.describe_targets(tdir)
    assert lines[0].startswith("broken") and "invalid" in lines[0] and "malformed YAML" in lines[0]
    assert lines[1].startswith("qemu-m4")


def test_load_by_path_and_default_dir():
    by_path = targets.load_target(TARGETS_DIR / "qemu-m4.yaml", TARGETS_DIR)
    assert by_path == targets.load_target("qemu-m4")


def test_targets_are_frozen():
    target = targets.load_target("qemu-m4", TARGETS_DIR)
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.cpu = "cortex-m7"
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.ram.size = 1


# -- datasheet / reference-manual / QEMU facts ----------------------------------------------------


def test_stm32f407_facts():
    t = targets.load_target("stm32f407", TARGETS_DIR)
    assert (t.region("ccm").origin, t.region("ccm").size) == (0x10000000, 65536)
    assert not t.region("ccm").executable  # CCM sits on the D-bus only
    assert (t.flash.origin, t.flash.size) == (0x08000000, 1024 * KB)
    assert (t.ram.origin, t.ram.size) == (0x20000000, 128 * KB)  # SRAM1 112 KB + SRAM2 16 KB
    assert (t.cpu, t.fpu, t.float_abi, t.clock_hz) == ("cortex-m4", "fpv4-sp-d16", "hard", 168_000_000)
    assert t.default_kernels == "cmsis-nn" and t.dsp and not t.mve
    # USART1 is QEMU netduinoplus2's serial0 and exists on the F407: one ELF prints on both.
    assert (t.console.peripheral, t.console.base) == ("USART1", 0x40011000)
    assert t.console.baud_divisor == 139  # 16 MHz HSI / 115200
    assert t.emulator == targets.Emulator("qemu-system-arm", "netduinoplus2") and t.is_emulated
    assert t.arena_region == "ram"  # netduinoplus2 models no CCM


def test_stm32f103_facts():
    t = targets.load_target("stm32f103", TARGETS_DIR)
    assert (t.flash.size, t.ram.size, t.clock_hz) == (256 * KB, 48 * KB, 72_000_000)
    assert (t.fpu, t.float_abi, t.dsp) == ("none", "soft", False)
    assert not t.is_emulated


def test_stm32h743_facts():
    t = targets.load_target("stm32h743", TARGETS_DIR)
    assert (t.region("dtcm").origin, t.region("dtcm").size) == (0x20000000, 128 * KB)
    assert (t.region("itcm").origin, t.region("itcm").size) == (0x00000000, 64 * KB)
    assert (t.ram.origin, t.ram.size) == (0x24000000, 512 * KB)  # AXI SRAM
    assert (t.flash.size, t.arena_region, t.fpu) == (2048 * KB, "dtcm", "fpv5-d16")


def test_stm32u585_facts():
    t = targets.load_target("stm32u585", TARGETS_DIR)
    assert t.flash.size == 2048 * KB
    # 768 KB SRAM1-3 + 16 KB SRAM4 + 2 KB backup SRAM (not listed) = the advertised 786 KB
    assert t.ram.size + t.region("sram4").size + 2 * KB == 786 * KB
    assert (t.cpu, t.fpu, t.clock_hz) == ("cortex-m33", "fpv5-sp-d16", 160_000_000)


def test_esp_facts():
    esp32 = targets.load_target("esp32", TARGETS_DIR)
    # The ROM loader's share of the 520 KB: IRAM 128 KB and the DRAM below the ROM's own data (192 KB)
    assert (esp32.ram.origin, esp32.ram.size, esp32.region("iram").size) == (0x3FFB0000, 192 * KB, 128 * KB)
    assert (esp32.flash.size, esp32.clock_hz, esp32.cycle_timer) == (4096 * KB, 240_000_000, "ccount")
    assert not esp32.region("iram").data  # 32-bit accesses only: never the arena
    assert esp32.model_region == "ram"  # RAM-loaded image: the ROM loader maps no flash
    c3 = targets.load_target("esp32c3", TARGETS_DIR)
    # SRAM1 through both buses: code at the I-bus alias, data above it (+0x700000 apart), below the ROM's data
    code, data = c3.region("iram"), c3.ram
    assert code.origin - 0x700000 + code.size <= data.origin and data.end <= 0x3FCDC700
    assert (c3.isa, c3.clock_hz, c3.cycle_timer) == ("riscv", 160_000_000, "mpccr")
    assert all(t.default_kernels == "esp-nn" for t in (esp32, c3))


def test_qemu_boards_use_semihosting_and_systick():
    machines = {"qemu-m3": "mps2-an385", "qemu-m4": "mps2-an386", "qemu-m7": "mps2-an500",
                "qemu-m33": "mps2-an505", "qemu-m55": "mps3-an547"}
    for name, machine in machines.items():
        t = targets.load_target(name, TARGETS_DIR)
        assert t.emulator.machine == machine
        assert t.console.is_semihosting and t.cycle_timer == "systick"
    assert targets.load_target("qemu-m33", TARGETS_DIR).flash.origin == 0x10000000  # Secure boot VTOR
    m55 = targets.load_target("qemu-m55", TARGETS_DIR)
    assert m55.mve and m55.arena_region == "dtcm" and m55.model_memory.origin == 0x11000000


def test_host_target():
    t = targets.load_target("host", TARGETS_DIR)
    assert t.is_host and not t.is_emulated and t.clock_hz is None and t.console.type == "stdio"


# -- malformed target files ---------------------------------------------------------------------


def _base(name="board") -> dict:
    data = yaml.safe_load((TARGETS_DIR / "stm32f407.yaml").read_text())
    data["name"] = name
    return data


def _write(tmp_path, data, name="board") -> Path:
    tdir = tmp_path / "targets"
    tdir.mkdir(exist_ok=True)
    (tdir / f"{name}.yaml").write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return tdir


def _error(tmp_path, data, name="board") -> str:
    tdir = _write(tmp_path, data, name)
    with pytest.raises(TargetError) as info:
        targets.load_target(name, tdir)
    text = str(info.value)
    assert "Traceback" not in text
    assert "pydantic" not in text and "Input should" not in text  # never the schema library's own text
    assert info.value.__cause__ is None  # nothing chained that a caller could print as a traceback
    return text


def test_valid_copy_loads(tmp_path):
    assert targets.load_target("board", _write(tmp_path, _base())).cpu == "cortex-m4"


def _edit(change):
    data = _base()
    change(data)
    return data


CASES = {
    "unknown top-level key": (
        lambda d: d.update(clok_hz=1), "targets/board.yaml: clok_hz: unknown key", "did you mean 'clock_hz'"),
    "unknown nested key": (
        lambda d: d["memory"]["flash"].update(sise=4), "targets/board.yaml: memory.flash.sise: unknown key", "'size'"),
    "missing key": (
        lambda d: d.pop("cycle_timer"), "targets/board.yaml: cycle_timer: missing required key", None),
    "missing nested key": (
        lambda d: d["memory"]["ram"].pop("origin"), "targets/board.yaml: memory.ram.origin: missing required key",
        None),
    "size as a string": (
        lambda d: d["memory"]["flash"].update(size="1M"),
        "targets/board.yaml: memory.flash.size: expected an integer, got '1M'", "hex (0x10000)"),
    "boolean instead of integer": (
        lambda d: d.update(stack_size=True), "targets/board.yaml: stack_size: expected an integer", None),
    "string instead of boolean": (
        lambda d: d.update(dsp="yes please"), "targets/board.yaml: dsp: expected true or false", None),
    "zero size": (
        lambda d: d["memory"]["ccm"].update(size=0), "targets/board.yaml: memory.ccm.size: must be positive, got 0",
        None),
    "negative size": (
        lambda d: d["memory"]["ram"].update(size=-4), "targets/board.yaml: memory.ram.size: must be positive", None),
    "overlapping regions": (
        lambda d: d["memory"]["ccm"].update(origin=0x2001F000),
        "targets/board.yaml: memory.ram: 0x20000000-0x2001FFFF overlaps memory.ccm (0x2001F000-0x2002EFFF)", None),
    "arena region not defined": (
        lambda d: d.update(arena_region="dtcm"),
        "targets/board.yaml: arena_region: 'dtcm' is not a memory region of this target", "ccm, flash, ram"),
    "arena region holds no data": (
        lambda d: d.update(arena_region="flash"), "arena_region: region 'flash' has data: false", None),
    "model region not defined": (
        lambda d: d.update(model_region="sdram"), "targets/board.yaml: model_region: 'sdram' is not a memory region",
        None),
    "required region missing": (
        lambda d: d["memory"].pop("flash"), "targets/board.yaml: memory.flash: missing required key", None),
    "unknown region name": (
        lambda d: d["memory"].update(dctm=d["memory"]["ccm"]), "memory.dctm: unknown key", "did you mean 'dtcm'"),
    "unknown cpu with suggestion": (
        lambda d: d.update(cpu="cortex-m5"), "targets/board.yaml: cpu: unknown value 'cortex-m5'", "cortex-m"),
    "fpu the cpu lacks": (
        lambda d: d.update(fpu="fpv5-d16"), "targets/board.yaml: fpu: unknown value 'fpv5-d16'", "fpv4-sp-d16"),
    "flags contradict fpu": (
        lambda d: d.update(arch_flags=["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard"]),
        "targets/board.yaml: arch_flags: missing -mfpu=fpv4-sp-d16", None),
    "flags contradict cpu": (
        lambda d: d.update(arch_flags=["-mcpu=cortex-m4", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv4-sp-d16",
                                       "-mfloat-abi=hard"]),
        "arch_flags: -mcpu=cortex-m7 contradicts cpu cortex-m4", None),
    "flags as one string": (
        lambda d: d.update(arch_flags="-mcpu=cortex-m4 -mthumb"), "arch_flags: expected a list of compiler flags",
        None),
    "mve on a cpu without it": (
        lambda d: d.update(mve=True), "targets/board.yaml: mve: cortex-m4 has no M-profile vector extension", None),
    "wrong toolchain": (
        lambda d: d.update(toolchain="clang-xtensa"), "toolchain: cortex-m4 is built with arm-none-eabi-gcc", None),
    "kernel library for another cpu": (
        lambda d: d.update(kernels="esp-nn"), "kernels: esp-nn needs an ESP32-family cpu", None),
    "uart without its clock": (
        lambda d: d["console"].pop("clock_hz"), "targets/board.yaml: console.clock_hz: missing required key", None),
    "uart pin without alternate function": (
        lambda d: d["console"]["tx"].pop("af"), "console.tx.af: missing required key", None),
    "semihosting with extra keys": (
        lambda d: d.update(console={"type": "semihosting", "base": 1}), "console.base: unknown key", None),
    "unknown console type": (
        lambda d: d.update(console={"type": "swo"}), "console.type: unknown value 'swo'", "semihosting"),
    "cycle timer the cpu lacks": (
        lambda d: d.update(cycle_timer="ccount"), "cycle_timer: cortex-m4 has no 'ccount' counter", None),
    "emulator binary for another architecture": (
        lambda d: d.update(emulator={"qemu": "qemu-system-riscv32", "machine": "virt"}),
        "emulator.qemu: an arm cpu runs in qemu-system-arm", None),
    "stack and heap larger than ram": (
        lambda d: d.update(stack_size=0x20000), "stack_size: stack_size + heap_size", None),
    "name does not match file": (
        lambda d: d.update(name="other"), "targets/board.yaml: name: 'other' does not match the file name", None),
    "multi-line description": (
        lambda d: d.update(description="one\ntwo"), "description: must be one line", None),
    "bad model section name": (
        lambda d: d.update(model_section="model data"), "model_section: 'model data' is not a valid value", None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_target_gives_one_clear_error(tmp_path, case):
    change, expected, fix = CASES[case]
    text = _error(tmp_path, _edit(change))
    assert expected in text.splitlines()[0], text
    if fix:
        assert fix in text, text


def test_malformed_yaml_names_the_line(tmp_path):
    text = _error(tmp_path, "name: board\ndescription: x\nmemory:\n  flash: {origin: 0x0, size: 4\n")
    first = text.splitlines()[0]
    assert first.startswith(("targets/board.yaml:5: malformed YAML", "targets/board.yaml:4: malformed YAML")), text
    assert "fix:" in text


def test_bad_indentation_names_the_line(tmp_path):
    text = _error(tmp_path, "name: board\n  cpu: cortex-m4\nfamily: stm32\n")
    assert text.startswith("targets/board.yaml:2: malformed YAML"), text


def test_duplicate_key_names_the_line(tmp_path):
    source = (TARGETS_DIR / "qemu-m4.yaml").read_text().replace("name: qemu-m4", "name: board")
    source += "cpu: cortex-m7\n"
    line = source.count("\n")
    text = _error(tmp_path, source)
    assert text.startswith(f"targets/board.yaml:{line}: duplicate key 'cpu'"), text


def test_empty_and_non_mapping_files(tmp_path):
    assert "the file is empty" in _error(tmp_path, "")
    assert "expected a mapping, got list" in _error(tmp_path, "- a\n- b\n")


def test_unknown_target_suggests_closest_names():
    with pytest.raises(TargetError) as info:
        targets.load_target("stm32f4", TARGETS_DIR)
    assert info.value.what == "unknown target 'stm32f4'"
    assert info.value.fix.startswith("use a target name (closest: stm32f407")


def test_unknown_target_without_a_close_name_lists_every_target():
    with pytest.raises(TargetError) as info:
        targets.load_target("nosuchboard", TARGETS_DIR)
    assert "closest" not in info.value.fix
    assert f"targets: {', '.join(targets.list_targets(TARGETS_DIR))}" in info.value.fix


def test_missing_target_file_path(tmp_path):
    with pytest.raises(TargetError, match="target file not found"):
        targets.load_target(tmp_path / "nope.yaml", TARGETS_DIR)


def test_unknown_region_lookup_suggests_names():
    t = targets.load_target("stm32h743", TARGETS_DIR)
    with pytest.raises(TargetError, match="no memory region 'dctm'.*dtcm"):
        t.region("dctm")


# -- the memory maps really run in QEMU -----------------------------------------------------------

# A tiny bare-metal probe, linked from the target's own regions: it boots from `flash`, keeps its stack
# at the top of `ram`, writes and reads back both ends of the arena region, reads a constant placed in
# the model region (via model_section), prints over semihosting and, for a UART console, also writes
# through the USART at the target's console base -- so every address the build relies on is exercised.
_PROBE_C = r"""
#include <stdint.h>
extern uint32_t __stack_top, __arena_start, __arena_end;
static int semihost(int op, void *arg) {
  register int r0 __asm__("r0") = op; register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory"); return r0;
}
static void say(const char *s) { semihost(0x04, (void *)s); }
static void leave(uint32_t code) { uint32_t block[2] = {0x20026, code}; semihost(0x20, block); for (;;) {} }
void probe_fault(void) { say("probe: fault\n"); leave(3); }
void probe_reset(void);
__attribute__((section(".vectors"), used)) const void *probe_vectors[16] = {
  &__stack_top, probe_reset, probe_fault, probe_fault, probe_fault, probe_fault, probe_fault };
__attribute__((section(MODEL_SECTION), used)) const uint32_t probe_model[4] = {0x544D4C31u, 2, 3, 4};
void probe_reset(void) {
  volatile uint32_t *lo = &__arena_start, *hi = &__arena_end - 1;
  *lo = 0x12345678u; *hi = 0x9abcdef0u;
  if (*lo != 0x12345678u || *hi != 0x9abcdef0u) { say("probe: arena bad\n"); leave(1); }
  if (*(volatile const uint32_t *)probe_model != 0x544D4C31u) { say("probe: model bad\n"); leave(2); }
#ifdef UART_BASE
  volatile uint32_t *uart = (uint32_t *)UART_BASE;  /* stm32f4-usart: SR +0x00, DR +0x04, CR1 +0x0C */
  uart[3] = (1u << 13) | (1u << 3);
  for (const char *s = "probe: uart ok\n"; *s; s++) { while (!(uart[0] & (1u << 7))) {} uart[1] = (uint32_t)*s; }
#endif
  say("probe: ok\n");
  leave(0);
}
"""


def _probe_linker_script(t) -> str:
    memory = "\n".join(f"  {r.name.upper()} ({r.linker_attributes}) : ORIGIN = 0x{r.origin:08X}, LENGTH = 0x{r.size:X}"
                       for r in t.memory)
    model_section = t.model_section or ".rodata.probe_model"
    return f"""MEMORY
{{
{memory}
}}
SECTIONS
{{
  .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) }} > FLASH
  .model : {{ KEEP(*({model_section})) }} > {t.model_region.upper()}
  .bss (NOLOAD) : {{ *(.bss*) *(COMMON) }} > RAM
  .arena (NOLOAD) : {{ __arena_start = .; . += 4096; __arena_end = .; }} > {t.arena_region.upper()}
  __stack_top = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


# Targets whose own memory map QEMU runs (ESP targets test on an ISA twin with its own layout:
# tests/test_esp_targets.py).
EMULATED = [n for n in SHIPPED if targets.load_target(n, TARGETS_DIR).is_emulated
            and not targets.load_target(n, TARGETS_DIR).emulator.twin]


@pytest.mark.qemu
@pytest.mark.parametrize("name", EMULATED)
def test_memory_map_runs_in_qemu(tmp_path, name):
    t = targets.load_target(name, TARGETS_DIR)
    gcc = shutil.which("arm-none-eabi-gcc")
    qemu = shutil.which(t.emulator.qemu)
    if not gcc or not qemu:
        pytest.skip(f"needs arm-none-eabi-gcc and {t.emulator.qemu} on PATH")
    (tmp_path / "probe.c").write_text(_PROBE_C)
    (tmp_path / "probe.ld").write_text(_probe_linker_script(t))
    defines = [f'-DMODEL_SECTION="{t.model_section or ".rodata.probe_model"}"']
    if t.console.is_uart:
        assert t.console.driver == "stm32f4-usart", "the probe only drives the F4 USART layout"
        defines.append(f"-DUART_BASE=0x{t.console.base:08X}u")
    build = subprocess.run([gcc, *t.arch_flags, "-O1", "-nostdlib", "-ffreestanding", "-T", "probe.ld", *defines,
                            "probe.c", "-o", "probe.elf"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([qemu, "-machine", t.emulator.machine, "-nographic", "-monitor", "none",
                          "-semihosting-config", "enable=on,target=native", "-serial", "stdio",
                          "-kernel", "probe.elf"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    output = run.stdout + run.stderr  # QEMU sends semihosting text to stderr once stdio carries the serial port
    assert run.returncode == 0 and "probe: ok" in output, output
    if t.console.is_uart:
        assert "probe: uart ok" in run.stdout, output
