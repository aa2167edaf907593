"""The schema of targets/<name>.yaml (the keys are described in targets.py's docstring).

Each key's type and range is declared below; the rules across keys -- cpu, fpu, float_abi and
arch_flags agree with config/cpus.yaml, regions do not overlap, the arena lives in a data region,
stack and heap fit in ram, the console driver gets what it needs, the emulator runs the cpu's ISA,
supports: matches the toolchain and emulator, the kernel library suits the cpu -- are the
validators of TargetFile, in the order a reader of the file meets the keys.
"""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, create_model, model_validator

from tinyml_build.analysis.op_inventory import KERNEL_CHOICES
from tinyml_build.config.cpus import CYCLE_TIMERS, TOOLCHAINS, CpuFacts, cpu_table
from tinyml_build.config.cpus_schema import Flag
from tinyml_build.config.schema_base import NonEmpty, NonNegativeInt, PositiveInt, Says, Schema, invalid, validate
from tinyml_build.config.target import FAMILIES, IMAGE_TOOLCHAINS, REGION_NAMES, REQUIRED_REGIONS
from tinyml_build.errors import TargetError

MAX_ADDRESS = 1 << 32

# console driver: (needs clock_hz, clock_enable and tx; needs tx.af)
UART_DRIVERS = {
    "stm32f1-usart": (True, False),  # SR/DR/BRR/CR1 USART, CRL/CRH GPIO (no AF numbers)
    "stm32f4-usart": (True, True),  # SR/DR/BRR/CR1 USART, MODER/AFR GPIO
    "stm32-usart-isr": (True, True),  # CR1/BRR/ISR/TDR USART (H7, U5, L4...), MODER/AFR GPIO
    "esp-rom-uart": (False, False),  # UART0 already set up by the ESP ROM bootloader
}
FAMILY_ISA = {"stm32": "arm", "mps2": "arm", "mps3": "arm", "host": "host"}  # esp32: an esp32* cpu
EMULATOR_FOR_ISA = {"arm": "qemu-system-arm", "riscv": "qemu-system-riscv32", "xtensa": "qemu-system-xtensa"}


def _pattern(regex: str) -> StringConstraints:
    return StringConstraints(pattern=regex)


Register = Annotated[int, Field(ge=0, le=MAX_ADDRESS - 4)]
Bit = Annotated[int, Field(ge=0, le=31)]
PinNumber = Annotated[int, Field(ge=0, le=15)]


class Region(Schema):
    origin: NonNegativeInt
    size: PositiveInt
    executable: bool  # the build may place code here
    data: bool  # read-write data (and the arena) may live here


# memory: one optional key per REGION_NAMES entry; flash and ram required
Memory = create_model("Memory", __base__=Schema,
                      **{name: (Region, ...) if name in REQUIRED_REGIONS else (Region, None) for name in REGION_NAMES})


class RegisterBit(Schema):
    register_: Register = Field(alias="register")
    bit: Bit


class UartPin(Schema):
    port: Annotated[str, _pattern(r"^[A-K]$")]
    base: Register
    pin: PinNumber
    af: PinNumber | None = None
    clock_enable: RegisterBit


class Semihosting(Schema):
    type: Literal["semihosting"]


class Stdio(Schema):
    type: Literal["stdio"]


class Uart(Schema):
    type: Literal["uart"]
    driver: Literal[tuple(sorted(UART_DRIVERS))]
    peripheral: Annotated[str, _pattern(r"^[A-Z][A-Z0-9_]*$")]
    base: Register
    baud: PositiveInt
    clock_hz: PositiveInt | None = None  # UART kernel clock with the reset clock tree
    clock_enable: RegisterBit | None = None
    tx: UartPin | None = None

    @model_validator(mode="after")
    def _driver_gets_what_it_needs(self):
        needs_clock, needs_af = UART_DRIVERS[self.driver]
        for key in ("clock_hz", "clock_enable", "tx"):
            present = getattr(self, key) is not None
            if needs_clock and not present:
                raise invalid(f"missing required key (driver {self.driver} sets up the UART itself)", at=(key,))
            if not needs_clock and present:
                raise invalid(f"not used by driver {self.driver} (the ROM has already set up the UART)", at=(key,))
        if self.tx is not None and needs_af and self.tx.af is None:
            raise invalid(f"missing required key (driver {self.driver} selects the pin's alternate function)",
                          at=("tx", "af"))
        if self.tx is not None and not needs_af and self.tx.af is not None:
            raise invalid(f"driver {self.driver} has no alternate-function numbers", at=("tx", "af"))
        return self


class Emulator(Schema):
    qemu: Annotated[str, _pattern(r"^qemu-system-[a-z0-9_]+$")]
    machine: Annotated[str, _pattern(r"^[A-Za-z0-9][A-Za-z0-9_.,=-]*$")]
    cpu: Annotated[str, _pattern(r"^[A-Za-z0-9][A-Za-z0-9_.,=-]*$")] | None = None
    # true: QEMU runs the image's objects linked for this machine (an ISA twin), not the image itself
    twin: bool = False


class Supports(Schema):
    image: bool
    test: bool


FLASH_ACCELERATORS = ("none", "prefetch", "cache")


class FlashTiming(Schema):
    """Flash access at clock_hz, for the cycle estimate (reports/cycle_model.py): the datasheet's wait
    states, what hides them (a prefetch buffer, or a cache/ART accelerator) and where that is written."""

    wait_states: Annotated[int, Field(ge=0, le=15)]
    accelerator: Literal[FLASH_ACCELERATORS]
    fetch_bytes: Annotated[int, Field(ge=2, le=64)]  # bytes one flash read returns (the line the WS are paid for)
    reference: NonEmpty


PositiveMilliamps = Annotated[float, Field(gt=0, le=10000)]


CURRENT_KINDS = ("typical", "maximum", "upper end of a range", "single value, typ/max not stated")


class CurrentCitation(Schema):
    """Where one supply current was read, so the report can say how far to trust it: a figure read
    in a stored copy of the datasheet is `verified` (read_in says where); any other is not, and
    `note` says why."""

    document: NonEmpty  # datasheet or manual, with its revision when the copy shows it
    table: NonEmpty  # table number and title
    conditions: NonEmpty  # mode, clock, supply, temperature, peripherals, flash/cache state
    value: Literal[CURRENT_KINDS]
    verified: bool
    read_in: NonEmpty | None = None  # the stored copy the figure was read in
    note: NonEmpty | None = None  # why it is unverified; caveats of a verified one

    @model_validator(mode="after")
    def _says_where_or_why(self):
        if self.verified and self.read_in is None:
            raise invalid("a verified figure says where it was read", at=("read_in",),
                          fix="give read_in: the copy of the datasheet the figure was read in, or verified: false")
        if not self.verified and self.note is None:
            raise invalid("an unverified figure says why", at=("note",),
                          fix="give note: why the figure could not be checked against the datasheet")
        return self


class Power(Schema):
    """Supply current from the datasheet, for the report's energy step (reports/fit/power.py)."""

    run_ma: PositiveMilliamps  # running the model at clock_hz
    sleep_ma: Annotated[float, Field(ge=0, le=10000)]  # waiting for the next inference
    voltage_v: Annotated[float, Field(gt=0, le=12)]
    run: CurrentCitation
    sleep: CurrentCitation


class TargetFile(Schema):
    name: Annotated[str, _pattern(r"^[a-z0-9][a-z0-9_-]*$")]
    description: NonEmpty
    family: Literal[FAMILIES]
    cpu: Literal[tuple(cpu_table())]
    fpu: NonEmpty
    float_abi: NonEmpty
    arch_flags: Annotated[list[Flag], Says("a list of compiler flags",
                                           fix="write each flag as its own list item: [-mcpu=cortex-m4, -mthumb]")]
    dsp: bool
    mve: bool
    clock_hz: PositiveInt | None
    memory: Memory
    arena_region: NonEmpty
    stack_size: PositiveInt
    heap_size: NonNegativeInt
    toolchain: Literal[TOOLCHAINS]
    kernels: Literal[KERNEL_CHOICES]
    console: Annotated[Semihosting | Stdio | Uart, Field(discriminator="type"),
                       Says("a mapping like {type: semihosting}")]
    cycle_timer: Literal[CYCLE_TIMERS]
    emulator: Emulator | None
    supports: Supports
    model_region: NonEmpty | None = None
    model_section: Annotated[str, _pattern(r"^\.[A-Za-z_][A-Za-z0-9_.]*$")] | None = None
    vendor_note: NonEmpty | None = None
    flash_timing: FlashTiming | None = None
    power: Power | None = None
    no_power_data: NonEmpty | None = None  # why a target without power: has none (the report says it)

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data, handler, info: ValidationInfo):
        target = handler(data)
        facts = cpu_table()[target.cpu]
        target._check_identity((info.context or {}).get("stem"))
        target._check_cpu(facts)
        target._check_memory(list(data["memory"]), facts)
        target._check_toolchain(facts)
        target._check_console(facts)
        target._check_emulator(facts)
        target._check_power()
        return target

    def _check_identity(self, stem: str | None):
        if stem is not None and self.name != stem:
            raise invalid(f"'{self.name}' does not match the file name '{stem}.yaml'", at=("name",),
                          fix=f"rename the file or set name: {stem}")
        if "\n" in self.description.strip():
            raise invalid("must be one line", at=("description",))

    def _check_cpu(self, facts: CpuFacts):
        cpu, fpu = self.cpu, self.fpu
        if self.family == "esp32" and not cpu.startswith("esp32"):
            raise invalid(f"family esp32 needs an esp32* cpu, got {cpu}", at=("cpu",))
        isa = FAMILY_ISA.get(self.family)
        if isa is not None and facts.isa != isa:
            raise invalid(f"family {self.family} needs a{'n' if isa == 'arm' else ''} {isa} cpu, got {cpu}",
                          at=("cpu",))
        if fpu not in facts.fpus:
            raise invalid(f"unknown value '{fpu}' for cpu {cpu}", at=("fpu",),
                          fix=f"use one of: {', '.join(facts.fpus)}")
        float_abis = _float_abis(fpu, facts)
        if self.float_abi not in float_abis:
            raise invalid(f"unknown value '{self.float_abi}' for fpu {fpu}", at=("float_abi",),
                          fix=f"use one of: {', '.join(float_abis)}")
        if self.dsp and not facts.dsp_possible:
            raise invalid(f"{cpu} has no DSP extension", at=("dsp",))
        if self.mve and not facts.mve_possible:
            raise invalid(f"{cpu} has no M-profile vector extension (MVE)", at=("mve",))
        if fpu == "mve-fp" and not self.mve:
            raise invalid("fpu mve-fp includes MVE, so mve must be true", at=("mve",))
        self._check_arch_flags(facts)
        if self.clock_hz is None and facts.isa != "host":
            raise invalid("expected an integer (the rated core clock in Hz), got null", at=("clock_hz",),
                          fix="only the host target has clock_hz: null")
        if self.flash_timing is not None and facts.isa == "host":
            raise invalid("the host has no flash to wait for", at=("flash_timing",), fix="drop flash_timing")

    def _check_arch_flags(self, facts: CpuFacts):
        flags, required = self.arch_flags, list(facts.required_flags)
        said = f"cpu {self.cpu}, fpu {self.fpu}, float_abi {self.float_abi}"
        if facts.isa == "arm":
            required.append(f"-mfloat-abi={self.float_abi}")
            if self.fpu != "none":
                required.append("-mfpu=auto" if self.fpu == "mve-fp" else f"-mfpu={self.fpu}")
        for needed in required:
            if not any(f == needed or f.startswith(needed + "+")
                       or (needed.startswith("-march=") and f.startswith(needed)) for f in flags):
                raise invalid(f"missing {needed} (implied by {said})", at=("arch_flags",))
        mismatched = [f for f in flags if f.startswith(("-mcpu=", "-mfpu=", "-mfloat-abi="))
                      and not any(f == n or f.startswith(n + "+") for n in required)]
        if mismatched:
            raise invalid(f"{mismatched[0]} contradicts {said}", at=("arch_flags",))

    def _check_memory(self, order: list[str], facts: CpuFacts):
        regions = {name: getattr(self.memory, name) for name in order}
        for name, r in regions.items():
            if r.origin + r.size > MAX_ADDRESS:
                raise invalid(f"0x{r.origin:08X} + 0x{r.size:X} runs past the 4 GB address space", at=("memory", name))
        for i, first in enumerate(order):
            for second in order[i + 1:]:
                a, b = regions[first], regions[second]
                if a.origin < b.origin + b.size and b.origin < a.origin + a.size:
                    raise invalid(f"0x{b.origin:08X}-0x{b.origin + b.size - 1:08X} overlaps memory.{first} "
                                  f"(0x{a.origin:08X}-0x{a.origin + a.size - 1:08X})", at=("memory", second))
        if not regions["ram"].data:
            raise invalid("ram must have data: true", at=("memory", "ram", "data"))
        for key, name in (("arena_region", self.arena_region), ("model_region", self.model_region or "flash")):
            if name not in regions:
                raise invalid(f"'{name}' is not a memory region of this target", at=(key,),
                              fix=f"use one of: {', '.join(sorted(regions))}")
            if key == "arena_region" and not regions[name].data:
                raise invalid(f"region '{name}' has data: false, so it cannot hold the arena", at=(key,))
        if self.stack_size + self.heap_size >= regions["ram"].size:
            raise invalid(f"stack_size + heap_size ({self.stack_size + self.heap_size} bytes) leaves no room in "
                          f"memory.ram ({regions['ram'].size} bytes)", at=("stack_size",))

    def _check_toolchain(self, facts: CpuFacts):
        if self.toolchain != facts.toolchain:
            raise invalid(f"{self.cpu} is built with {facts.toolchain}, not {self.toolchain}", at=("toolchain",))
        if self.kernels == "cmsis-nn" and facts.isa != "arm":
            raise invalid(f"cmsis-nn needs an Arm Cortex-M cpu, not {self.cpu}", at=("kernels",), fix="use reference")
        if self.kernels == "esp-nn" and not self.cpu.startswith("esp32"):
            raise invalid(f"esp-nn needs an ESP32-family cpu, not {self.cpu}", at=("kernels",), fix="use reference")

    def _check_console(self, facts: CpuFacts):
        kind = self.console.type
        if kind == "semihosting" and facts.isa != "arm":
            raise invalid("semihosting is only wired up for Arm targets", at=("console", "type"))
        if kind != "uart" and (kind == "stdio") != (facts.isa == "host"):
            raise invalid("stdio is the host console; boards use semihosting or uart", at=("console", "type"))
        if kind == "uart" and facts.isa == "host":
            raise invalid("the host target prints to stdio", at=("console", "type"))
        if self.cycle_timer not in facts.cycle_timers:
            raise invalid(f"{self.cpu} has no '{self.cycle_timer}' counter (valid: {', '.join(facts.cycle_timers)})",
                          at=("cycle_timer",))

    def _check_emulator(self, facts: CpuFacts):
        if self.emulator is not None:
            if facts.isa == "host":
                raise invalid("the host target runs natively; set emulator: null", at=("emulator",))
            expected = EMULATOR_FOR_ISA[facts.isa]
            if self.emulator.qemu != expected:
                raise invalid(f"a{'n' if facts.isa[0] in 'aeiou' else ''} {facts.isa} cpu runs in {expected}, "
                              f"not {self.emulator.qemu}", at=("emulator", "qemu"),
                              fix=f"set emulator.qemu: {expected}")
            if self.emulator.twin != (self.family == "esp32"):
                raise invalid("no QEMU here models an ESP32 chip: ESP targets test on an ISA twin (twin: true); "
                              "other targets run their own image (twin: false)" if self.family == "esp32" else
                              "only ESP targets test on an emulator twin", at=("emulator", "twin"),
                              fix=f"set emulator.twin: {'true' if self.family == 'esp32' else 'false'}")
        image, test = self.supports.image, self.supports.test
        if image and self.toolchain not in IMAGE_TOOLCHAINS:
            raise invalid(f"the project cannot build images with {self.toolchain} yet", at=("supports", "image"),
                          fix=f"set supports.image: false (image toolchains: {', '.join(IMAGE_TOOLCHAINS)})")
        if facts.isa == "host":
            if image:
                raise invalid("the host target builds no firmware image", at=("supports", "image"),
                              fix="set supports.image: false")
        elif test and not (image and self.emulator is not None):
            raise invalid("`test` runs the image in the target's emulator: it needs supports.image: true "
                          "and an emulator", at=("supports", "test"), fix="set supports.test: false")


    def _check_power(self):
        if self.power is not None and self.no_power_data is not None:
            raise invalid("a target with power: data has no reason for having none", at=("no_power_data",),
                          fix="remove no_power_data")
        if self.power is not None and self.power.sleep_ma > self.power.run_ma:
            raise invalid(f"sleep_ma ({self.power.sleep_ma:g}) is above run_ma ({self.power.run_ma:g})",
                          at=("power", "sleep_ma"))


def _float_abis(fpu: str, facts: CpuFacts) -> tuple[str, ...]:
    if facts.isa == "host":
        return ("native",)
    if fpu == "none":
        return ("soft",)
    if facts.isa == "xtensa":
        return ("softfp",)  # FPU instructions, floats passed in integer registers
    return ("hard", "softfp")


def check(data, shown: str, stem: str) -> None:
    """TargetError for the first problem of a target file's data (`stem`: its file name without .yaml)."""
    validate(TargetFile, data, shown, TargetError, context={"stem": stem},
             empty_fix="start from a copy of an existing target file")
