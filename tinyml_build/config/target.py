"""What a target is, for the rest of the build: the Target dataclass and its parts, and how a
checked targets/<name>.yaml becomes one (`target_from_data`).

The file format and its checks are in target_schema.py; loading (by name or path) is targets.py.
"""

from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.config.cpus import cpu_facts
from tinyml_build.errors import TargetError, suggest

FAMILIES = ("esp32", "host", "mps2", "mps3", "stm32")
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

# Toolchains the project can drive to a firmware image (a target may claim supports.image only with one).
IMAGE_TOOLCHAINS = ("arm-none-eabi-gcc", "clang-xtensa", "riscv64-unknown-elf-gcc")


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
    cpu: str | None = None  # its -cpu name, when not the machine's default
    twin: bool = False  # QEMU runs the image's objects linked for this machine, not the image (ESP targets)


@dataclass(frozen=True)
class Supports:
    """What the project builds for a target today: a firmware image; a `test` run (in an emulator,
    or natively for the host target, which builds no image but runs the host check)."""

    image: bool
    test: bool


@dataclass(frozen=True)
class FlashTiming:
    """Flash wait states at the target's clock_hz and what hides them (see target_schema.FlashTiming)."""

    wait_states: int
    accelerator: str  # none | prefetch | cache
    fetch_bytes: int
    reference: str


@dataclass(frozen=True)
class CurrentCitation:
    """Where a supply current was read (see target_schema.CurrentCitation); `verified` only when read
    in a stored copy of the datasheet."""

    document: str
    table: str
    conditions: str
    value: str  # typical | maximum | upper end of a range | single value, typ/max not stated
    verified: bool
    read_in: str | None = None
    note: str | None = None

    @property
    def text(self) -> str:
        """One line for the report: document, table, conditions, what kind of value, and its status."""
        status = f"verified, read in {self.read_in}" if self.verified else "UNVERIFIED"
        note = f"; {self.note}" if self.note else ""
        return f"{self.document}, {self.table}: {self.conditions} ({self.value}) [{status}{note}]"


@dataclass(frozen=True)
class Power:
    """Datasheet supply currents: running (at clock_hz) and sleeping between inferences."""

    run_ma: float
    sleep_ma: float
    voltage_v: float
    run: CurrentCitation
    sleep: CurrentCitation

    @property
    def unverified(self) -> tuple[str, ...]:
        """Which figures were not read in a copy of the datasheet: ("run current", "sleep current")."""
        return tuple(name for name, cited in (("run current", self.run), ("sleep current", self.sleep))
                     if not cited.verified)


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
    flash_timing: FlashTiming | None = None  # None: code runs from zero-wait-state memory
    power: Power | None = None
    no_power_data: str | None = None  # why there is no power: (an FPGA board, no datasheet copy found)
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
        return cpu_facts(self.cpu).isa

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


def target_from_data(data: dict, source: str, path: Path | None = None) -> Target:
    """The Target of a target file's data, already checked by target_schema (whitespace in the
    description and vendor note folded, regions sorted by origin, model_region defaulting to flash)."""
    console = dict(data["console"])
    for key in ("clock_enable",):
        if console.get(key) is not None:
            console[key] = RegisterBit(**console[key])
    if console.get("tx") is not None:
        tx = dict(console["tx"])
        tx["clock_enable"] = RegisterBit(**tx["clock_enable"])
        console["tx"] = UartPin(**{"af": None, **tx})
    memory = sorted((MemoryRegion(name, **spec) for name, spec in data["memory"].items()),
                    key=lambda r: (r.origin, r.name))
    emulator = data["emulator"]
    vendor_note = data.get("vendor_note")
    return Target(
        name=data["name"], description=" ".join(data["description"].split()), family=data["family"],
        cpu=data["cpu"], fpu=data["fpu"], float_abi=data["float_abi"], arch_flags=tuple(data["arch_flags"]),
        dsp=data["dsp"], mve=data["mve"], clock_hz=data["clock_hz"], memory=tuple(memory),
        arena_region=data["arena_region"], stack_size=data["stack_size"], heap_size=data["heap_size"],
        toolchain=data["toolchain"], kernels=data["kernels"], console=Console(**console),
        cycle_timer=data["cycle_timer"], emulator=None if emulator is None else Emulator(**emulator),
        supports=Supports(**data["supports"]),
        model_region="flash" if data.get("model_region") is None else data["model_region"],
        model_section=data.get("model_section"),
        vendor_note=None if vendor_note is None else " ".join(vendor_note.split()),
        flash_timing=None if data.get("flash_timing") is None else FlashTiming(**data["flash_timing"]),
        power=None if data.get("power") is None else _power(data["power"]),
        no_power_data=None if data.get("no_power_data") is None else " ".join(data["no_power_data"].split()),
        source=source, path=path,
    )


def _power(data: dict) -> Power:
    """Power of a checked `power:` mapping, the citations' text folded to single spaces."""
    def cited(spec: dict) -> CurrentCitation:
        return CurrentCitation(**{k: " ".join(v.split()) if isinstance(v, str) else v for k, v in spec.items()})

    return Power(run_ma=data["run_ma"], sleep_ma=data["sleep_ma"], voltage_v=data["voltage_v"],
                 run=cited(data["run"]), sleep=cited(data["sleep"]))
