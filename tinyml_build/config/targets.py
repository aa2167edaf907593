"""Boards as data: load and strictly check `targets/<name>.yaml`.

A target file says everything the build needs about one board: CPU and compiler flags,
memory map, where the tensor arena goes, how the firmware prints (console), how it counts
cycles, and which emulator (if any) runs it. A typo in a target file would otherwise surface
as a linker error or a silent hard fault much later, so every key is checked here and a
mistake is reported as one `TargetError` naming the file and the key path, e.g.
`targets/foo.yaml: memory.flash.size: expected an integer, got '64K'` (and a syntax error, a
duplicate key or a key YAML reads as a boolean, with the line: `targets/foo.yaml:12: duplicate key 'cpu'`).

This module is the loading API (load_target, list_targets, describe_targets) and re-exports what a
target is (target.py: Target, MemoryRegion, Console, ...). The file is read by the project's one
strict YAML loader (strict_yaml.py) and checked by a declarative schema with the rules across keys
as its validators (target_schema.py, pydantic); the CPU facts are data (cpus.yaml).

The schema (all keys required unless marked optional):

  name, description            file stem; one-line summary (shown by `scons -h`)
  family                       stm32 | esp32 | mps2 | mps3 | host
  cpu, fpu, float_abi          see config/cpus.yaml for the cpus and their valid combinations
  arch_flags                   list of the exact compiler flags (checked against cpu/fpu/float_abi)
  dsp, mve                     booleans: the CPU has the DSP / M-profile vector extension
  clock_hz                     rated core clock (null only for the host)
  memory                       regions by name (REGION_NAMES); flash and ram required; each
                               {origin, size, executable, data}: `executable` = the build may
                               place code there, `data` = read-write data (and the arena) may live there
  arena_region                 region holding the tensor arena (must have data: true)
  stack_size, heap_size        default sizes in bytes
  toolchain                    arm-none-eabi-gcc | clang-xtensa | riscv64-unknown-elf-gcc | host-gcc
  kernels                      default kernel library: reference | cmsis-nn | esp-nn
  console                      {type: semihosting} | {type: stdio} (host) |
                               {type: uart, driver, peripheral, base, baud, clock_hz?, clock_enable?, tx?}
  cycle_timer                  dwt | systick | ccount | mcycle | mpccr | none
  emulator                     {qemu: qemu-system-..., machine: ...} or null
  supports                     {image: bool, test: bool}: what the project builds for it today (an image
                               needs an IMAGE_TOOLCHAINS toolchain; test needs the image and an emulator,
                               or is the host target's native check)
  model_region (optional)      region holding the model array (default: flash)
  model_section (optional)     linker section name for the model array
  vendor_note (optional)       free text: board quirks worth knowing
  flash_timing (optional)      {wait_states, accelerator: none|prefetch|cache, fetch_bytes, reference}: flash
                               wait states at clock_hz for the cycle estimate (reports/cycle_model.py), with
                               the datasheet table they come from; absent: code runs without wait states
  power (optional)             {run_ma, sleep_ma, voltage_v, run, sleep}: datasheet supply current running at
                               clock_hz and sleeping between inferences, for the report's power step
                               (reports/fit/power.py); run and sleep each cite where the figure comes
                               from: {document, table, conditions, value: typical | maximum | upper end of
                               a range | single value, typ/max not stated, verified, read_in (the copy it
                               was read in; required when verified), note (why not verified; required
                               when not)}
  no_power_data (optional)     free text: why a target has no power: (the report's power step says it)
"""

from __future__ import annotations

from pathlib import Path

from tinyml_build.config.cpus import CPUS_FILE, CYCLE_TIMERS, TOOLCHAINS, CpuFacts, cpu_table
from tinyml_build.config.strict_yaml import load_checked
from tinyml_build.config.target import (
    CONSOLE_TYPES,
    FAMILIES,
    IMAGE_TOOLCHAINS,
    REGION_NAMES,
    REQUIRED_REGIONS,
    Console,
    Emulator,
    MemoryRegion,
    RegisterBit,
    Supports,
    Target,
    UartPin,
    target_from_data,
)
from tinyml_build.errors import TargetError, suggest
from tinyml_build.resources import builtin_dir

__all__ = ["CONSOLE_TYPES", "CPUS", "CYCLE_TIMERS", "DEFAULT_TARGETS_DIR", "FAMILIES", "IMAGE_TOOLCHAINS",
           "REGION_NAMES", "REQUIRED_REGIONS", "TOOLCHAINS", "Console", "CpuFacts", "Emulator", "MemoryRegion",
           "RegisterBit", "Supports", "Target", "UartPin", "cpu_table", "describe_targets", "list_targets",
           "load_target"]

DEFAULT_TARGETS_DIR = builtin_dir("targets")


def __getattr__(name: str):
    if name == "CPUS":  # cpu name -> CpuFacts (config/cpus.yaml), loaded on first use
        return cpu_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def list_targets(targets_dir: Path | str = DEFAULT_TARGETS_DIR) -> list[str]:
    """Names of the target files in targets_dir, sorted."""
    targets_dir = Path(targets_dir)
    if not targets_dir.is_dir():
        return []
    return sorted(p.stem for p in targets_dir.glob("*.yaml") if p.is_file())


def describe_targets(targets_dir: Path | str = DEFAULT_TARGETS_DIR) -> list[str]:
    """One line per target for `scons -h`; a broken file is listed with its error, not raised."""
    names = list_targets(targets_dir)
    width = max((len(n) for n in names), default=0)
    lines = []
    for name in names:
        try:
            target = load_target(name, targets_dir)
        except TargetError as err:
            lines.append(f"{name:<{width}}  (invalid: {str(err).splitlines()[0]})")
            continue
        runs_on = ""
        if target.emulator and target.emulator.machine not in target.description:
            runs_on = f" (emulated: {target.emulator.machine})"
        lines.append(f"{name:<{width}}  {target.description}{runs_on}")
    return lines


def load_target(name_or_path: str | Path, targets_dir: Path | str = DEFAULT_TARGETS_DIR) -> Target:
    """Load one target by name (targets_dir/<name>.yaml) or by path, checked against the schema."""
    targets_dir = Path(targets_dir)
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or "/" in text or text.endswith((".yaml", ".yml"))
    if looks_like_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise TargetError(f"target file not found: {text}",
                              fix=f"pass a target name ({', '.join(list_targets(targets_dir))}) "
                                  "or an existing .yaml file")
    else:
        path = targets_dir / f"{text}.yaml"
        if not path.is_file():
            valid = list_targets(targets_dir)
            if not valid:
                raise TargetError(f"unknown target '{text}': no target files in {targets_dir.name}/")
            raise TargetError(f"unknown target '{text}'", where="target=",
                              fix=f"use a target name ({suggest(text, valid, 'targets')}) or a path to a target .yaml")
    shown = _display_name(path, targets_dir)
    data = load_checked(path, shown, TargetError, _check, context={"stem": path.stem}, depends=(CPUS_FILE,))
    return target_from_data(data, shown, path.resolve())


def emulated_stand_in(target: Target, targets_dir: Path | str | None = None) -> Target | None:
    """The emulated target that runs `target`'s objects: the target itself when it has an emulator, else
    the one with exactly its arch flags and toolchain (the same objects run there, only the platform
    layer differs); None when there is none. Shared by the tflm arena probe and the cycle profile."""
    if target.emulator is not None:
        return target
    folder = Path(targets_dir) if targets_dir else target.path.parent if target.path else DEFAULT_TARGETS_DIR
    for name in list_targets(folder):
        other = load_target(name, folder)
        if other.emulator is not None and other.arch_flags == target.arch_flags and other.toolchain == target.toolchain:
            return other
    return None


def _check(data, shown: str, context: dict) -> None:
    from tinyml_build.config.target_schema import check

    check(data, shown, context["stem"])


def _display_name(path: Path, targets_dir: Path) -> str:
    """targets/<file> for files in the targets folder, else a cwd-relative (or the given) path."""
    try:
        if path.resolve().parent == targets_dir.resolve():
            return f"{targets_dir.name}/{path.name}"
    except OSError:
        pass
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
