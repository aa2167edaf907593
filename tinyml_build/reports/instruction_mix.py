"""Executed-instruction mix: how many instructions of each timing class a run executed.

Why: QEMU counts instructions, not cycles. A core's cycles depend on what ran -- a load costs two
cycles on a Cortex-M4, a taken branch three, an SMLAD one -- so the cycle model
(reports/cycle_model.py) needs the executed instructions split into the classes its timing tables
(reports/core_timings.yaml) give cycles for. The QEMU plugin (verification/icount/tml_icount.c, mix
mode) counts executions per guest address; here each address is classified once from the ELF's
disassembly (the toolchain's objdump) and the counts are summed per class.

Conditional branches: where the instruction after the branch can only be reached by falling through
it (it starts no symbol and no direct branch or call goes there), its count is exactly the branch's
not-taken count, and the rest of the branch's executions were taken. Elsewhere the rule is static: a
backward branch (a loop) counts as taken, a forward one as not taken. On Arm, a single load or store
right after another one (by address, not a direct branch target, not using the previous load's result
as its address) is `load_store_pipelined`: Cortex-M3/M4 overlap such neighbours (one cycle each).

    listing = disassemble(elf, "arm")                 # address -> Instruction
    mix = mix_of({0x1f0: 1000, ...}, listing, "arm")  # InstructionMix
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_build.errors import TinyMLError, ToolchainError

CLASSES = ("alu", "mul", "mul_long", "mac", "div", "load", "store", "load_store_pipelined", "load_multiple",
           "store_multiple", "branch_taken", "branch_not_taken", "call", "return", "fp", "fp_div", "simd", "other")

# isa -> the disassembler command (the ELF path is appended) and the Debian package that has it.
DISASSEMBLERS = {
    "arm": (("arm-none-eabi-objdump", "-d", "--no-show-raw-insn"), "binutils-arm-none-eabi"),
    "riscv": (("riscv64-unknown-elf-objdump", "-d", "--no-show-raw-insn"), "binutils-riscv64-unknown-elf"),
    "xtensa": (("llvm-objdump-22", "-d", "--no-show-raw-insn"), "llvm-22"),
}
_XTENSA_MCPU = {"esp32": "esp32", "esp32s3": "esp32"}  # llvm-objdump-22 knows no esp32s3; the twin runs esp32 code


@dataclass(frozen=True)
class Instruction:
    address: int
    size: int  # bytes
    mnemonic: str
    operands: str
    entry: bool = False  # a symbol starts here: it may be reached from anywhere (calls, pointers)


@dataclass
class InstructionMix:
    """Executed instructions per class; `registers` counts the registers the multiple-register classes
    moved (an LDM of 4 adds 4); `fetched_bytes` the bytes of the executed instructions; `unknown` the
    executions at addresses the disassembly has no instruction for (counted in `other`)."""

    counts: dict[str, float] = field(default_factory=dict)
    registers: dict[str, float] = field(default_factory=dict)
    fetched_bytes: float = 0
    unknown: float = 0
    branches_counted: float = 0  # conditional branches whose taken/not-taken split was counted
    branches_assumed: float = 0  # conditional branches split by the static rule
    flash_loads: float = 0  # data loads from the image's flash (constants, weights, literals), when counted

    @property
    def total(self) -> float:
        return sum(self.counts.values())

    def add(self, cls: str, count: float, registers: int = 0, size: int = 0) -> None:
        self.counts[cls] = self.counts.get(cls, 0) + count
        if registers:
            self.registers[cls] = self.registers.get(cls, 0) + registers * count
        self.fetched_bytes += size * count

    def merged(self, other: InstructionMix) -> InstructionMix:
        out = InstructionMix(dict(self.counts), dict(self.registers), self.fetched_bytes + other.fetched_bytes,
                             self.unknown + other.unknown, self.branches_counted + other.branches_counted,
                             self.branches_assumed + other.branches_assumed, self.flash_loads + other.flash_loads)
        for cls, n in other.counts.items():
            out.counts[cls] = out.counts.get(cls, 0) + n
        for cls, n in other.registers.items():
            out.registers[cls] = out.registers.get(cls, 0) + n
        return out

    def scaled(self, factor: float) -> InstructionMix:
        """Per inference from the sum over `1/factor` inferences."""
        return InstructionMix({c: n * factor for c, n in self.counts.items()},
                              {c: n * factor for c, n in self.registers.items()},
                              self.fetched_bytes * factor, self.unknown * factor, self.branches_counted * factor,
                              self.branches_assumed * factor, self.flash_loads * factor)

    def as_dict(self) -> dict:
        return {"counts": {c: self.counts[c] for c in CLASSES if self.counts.get(c)},
                "registers": {c: self.registers[c] for c in CLASSES if self.registers.get(c)},
                "fetched_bytes": self.fetched_bytes, "unknown": self.unknown,
                "branches_counted": self.branches_counted, "branches_assumed": self.branches_assumed,
                "flash_loads": self.flash_loads,
                "total": self.total}


# ---------------------------------------------------------------------------------------------
# Disassembly

_LINE = re.compile(r"^\s*([0-9a-f]+):\s+([a-z][\w.]*)\s*(.*)$")
_LABEL = re.compile(r"^([0-9a-f]+) <[^>]*>:\s*$")


def disassembler(isa: str, cpu: str = "") -> list[str]:
    """The disassembler command for `isa` (without the ELF), or ToolchainError naming the package."""
    if isa not in DISASSEMBLERS:
        raise TinyMLError(f"no instruction classification for the {isa} ISA", where=f"isa={isa}",
                          fix="profile an arm, riscv or xtensa image")
    command, package = DISASSEMBLERS[isa]
    if shutil.which(command[0]) is None:
        raise ToolchainError(f"{command[0]} not found on PATH (needed to classify executed instructions)",
                             fix=f"install it: sudo apt-get install {package}")
    extra = [f"--mcpu={_XTENSA_MCPU.get(cpu, 'esp32')}"] if isa == "xtensa" else []
    return [*command, *extra]


def parse_listing(text: str) -> dict[int, Instruction]:
    """address -> Instruction from an objdump -d --no-show-raw-insn listing; sizes from the next address."""
    rows, entries = [], set()
    for line in text.splitlines():
        label = _LABEL.match(line)
        if label:
            entries.add(int(label.group(1), 16))
            continue
        m = _LINE.match(line)
        if m and not m.group(2).startswith("."):  # .word/.short: literal data, never executed
            rows.append((int(m.group(1), 16), m.group(2).lower(), m.group(3).split(";")[0].split("@")[0].strip()))
    rows.sort()
    listing = {}
    for i, (address, mnemonic, operands) in enumerate(rows):
        nxt = rows[i + 1][0] if i + 1 < len(rows) else address + 4
        listing[address] = Instruction(address, max(1, min(nxt - address, 4)), mnemonic, operands,
                                       address in entries)
    return listing


def disassemble(elf: Path, isa: str, cpu: str = "") -> dict[int, Instruction]:
    """Every instruction of the ELF's code sections."""
    proc = subprocess.run([*disassembler(isa, cpu), str(elf)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError("the disassembler could not read the firmware", where=str(elf),
                             details=proc.stderr[-2000:], fix="pass the firmware's .elf, unstripped")
    return parse_listing(proc.stdout)


# ---------------------------------------------------------------------------------------------
# Classification: (class, registers moved)

_HEX = re.compile(r"(?:0x)?([0-9a-f]+)\b(?:\s*<[^>]*>)?\s*$")


def _branch_target(operands: str) -> int | None:
    m = _HEX.search(operands)
    return int(m.group(1), 16) if m else None


def _conditional(insn: Instruction) -> tuple[str, int]:
    target = _branch_target(insn.operands)
    backward = target is not None and target <= insn.address
    return ("branch_taken" if backward else "branch_not_taken"), 0


def _register_count(operands: str) -> int:
    """Registers in an Arm register list such as {r4-r7, lr} or {s16-s31} (a d register counts 2)."""
    m = re.search(r"\{([^}]*)\}", operands)
    if not m:
        return 1
    n = 0
    for part in m.group(1).split(","):
        part = part.strip()
        span = re.fullmatch(r"([rsdq])(\d+)-[rsdq](\d+)", part)
        width = 2 if part.startswith("d") else 4 if part.startswith("q") else 1
        n += (int(span.group(3)) - int(span.group(2)) + 1) * width if span else width if part else 0
    return max(n, 1)


_ARM_CONDS = "eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"
_ARM_COND_BRANCH = re.compile(rf"^(b(?:{_ARM_CONDS})|cbn?z)$")
_ARM_IT_SUFFIX = re.compile(rf"(.+?)({_ARM_CONDS})")
_ARM_CONDITIONAL_STEMS = {"bx", "blx", "pop", "push", "ldm", "ldmia", "stm", "stmia", "stmdb", "mul", "muls", "mla",
                          "umull", "smull", "umlal", "smlal", "sdiv", "udiv", "vdiv", "vsqrt"}
_ARM_MAC = re.compile(r"^(mla|mls|smla[bt][bt]|smlaw[bt]|smlal?d|smlal?dx|smlsl?d|smlsl?dx|smuad|smuadx|smusd|smusdx"
                      r"|smmla|smmlar|smmls|smmlsr|usada8)$")
_ARM_MUL_LONG = re.compile(r"^(umull|smull|umlal|smlal|umaal|smlal[bt][bt])$")
_ARM_MUL = re.compile(r"^(mul|smul[bt][bt]|smulw[bt]|smmul|smmulr)$")


def classify_arm(insn: Instruction) -> tuple[str, int]:
    name = insn.mnemonic.split(".")[0]
    ops = insn.operands
    if _ARM_COND_BRANCH.match(name):
        return _conditional(insn)
    stem = _ARM_IT_SUFFIX.fullmatch(name)  # an instruction of an IT block carries its condition: bxeq, popne
    if stem and stem.group(1) in _ARM_CONDITIONAL_STEMS:
        name = stem.group(1)
    base = name[:-1] if name.endswith("s") and name not in ("mls", "smmls", "vabs", "vcvts") else name
    if name in ("b",):
        return "branch_taken", 0
    if name in ("bl", "blx"):
        return "call", 0
    if name == "bx":
        return ("return", 0) if ops.strip() == "lr" else ("branch_taken", 0)
    if name in ("tbb", "tbh"):
        return "branch_taken", 0
    if name in ("pop", "ldm", "ldmia", "ldmfd", "ldmdb"):
        regs = _register_count(ops)
        return ("return", regs) if re.search(r"\bpc\b", ops) else ("load_multiple", regs)
    if name in ("push", "stm", "stmia", "stmea", "stmdb", "stmfd"):
        return "store_multiple", _register_count(ops)
    if name.startswith("ldr") and re.match(r"^pc\b", ops):
        return "return", 0
    if name in ("ldrd", "ldrexd"):
        return "load_multiple", 2
    if name in ("strd", "strexd"):
        return "store_multiple", 2
    if name.startswith("ld") and not name.startswith("ldc"):
        return "load", 0
    if name.startswith("st") and name not in ("stc",):
        return "store", 0
    if name in ("sdiv", "udiv"):
        return "div", 0
    if _ARM_MAC.match(base) or _ARM_MAC.match(name):
        return "mac", 0
    if _ARM_MUL_LONG.match(base) or _ARM_MUL_LONG.match(name):
        return "mul_long", 0
    if _ARM_MUL.match(base) or _ARM_MUL.match(name):
        return "mul", 0
    if name.startswith("v"):
        return _classify_arm_fp(name, ops)
    if name in ("le", "letp", "wls", "wlstp", "dls", "dlstp"):  # Armv8.1-M low-overhead loops
        return ("branch_taken", 0) if name.startswith("le") else ("other", 0)
    if name in ("it", "ite", "itt", "itee", "itet", "ittt", "itte", "ittee", "ittet", "itett", "iteee", "iteet",
                "itete", "itttt", "ittte", "itete", "nop", "dmb", "dsb", "isb", "svc", "bkpt", "wfi", "wfe", "sev",
                "cpsid", "cpsie", "mrs", "msr", "yield", "udf") or name.startswith("it"):
        return "other", 0
    return "alu", 0


def _classify_arm_fp(name: str, ops: str) -> tuple[str, int]:
    if re.search(r"\bq\d+\b", ops):  # MVE (Helium) vector instruction
        return "simd", 0
    if name in ("vpop", "vldm", "vldmia", "vldmdb"):
        return "load_multiple", _register_count(ops)
    if name in ("vpush", "vstm", "vstmia", "vstmdb"):
        return "store_multiple", _register_count(ops)
    if name == "vldr":
        return "load", 0
    if name == "vstr":
        return "store", 0
    if name in ("vdiv", "vsqrt"):
        return "fp_div", 0
    return "fp", 0


_RV_COND = re.compile(r"^(c\.)?(beq|bne|blt|bge|bltu|bgeu|beqz|bnez|blez|bgez|bltz|bgtz|bgt|ble|bgtu|bleu)$")


def classify_riscv(insn: Instruction) -> tuple[str, int]:
    name, ops = insn.mnemonic, insn.operands.replace(" ", "")
    bare = name[2:] if name.startswith("c.") else name
    if _RV_COND.match(name):
        return _conditional(insn)
    if bare == "ret" or (bare in ("jr", "jalr") and ops in ("ra", "zero,0(ra)", "x0,0(ra)", "zero,ra,0")):
        return "return", 0
    if bare in ("j", "jr"):
        return "branch_taken", 0
    if bare in ("jal", "jalr"):
        return ("branch_taken", 0) if ops.startswith(("zero,", "x0,")) else ("call", 0)
    if bare in ("mul",):
        return "mul", 0
    if bare in ("mulh", "mulhu", "mulhsu"):
        return "mul_long", 0
    if bare in ("div", "divu", "rem", "remu"):
        return "div", 0
    if bare in ("lb", "lh", "lw", "lbu", "lhu", "lwsp", "flw", "fld", "flwsp"):
        return "load", 0
    if bare in ("sb", "sh", "sw", "swsp", "fsw", "fsd", "fswsp"):
        return "store", 0
    if bare in ("ecall", "ebreak", "fence", "fence.i", "wfi", "mret", "nop") or bare.startswith("csr"):
        return "other", 0
    if bare.startswith("f"):
        return ("fp_div", 0) if bare.startswith(("fdiv", "fsqrt")) else ("fp", 0)
    return "alu", 0


_XT_COND = re.compile(r"^(beq|bne|bge|blt|bgeu|bltu|bany|bnone|ball|bnall|bbc|bbs|beqi|bnei|bgei|blti|bgeui|bltui"
                      r"|bbci|bbsi|beqz|bnez|bgez|bltz|bf|bt)(\.n)?$")


def classify_xtensa(insn: Instruction) -> tuple[str, int]:
    name = insn.mnemonic
    bare = name[:-2] if name.endswith(".n") else name
    if _XT_COND.match(name):
        return _conditional(insn)
    if bare in ("ret", "retw", "rfe", "rfi", "rfwo", "rfwu"):
        return "return", 0
    if bare in ("j", "jx"):
        return "branch_taken", 0
    if bare.startswith("call"):
        return "call", 0
    if bare.startswith("ee."):  # ESP32-S3 PIE vector instruction
        return "simd", 0
    if bare in ("l8ui", "l16si", "l16ui", "l32i", "l32r", "l32ai", "lsi", "lsip", "lsx", "lsxp", "l32e"):
        return "load", 0
    if bare in ("s8i", "s16i", "s32i", "s32ri", "s32c1i", "ssi", "ssip", "ssx", "ssxp", "s32e"):
        return "store", 0
    if bare in ("mull", "mul16s", "mul16u"):
        return "mul", 0
    if bare in ("muluh", "mulsh"):
        return "mul_long", 0
    if bare.startswith(("mula.", "muls.", "mul.")) or bare in ("umul.aa.ll",):
        return "mac", 0
    if bare in ("quos", "quou", "rems", "remu"):
        return "div", 0
    if bare.endswith(".s") or bare.endswith(".d") or bare in ("wfr", "rfr", "ufloat.s", "float.s"):
        return ("fp_div", 0) if bare.startswith(("div0", "sqrt0", "recip0", "rsqrt0")) else ("fp", 0)
    if bare in ("loop", "loopnez", "loopgtz", "nop", "memw", "extw", "isync", "rsync", "esync", "dsync", "rsr", "wsr",
                "xsr", "rsil", "waiti", "break", "simcall", "syscall", "ill", "excw"):
        return "other", 0
    return "alu", 0


CLASSIFIERS = {"arm": classify_arm, "riscv": classify_riscv, "xtensa": classify_xtensa}


_ARM_LDST = re.compile(r"^(ldr|str)(b|h|sb|sh)?$")


def _arm_pipelined(previous: Instruction, insn: Instruction) -> bool:
    """Whether `insn` (a single load/store right after `previous`, one too) overlaps it: not when its
    address register is what `previous` loaded (the address must wait for the data)."""
    names = [i.mnemonic.split(".")[0] for i in (previous, insn)]
    if not all(_ARM_LDST.match(n) for n in names) or "pc" in insn.operands.split("[")[-1]:
        return False
    base = re.search(r"\[\s*(\w+)", insn.operands)
    loaded = previous.operands.split(",")[0].strip()
    return not (names[0].startswith("ldr") and base is not None and base.group(1) == loaded)


_CONDITIONAL = {"arm": lambda i: bool(_ARM_COND_BRANCH.match(i.mnemonic.split(".")[0])),
                "riscv": lambda i: bool(_RV_COND.match(i.mnemonic)),
                "xtensa": lambda i: bool(_XT_COND.match(i.mnemonic))}


def _direct_targets(listing: dict[int, Instruction], classes: dict[int, tuple[str, int]]) -> set[int]:
    return {_branch_target(i.operands) for i in listing.values()
            if classes[i.address][0] in ("branch_taken", "branch_not_taken", "call")}


def fall_throughs(listing: dict[int, Instruction], isa: str,
                  classes: dict[int, tuple[str, int]] | None = None) -> dict[int, int]:
    """Conditional branch address -> the next instruction's address, for the branches whose next
    instruction has no other way in (see the module docstring): its count is the not-taken count."""
    classes = classify_listing(listing, isa) if classes is None else classes
    targets = _direct_targets(listing, classes)
    conditional = _CONDITIONAL[isa]
    out = {}
    for address, insn in listing.items():
        nxt = listing.get(address + insn.size)
        if nxt is not None and conditional(insn) and not nxt.entry and nxt.address not in targets:
            out[address] = nxt.address
    return out


def classify_listing(listing: dict[int, Instruction], isa: str) -> dict[int, tuple[str, int]]:
    """address -> (class, registers moved) for every instruction of the listing (see the module docstring)."""
    classify = CLASSIFIERS[isa]
    classes = {address: classify(insn) for address, insn in listing.items()}
    if isa != "arm":
        return classes
    targets = _direct_targets(listing, classes)
    previous = None
    for address in sorted(listing):
        insn = listing[address]
        if (previous is not None and previous.address + previous.size == address and address not in targets
                and classes[address][0] in ("load", "store") and classes[previous.address][0] in ("load", "store")
                and _arm_pipelined(previous, insn)):
            classes[address] = ("load_store_pipelined", 0)
        previous = insn
    return classes


def mix_of(counts: dict[int, int], listing: dict[int, Instruction], isa: str,
           classes: dict[int, tuple[str, int]] | None = None, falls: dict[int, int] | None = None) -> InstructionMix:
    """The mix of executions `counts` (address -> times executed) given the ELF's `listing` (and its
    classify_listing and fall_throughs, when already computed)."""
    classes = classify_listing(listing, isa) if classes is None else classes
    falls = fall_throughs(listing, isa, classes) if falls is None else falls
    conditional = _CONDITIONAL[isa]
    mix = InstructionMix()
    for address in sorted(counts):
        n = counts[address]
        insn = listing.get(address)
        if insn is None:
            mix.add("other", n)
            mix.unknown += n
            continue
        if address in falls:  # exact: the next instruction ran once per not-taken branch
            not_taken = min(n, counts.get(falls[address], 0))
            mix.add("branch_not_taken", not_taken, 0, insn.size)
            mix.add("branch_taken", n - not_taken, 0, insn.size)
            mix.branches_counted += n
            continue
        cls, registers = classes[address]
        mix.add(cls, n, registers, insn.size)
        if cls in ("branch_taken", "branch_not_taken") and conditional(insn):
            mix.branches_assumed += n
    return mix
