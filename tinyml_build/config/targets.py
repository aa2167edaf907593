"""Boards as data: load and strictly check `targets/<name>.yaml`.

A target file says everything the build needs about one board: CPU and compiler flags,
memory map, where the tensor arena goes, how the firmware prints (console), how it counts
cycles, and which emulator (if any) runs it. A typo in a target file would otherwise surface
as a linker error or a silent hard fault much later, so every key is checked here and a
mistake is reported as one `TargetError` naming the file and the key path, e.g.
`targets/foo.yaml: memory.flash.size: expected an integer (bytes), got '64K'`.

The schema (all keys required unless marked optional):

  name, description            file stem; one-line summary (shown by `scons -h`)
  family                       stm32 | esp32 | mps2 | mps3 | host
  cpu, fpu, float_abi          see CPUS below for the valid combinations
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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tinyml_build.analysis.op_inventory import KERNEL_CHOICES
from tinyml_build.errors import TargetError, closest_names, suggest

DEFAULT_TARGETS_DIR = Path(__file__).resolve().parents[2] / "targets"

FAMILIES = ("esp32", "host", "mps2", "mps3", "stm32")
TOOLCHAINS = ("arm-none-eabi-gcc", "clang-xtensa", "host-gcc", "riscv64-unknown-elf-gcc")
CYCLE_TIMERS = ("ccount", "dwt", "mcycle", "mpccr", "none", "systick")
CONSOLE_TYPES = ("semihosting", "stdio", "uart")

REGION_NAMES = {
    "flash": "boot memory: code and read-only data (the model by default)",
    "ram": "main SRAM: .data, .bss, stack, heap",
    "ccm": "core-coupled data RAM (STM32F4)",
    "itcm": "instruction tightly-coupled memory",
    "dtcm": "data tightly-coupled memory",
    "code_sram": "extra SRAM on the code bus",
    "sram1": "SRAM bank named SRAM1 in the reference manual",
    "sram2": "SRAM bank named SRAM2 in the reference manual",
    "sram3": "SRAM bank named SRAM3 in the reference manual",
    "sram4": "SRAM bank named SRAM4 in the reference manual",
    "iram": "instruction RAM (ESP32)",
    "rtc_fast": "RTC fast memory (ESP32 family)",
    "psram": "external PSRAM",
    "ddr": "external DDR",
}
REQUIRED_REGIONS = ("flash", "ram")


@dataclass(frozen=True)
class _CpuFacts:
    """What a CPU allows; the validator checks each target file against it."""

    isa: str  # arm | xtensa | riscv | host
    fpus: tuple[str, ...]
    dsp_possible: bool
    mve_possible: bool
    toolchain: str
    cycle_timers: tuple[str, ...]
    required_flags: tuple[str, ...]  # flag prefixes arch_flags must contain


_ARM_TIMERS = ("dwt", "none", "systick")
CPUS = {
    "cortex-m3": _CpuFacts("arm", ("none",), False, False, "arm-none-eabi-gcc", _ARM_TIMERS,
                           ("-mcpu=cortex-m3", "-mthumb")),
    "cortex-m4": _CpuFacts("arm", ("none", "fpv4-sp-d16"), True, False, "arm-none-eabi-gcc", _ARM_TIMERS,
                           ("-mcpu=cortex-m4", "-mthumb")),
    "cortex-m7": _CpuFacts("arm", ("none", "fpv5-sp-d16", "fpv5-d16"), True, False, "arm-none-eabi-gcc",
                           _ARM_TIMERS, ("-mcpu=cortex-m7", "-mthumb")),
    "cortex-m33": _CpuFacts("arm", ("none", "fpv5-sp-d16"), True, False, "arm-none-eabi-gcc", _ARM_TIMERS,
                            ("-mcpu=cortex-m33", "-mthumb")),
    # M55: scalar FPv5 (double, half) plus MVE floating point; gcc selects it with -mfpu=auto.
    "cortex-m55": _CpuFacts("arm", ("none", "mve-fp"), True, True, "arm-none-eabi-gcc", _ARM_TIMERS,
                            ("-mcpu=cortex-m55", "-mthumb")),
    # Xtensa LX6 / LX7 with the single-precision FPU; floats are passed in integer registers.
    "esp32": _CpuFacts("xtensa", ("xtensa-sp",), False, False, "clang-xtensa", ("ccount", "none"),
                       ("--target=xtensa", "-mcpu=esp32")),
    "esp32s3": _CpuFacts("xtensa", ("xtensa-sp",), True, False, "clang-xtensa", ("ccount", "none"),
                         ("--target=xtensa", "-mcpu=esp32s3")),
    # RV32IMC without the standard mcycle counter: ESP32-C3 counts cycles in the custom mpccr CSR.
    "esp32c3": _CpuFacts("riscv", ("none",), False, False, "riscv64-unknown-elf-gcc", ("mpccr", "none"),
                         ("-march=rv32imc", "-mabi=ilp32")),
    "host": _CpuFacts("host", ("native",), False, False, "host-gcc", ("none",), ()),
}

_UART_DRIVERS = {
    # driver: (needs clock_hz/clock_enable/tx, tx.af required)
    "stm32f1-usart": (True, False),  # SR/DR/BRR/CR1 USART, CRL/CRH GPIO (no AF numbers)
    "stm32f4-usart": (True, True),  # SR/DR/BRR/CR1 USART, MODER/AFR GPIO
    "stm32-usart-isr": (True, True),  # CR1/BRR/ISR/TDR USART (H7, U5, L4...), MODER/AFR GPIO
    "esp-rom-uart": (False, False),  # UART0 already set up by the ESP ROM bootloader
}

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SECTION_RE = re.compile(r"^\.[A-Za-z_][A-Za-z0-9_.]*$")
_PERIPHERAL_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_QEMU_RE = re.compile(r"^qemu-system-[a-z0-9_]+$")
_MAX_ADDRESS = 1 << 32


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    origin: int
    size: int
    executable: bool
    data: bool

    @property
    def end(self) -> int:
        """First address past the region."""
        return self.origin + self.size

    @property
    def linker_attributes(self) -> str:
        """GNU ld MEMORY attributes: r always, w if data may live here, x if code may."""
        return "r" + ("w" if self.data else "") + ("x" if self.executable else "")

    def overlaps(self, other: "MemoryRegion") -> bool:
        return self.origin < other.end and other.origin < self.end


@dataclass(frozen=True)
class RegisterBit:
    """One enable bit in a memory-mapped register (e.g. an RCC clock-enable bit)."""

    register: int
    bit: int

    @property
    def mask(self) -> int:
        return 1 << self.bit


@dataclass(frozen=True)
class UartPin:
    """The UART TX pin: GPIO port, its register base, pin number, alternate function, clock enable."""

    port: str
    base: int
    pin: int
    af: int | None
    clock_enable: RegisterBit


@dataclass(frozen=True)
class Console:
    """Where the firmware's text output goes."""

    type: str
    driver: str | None = None
    peripheral: str | None = None
    base: int | None = None
    baud: int | None = None
    clock_hz: int | None = None  # UART kernel clock with the reset clock tree
    clock_enable: RegisterBit | None = None
    tx: UartPin | None = None

    @property
    def is_semihosting(self) -> bool:
        return self.type == "semihosting"

    @property
    def is_uart(self) -> bool:
        return self.type == "uart"

    @property
    def baud_divisor(self) -> int | None:
        """Value for an STM32 USART BRR (16x oversampling): kernel clock / baud, rounded."""
        if self.clock_hz is None or self.baud is None:
            return None
        return (self.clock_hz + self.baud // 2) // self.baud


@dataclass(frozen=True)
class Emulator:
    qemu: str  # the QEMU system binary, e.g. qemu-system-arm
    machine: str  # its -machine name, e.g. mps2-an386


# Toolchains the project can drive to a firmware image (a target may claim supports.image only with one).
IMAGE_TOOLCHAINS = ("arm-none-eabi-gcc",)


@dataclass(frozen=True)
class Supports:
    """What the project builds for a target today: a firmware image; a `test` run (in an emulator,
    or natively for the host target, which builds no image but runs the host check)."""

    image: bool
    test: bool


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    family: str
    cpu: str
    fpu: str
    float_abi: str
    arch_flags: tuple[str, ...]
    dsp: bool
    mve: bool
    clock_hz: int | None
    memory: tuple[MemoryRegion, ...]  # sorted by origin
    arena_region: str
    stack_size: int
    heap_size: int
    toolchain: str
    kernels: str
    console: Console
    cycle_timer: str
    emulator: Emulator | None
    supports: Supports = Supports(image=True, test=True)
    model_region: str = "flash"
    model_section: str | None = None
    vendor_note: str | None = None
    source: str = field(default="", compare=False)  # file it came from, for messages
    path: Path | None = field(default=None, compare=False)  # that file, resolved (a build depends on it)

    @property
    def default_kernels(self) -> str:
        """Kernel library used when the build does not ask for one."""
        return self.kernels

    @property
    def image_support_reason(self) -> str:
        """Why this target gets no firmware image ('' when it does)."""
        if self.supports.image:
            return ""
        if self.is_host:
            return "the host target runs the generated C natively instead"
        if self.toolchain not in IMAGE_TOOLCHAINS:
            return f"the project has no {self.toolchain} toolchain layer yet"
        return "its target file says so"

    @property
    def test_support_reason(self) -> str:
        """Why `test` cannot run on this target ('' when it can)."""
        if self.supports.test:
            return ""
        if not self.supports.image:
            return f"it builds no firmware image ({self.image_support_reason})"
        return "it has no emulator (emulator: null in its target file); flash the image and read its console"

    @property
    def is_emulated(self) -> bool:
        return self.emulator is not None

    @property
    def is_host(self) -> bool:
        return self.family == "host"

    @property
    def isa(self) -> str:
        """arm, xtensa, riscv or host."""
        return CPUS[self.cpu].isa

    @property
    def has_fpu(self) -> bool:
        return self.fpu not in ("none",)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.memory)

    def region(self, name: str) -> MemoryRegion:
        """The named memory region; TargetError (with the closest names) if it is not defined."""
        for r in self.memory:
            if r.name == name:
                return r
        raise TargetError(
            f"no memory region '{name}' ({suggest(name, self.region_names, 'regions')})",
            where=self.source or self.name,
        )

    @property
    def flash(self) -> MemoryRegion:
        return self.region("flash")

    @property
    def ram(self) -> MemoryRegion:
        return self.region("ram")

    @property
    def arena(self) -> MemoryRegion:
        """The region the tensor arena is placed in."""
        return self.region(self.arena_region)

    @property
    def model_memory(self) -> MemoryRegion:
        """The region the model array is placed in."""
        return self.region(self.model_region)


# ---------------------------------------------------------------------------------------------
# Loading


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
                              fix=f"pass a target name ({', '.join(list_targets(targets_dir))}) or an existing .yaml file")
    else:
        path = targets_dir / f"{text}.yaml"
        if not path.is_file():
            valid = list_targets(targets_dir)
            if not valid:
                raise TargetError(f"unknown target '{text}': no target files in {targets_dir.name}/")
            raise TargetError(f"unknown target '{text}'", where="target=",
                              fix=f"use a target name ({suggest(text, valid, 'targets')}) or a path to a target .yaml")
    shown = _display_name(path, targets_dir)
    raw = _parse_yaml(path, shown)
    from dataclasses import replace

    return replace(_Checker(shown, path.stem).target(raw), path=path.resolve())


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


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            continue  # unusual keys are left to the schema check, which rejects them
        if key in seen:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _DuplicateKey(Exception):
    def __init__(self, key, line: int):
        super().__init__(key)
        self.key = key
        self.line = line


def _parse_yaml(path: Path, shown: str):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TargetError(f"cannot read target file: {err}", where=shown) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as dup:
        raise TargetError(f"duplicate key '{dup.key}'", where=f"{shown}:{dup.line}",
                          fix="keep one definition of each key") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = err.problem or err.context or "not valid YAML"
        raise TargetError(f"malformed YAML: {problem}", where=where,
                          fix="check the indentation, colons and quoting on or just before that line") from None
    except yaml.YAMLError as err:
        raise TargetError("malformed YAML:", details=str(err), where=shown) from None


# ---------------------------------------------------------------------------------------------
# Checking


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping"}.get(type(value), type(value).__name__)


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else f"{value!r} ({_type_name(value)})"


class _Checker:
    """Turns the parsed YAML of one file into a Target, or raises TargetError at the first problem."""

    TOP_REQUIRED = ("name", "description", "family", "cpu", "fpu", "float_abi", "arch_flags", "dsp", "mve",
                    "clock_hz", "memory", "arena_region", "stack_size", "heap_size", "toolchain", "kernels",
                    "console", "cycle_timer", "emulator", "supports")
    TOP_OPTIONAL = ("model_region", "model_section", "vendor_note")

    def __init__(self, shown: str, stem: str):
        self.shown = shown
        self.stem = stem

    def fail(self, path: str, message: str, fix: str | None = None):
        raise TargetError(f"{path}: {message}" if path else message, where=self.shown, fix=fix)

    # -- generic typed accessors ------------------------------------------------------------

    def mapping(self, value, path: str, required, optional=()) -> dict:
        if not isinstance(value, dict):
            what = "the target file" if not path else path
            self.fail(path, f"expected a mapping, got {_type_name(value)}",
                      fix=f"{what} must be 'key: value' lines" if not path else None)
        allowed = tuple(required) + tuple(optional)
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                hint = "".join(f"did you mean '{c}'? " for c in closest_names(str(key), allowed, limit=1))
                self.fail(_join(path, key), "unknown key", fix=f"{hint}valid keys here: {', '.join(allowed)}")
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "missing required key")
        return value

    def integer(self, value, path: str, minimum: int | None = None, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {_show(value)}",
                      fix="write a plain number: decimal (65536) or hex (0x10000)")
        if minimum is not None and value < minimum:
            self.fail(path, f"must be >= {minimum}, got {value}" if minimum != 1 else f"must be positive, got {value}")
        if maximum is not None and value > maximum:
            self.fail(path, f"must be <= {maximum}, got {value}")
        return value

    def boolean(self, value, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_show(value)}")
        return value

    def string(self, value, path: str, pattern: re.Pattern | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {_show(value)}")
        if pattern is not None and not pattern.match(value):
            self.fail(path, f"'{value}' is not a valid value here (expected to match {pattern.pattern})")
        return value

    def choice(self, value, path: str, valid) -> str:
        valid = tuple(valid)
        if not isinstance(value, str):
            self.fail(path, f"expected one of {', '.join(valid)}, got {_show(value)}")
        if value not in valid:
            self.fail(path, f"unknown value '{value}'",
                      fix=f"use one of: {', '.join(valid)}")
        return value

    # -- sections ---------------------------------------------------------------------------

    def target(self, raw) -> Target:
        if raw is None:
            self.fail("", "the file is empty", fix="start from a copy of an existing target file")
        top = self.mapping(raw, "", self.TOP_REQUIRED, self.TOP_OPTIONAL)
        name = self.string(top["name"], "name", _NAME_RE)
        if name != self.stem:
            self.fail("name", f"'{name}' does not match the file name '{self.stem}.yaml'",
                      fix=f"rename the file or set name: {self.stem}")
        description = self.string(top["description"], "description")
        if "\n" in description.strip():
            self.fail("description", "must be one line")
        family = self.choice(top["family"], "family", FAMILIES)
        cpu = self.choice(top["cpu"], "cpu", sorted(CPUS))
        facts = CPUS[cpu]
        self.check_family(family, cpu, facts)
        fpu = self.choice(top["fpu"], "fpu", facts.fpus)
        float_abi = self.choice(top["float_abi"], "float_abi", self.float_abis(fpu, facts))
        dsp = self.boolean(top["dsp"], "dsp")
        mve = self.boolean(top["mve"], "mve")
        if dsp and not facts.dsp_possible:
            self.fail("dsp", f"{cpu} has no DSP extension")
        if mve and not facts.mve_possible:
            self.fail("mve", f"{cpu} has no M-profile vector extension (MVE)")
        if fpu == "mve-fp" and not mve:
            self.fail("mve", "fpu mve-fp includes MVE, so mve must be true")
        arch_flags = self.arch_flags(top["arch_flags"], cpu, fpu, float_abi, facts)
        clock_hz = self.clock(top["clock_hz"], facts)
        memory = self.memory(top["memory"], facts)
        regions = {r.name: r for r in memory}
        arena_region = self.region_ref(top["arena_region"], "arena_region", regions)
        if not regions[arena_region].data:
            self.fail("arena_region", f"region '{arena_region}' has data: false, so it cannot hold the arena")
        model_region = "flash" if top.get("model_region") is None else top["model_region"]
        model_region = self.region_ref(model_region, "model_region", regions)
        model_section = top.get("model_section")
        if model_section is not None:
            self.string(model_section, "model_section", _SECTION_RE)
        stack_size = self.integer(top["stack_size"], "stack_size", minimum=1)
        heap_size = self.integer(top["heap_size"], "heap_size", minimum=0)
        if stack_size + heap_size >= regions["ram"].size:
            self.fail("stack_size", f"stack_size + heap_size ({stack_size + heap_size} bytes) leaves no room in "
                      f"memory.ram ({regions['ram'].size} bytes)")
        toolchain = self.choice(top["toolchain"], "toolchain", TOOLCHAINS)
        if toolchain != facts.toolchain:
            self.fail("toolchain", f"{cpu} is built with {facts.toolchain}, not {toolchain}")
        kernels = self.choice(top["kernels"], "kernels", KERNEL_CHOICES)
        self.check_kernels(kernels, cpu, facts)
        console = self.console(top["console"], facts)
        cycle_timer = self.choice(top["cycle_timer"], "cycle_timer", CYCLE_TIMERS)
        if cycle_timer not in facts.cycle_timers:
            self.fail("cycle_timer", f"{cpu} has no '{cycle_timer}' counter (valid: {', '.join(facts.cycle_timers)})")
        emulator = self.emulator(top["emulator"], facts)
        supports = self.supports(top["supports"], toolchain, emulator, facts)
        vendor_note = top.get("vendor_note")
        if vendor_note is not None:
            vendor_note = " ".join(self.string(vendor_note, "vendor_note").split())
        return Target(
            name=name, description=" ".join(description.split()), family=family, cpu=cpu, fpu=fpu,
            float_abi=float_abi, arch_flags=arch_flags, dsp=dsp, mve=mve, clock_hz=clock_hz, memory=memory,
            arena_region=arena_region, stack_size=stack_size, heap_size=heap_size, toolchain=toolchain,
            kernels=kernels, console=console, cycle_timer=cycle_timer, emulator=emulator,
            supports=supports, model_region=model_region, model_section=model_section, vendor_note=vendor_note, source=self.shown,
        )

    def supports(self, value, toolchain: str, emulator: "Emulator | None", facts: _CpuFacts) -> Supports:
        spec = self.mapping(value, "supports", ("image", "test"))
        image = self.boolean(spec["image"], "supports.image")
        test = self.boolean(spec["test"], "supports.test")
        if image and toolchain not in IMAGE_TOOLCHAINS:
            self.fail("supports.image", f"the project cannot build images with {toolchain} yet",
                      fix=f"set supports.image: false (image toolchains: {', '.join(IMAGE_TOOLCHAINS)})")
        if facts.isa == "host":
            if image:
                self.fail("supports.image", "the host target builds no firmware image", fix="set supports.image: false")
        elif test and not (image and emulator is not None):
            self.fail("supports.test", "`test` runs the image in the target's emulator: it needs supports.image: true "
                      "and an emulator", fix="set supports.test: false")
        return Supports(image=image, test=test)

    def check_family(self, family: str, cpu: str, facts: _CpuFacts):
        expected_isa = {"stm32": "arm", "mps2": "arm", "mps3": "arm", "host": "host"}.get(family)
        if family == "esp32" and not cpu.startswith("esp32"):
            self.fail("cpu", f"family esp32 needs an esp32* cpu, got {cpu}")
        if expected_isa is not None and facts.isa != expected_isa:
            self.fail("cpu", f"family {family} needs a{'n' if expected_isa == 'arm' else ''} {expected_isa} cpu, got {cpu}")

    @staticmethod
    def float_abis(fpu: str, facts: _CpuFacts) -> tuple[str, ...]:
        if facts.isa == "host":
            return ("native",)
        if fpu == "none":
            return ("soft",)
        if facts.isa == "xtensa":
            return ("softfp",)  # FPU instructions, floats passed in integer registers
        return ("hard", "softfp")

    def arch_flags(self, value, cpu: str, fpu: str, float_abi: str, facts: _CpuFacts) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail("arch_flags", f"expected a list of compiler flags, got {_show(value)}")
        flags = []
        for i, flag in enumerate(value):
            if not isinstance(flag, str) or not flag.startswith("-") or " " in flag:
                self.fail(f"arch_flags[{i}]", f"expected one compiler flag starting with '-', got {_show(flag)}",
                          fix="write each flag as its own list item: [-mcpu=cortex-m4, -mthumb]")
            flags.append(flag)
        required = list(facts.required_flags)
        if facts.isa == "arm":
            required.append(f"-mfloat-abi={float_abi}")
            if fpu != "none":
                required.append("-mfpu=auto" if fpu == "mve-fp" else f"-mfpu={fpu}")
        for needed in required:
            if not any(f == needed or f.startswith(needed + "+") or (needed.startswith("-march=") and f.startswith(needed))
                       for f in flags):
                self.fail("arch_flags", f"missing {needed} (implied by cpu {cpu}, fpu {fpu}, float_abi {float_abi})")
        mismatched = [f for f in flags if f.startswith(("-mcpu=", "-mfpu=", "-mfloat-abi="))
                      and not any(f == n or f.startswith(n + "+") for n in required)]
        if mismatched:
            self.fail("arch_flags", f"{mismatched[0]} contradicts cpu {cpu}, fpu {fpu}, float_abi {float_abi}")
        return tuple(flags)

    def clock(self, value, facts: _CpuFacts) -> int | None:
        if value is None and facts.isa == "host":
            return None
        return self.integer(value, "clock_hz", minimum=1)

    def memory(self, value, facts: _CpuFacts) -> tuple[MemoryRegion, ...]:
        block = self.mapping(value, "memory", REQUIRED_REGIONS, tuple(n for n in REGION_NAMES if n not in REQUIRED_REGIONS))
        regions = []
        for name in block:
            path = f"memory.{name}"
            spec = self.mapping(block[name], path, ("origin", "size", "executable", "data"))
            origin = self.integer(spec["origin"], f"{path}.origin", minimum=0)
            size = self.integer(spec["size"], f"{path}.size", minimum=1)
            if origin + size > _MAX_ADDRESS:
                self.fail(path, f"0x{origin:08X} + 0x{size:X} runs past the 4 GB address space")
            regions.append(MemoryRegion(name, origin, size, self.boolean(spec["executable"], f"{path}.executable"),
                                        self.boolean(spec["data"], f"{path}.data")))
        regions.sort(key=lambda r: (r.origin, r.name))
        for i, a in enumerate(regions):
            for b in regions[i + 1:]:
                if a.overlaps(b):
                    first, second = sorted((a, b), key=lambda r: list(block).index(r.name))
                    self.fail(f"memory.{second.name}",
                              f"0x{second.origin:08X}-0x{second.end - 1:08X} overlaps memory.{first.name} "
                              f"(0x{first.origin:08X}-0x{first.end - 1:08X})")
        if not any(r.name == "ram" and r.data for r in regions):
            self.fail("memory.ram.data", "ram must have data: true")
        return tuple(regions)

    def region_ref(self, value, path: str, regions: dict) -> str:
        name = self.string(value, path)
        if name not in regions:
            self.fail(path, f"'{name}' is not a memory region of this target",
                      fix=f"use one of: {', '.join(sorted(regions))}")
        return name

    def check_kernels(self, kernels: str, cpu: str, facts: _CpuFacts):
        if kernels == "cmsis-nn" and facts.isa != "arm":
            self.fail("kernels", f"cmsis-nn needs an Arm Cortex-M cpu, not {cpu}", fix="use reference")
        if kernels == "esp-nn" and not cpu.startswith("esp32"):
            self.fail("kernels", f"esp-nn needs an ESP32-family cpu, not {cpu}", fix="use reference")

    def register_bit(self, value, path: str) -> RegisterBit:
        spec = self.mapping(value, path, ("register", "bit"))
        return RegisterBit(self.integer(spec["register"], f"{path}.register", minimum=0, maximum=_MAX_ADDRESS - 4),
                           self.integer(spec["bit"], f"{path}.bit", minimum=0, maximum=31))

    def console(self, value, facts: _CpuFacts) -> Console:
        if not isinstance(value, dict):
            self.fail("console", f"expected a mapping like {{type: semihosting}}, got {_show(value)}")
        if "type" not in value:
            self.fail("console.type", "missing required key")
        kind = self.choice(value["type"], "console.type", CONSOLE_TYPES)
        if kind in ("semihosting", "stdio"):
            self.mapping(value, "console", ("type",))
            if kind == "semihosting" and facts.isa != "arm":
                self.fail("console.type", "semihosting is only wired up for Arm targets")
            if (kind == "stdio") != (facts.isa == "host"):
                self.fail("console.type", "stdio is the host console; boards use semihosting or uart")
            return Console(type=kind)
        if facts.isa == "host":
            self.fail("console.type", "the host target prints to stdio")
        spec = self.mapping(value, "console", ("type", "driver", "peripheral", "base", "baud"),
                            ("clock_hz", "clock_enable", "tx"))
        driver = self.choice(spec["driver"], "console.driver", sorted(_UART_DRIVERS))
        needs_clock, needs_af = _UART_DRIVERS[driver]
        optional = ("clock_hz", "clock_enable", "tx")
        for key in optional:
            present = spec.get(key) is not None
            if needs_clock and not present:
                self.fail(f"console.{key}", f"missing required key (driver {driver} sets up the UART itself)")
            if not needs_clock and present:
                self.fail(f"console.{key}", f"not used by driver {driver} (the ROM has already set up the UART)")
        tx = None
        if spec.get("tx") is not None:
            pin = self.mapping(spec["tx"], "console.tx", ("port", "base", "pin", "clock_enable"), ("af",))
            af = pin.get("af")
            if needs_af and af is None:
                self.fail("console.tx.af", f"missing required key (driver {driver} selects the pin's alternate function)")
            if not needs_af and af is not None:
                self.fail("console.tx.af", f"driver {driver} has no alternate-function numbers")
            tx = UartPin(
                port=self.string(pin["port"], "console.tx.port", re.compile(r"^[A-K]$")),
                base=self.integer(pin["base"], "console.tx.base", minimum=0, maximum=_MAX_ADDRESS - 4),
                pin=self.integer(pin["pin"], "console.tx.pin", minimum=0, maximum=15),
                af=None if af is None else self.integer(af, "console.tx.af", minimum=0, maximum=15),
                clock_enable=self.register_bit(pin["clock_enable"], "console.tx.clock_enable"),
            )
        return Console(
            type="uart",
            driver=driver,
            peripheral=self.string(spec["peripheral"], "console.peripheral", _PERIPHERAL_RE),
            base=self.integer(spec["base"], "console.base", minimum=0, maximum=_MAX_ADDRESS - 4),
            baud=self.integer(spec["baud"], "console.baud", minimum=1),
            clock_hz=None if spec.get("clock_hz") is None else self.integer(spec["clock_hz"], "console.clock_hz", minimum=1),
            clock_enable=None if spec.get("clock_enable") is None
            else self.register_bit(spec["clock_enable"], "console.clock_enable"),
            tx=tx,
        )

    def emulator(self, value, facts: _CpuFacts) -> Emulator | None:
        if value is None:
            return None
        if facts.isa == "host":
            self.fail("emulator", "the host target runs natively; set emulator: null")
        spec = self.mapping(value, "emulator", ("qemu", "machine"))
        qemu = self.string(spec["qemu"], "emulator.qemu", _QEMU_RE)
        expected = {"arm": "qemu-system-arm", "riscv": "qemu-system-riscv32", "xtensa": "qemu-system-xtensa"}[facts.isa]
        if qemu != expected:
            self.fail("emulator.qemu", f"a {facts.isa} cpu runs in {expected}, not {qemu}")
        machine = self.string(spec["machine"], "emulator.machine", re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.,=-]*$"))
        return Emulator(qemu=qemu, machine=machine)
