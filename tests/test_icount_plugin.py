"""The instruction-count plugin (tinyml_build/verification/icount_plugin.py, icount/tml_icount.c) counts exactly.

Tiny bare-metal programs (hand-written assembly, no C library) open K windows around a loop of N
iterations and a faulting instruction whose handler is the skip range, on qemu-system-arm
(mps2-an386), qemu-system-riscv32 (virt) and qemu-system-xtensa (sim, de233_fpu); the expected counts
come from the programs' disassembly (objdump) and symbols (nm), never from running the plugin.
Skipped without gcc (the plugin) or the assembler, linker, binutils or QEMU of an architecture.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tinyml_build.errors import TinyMLError, ToolchainError
from tinyml_build.verification import icount_plugin
from tinyml_build.verification.icount_plugin import (
    LOG_OPTIONS,
    ICount,
    build_plugin,
    parse_icount,
    per_inference,
    plugin_argument,
)

WINDOWS = 4  # K
ITERATIONS = 1000  # N

# The window body: a call to `spin` (a loop of N iterations) and to `faulting_fn`, whose load in the
# middle of a translation block faults; the handler `trap` skips it (the Xtensa twin emulates
# muluh/mulsh this way) and is the skip range of the second run. A counter per translation block
# would count the rest of the block twice. Labels mark every straight-line stretch the test counts.
ARM_PROGRAM = """
  .syntax unified
  .thumb
  .text
  .word 0x20001000          @ initial SP (mps2-an386 SRAM), the reset, NMI and HardFault vectors
  .word reset
  .word trap
  .word trap
  .thumb_func
  .global reset
reset:
  ldr r4, ={windows}
outer:
  bl tml_profile_begin
win_start:
  ldr r0, ={iterations}
  bl spin
  bl faulting_fn
  bl tml_profile_end
win_stop:
  subs r4, #1
  bne outer
exit_seq:
  mov r0, #0x18             @ semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
  ldr r1, =0x20026
  bkpt 0xab
exit_end:
  b .
  .ltorg
  .thumb_func
  .global tml_profile_begin
tml_profile_begin:
  bx lr
begin_done:
  .thumb_func
  .global tml_profile_end
tml_profile_end:
  bx lr
end_done:
  .thumb_func
spin:
  nop
spin_loop:
  nop
  nop
  subs r0, #1
  bne spin_loop
spin_tail:
  bx lr
spin_done:
  .thumb_func
faulting_fn:
  ldr r1, =0xf0000000       @ unmapped: the load raises a BusFault (escalated to HardFault)
  nop
  ldr.w r2, [r1]            @ 4 bytes: the handler resumes after it
  nop
  nop
  bx lr
  .ltorg
faulting_fn_end:
  .thumb_func
trap:                       @ skips the faulting instruction (stacked PC += 4), like the muluh emulation
  ldr r0, [sp, #24]
  adds r0, #4
  str r0, [sp, #24]
  bx lr
trap_end:
"""

RISCV_PROGRAM = """
  .text
  .global _start
_start:
reset:
  la t0, trap
  csrw mtvec, t0
  li s0, {windows}
outer:
  jal tml_profile_begin
win_start:
  li a0, {iterations}
  jal spin
  jal faulting_fn
  jal tml_profile_end
win_stop:
  addi s0, s0, -1
  bnez s0, outer
exit_seq:
  li a0, 0x18               # semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
  li a1, 0x20026
  .option push
  .option norvc             # the semihosting trap is this exact uncompressed three-instruction sequence
  slli x0, x0, 0x1f
  ebreak
exit_end:
  srai x0, x0, 7
  .option pop
hang:
  j hang
  .global tml_profile_begin
tml_profile_begin:
  ret
begin_done:
  .global tml_profile_end
tml_profile_end:
  ret
end_done:
spin:
  nop
spin_loop:
  nop
  nop
  addi a0, a0, -1
  bnez a0, spin_loop
spin_tail:
  ret
spin_done:
faulting_fn:
  nop
  .option push
  .option norvc
  lw t1, 0(zero)            # address 0 is unmapped on virt: a load access fault
  .option pop
  nop
  nop
  ret
faulting_fn_end:
  .balign 4
trap:                       # skips the faulting instruction (mepc += 4), like the muluh emulation
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
trap_end:
"""

# Xtensa (ESP32-like de233_fpu on the sim machine, which starts at its reset vector 0xFE000000): a
# zero-overhead `loop` and the twin's real case, muluh, which de233_fpu lacks (illegal instruction,
# EXCCAUSE 0) and whose handler at the user exception vector skips it.
XTENSA_PROGRAM = """
  .text
  .global _start
_start:
reset:
  movi a2, 0x20             # PS: UM=1, EXCM=0 (loops loop back; exceptions take the user vector)
  wsr a2, ps
  movi a2, 0x7f
  slli a2, a2, 25
  addmi a2, a2, 0x400       # VECBASE = 0xFE000400
  wsr a2, vecbase
  rsync
  movi a4, {windows}
outer:
  call0 tml_profile_begin
win_start:
  movi a2, {iterations}
  call0 spin
  call0 faulting_fn
  call0 tml_profile_end
win_stop:
  addi a4, a4, -1
  bnez a4, outer
exit_seq:
  movi a2, 1                # semihosting exit(0)
  movi a3, 0
  .byte 0x00, 0x51, 0x00    # simcall
exit_end:
  j exit_end
  .align 4
  .global tml_profile_begin
tml_profile_begin:
  ret
begin_done:
  .align 4
  .global tml_profile_end
tml_profile_end:
  ret
end_done:
  .align 4
spin:
  loop a2, spin_tail
spin_loop:
  nop
  nop
  addi a5, a5, 1
spin_tail:
  ret
spin_done:
  .align 4
faulting_fn:
  nop
  muluh a7, a5, a5          # not in de233_fpu: illegal instruction exception
  nop
  nop
  ret
faulting_fn_end:
  .org 0x740                # VECBASE + 0x340: the user exception vector
trap:                       # skips the 3-byte muluh (EPC1 += 3), where the twin emulates it
  rsr a6, epc1
  addi a6, a6, 3
  wsr a6, epc1
  rfe
trap_end:
"""


@dataclass(frozen=True)
class Arch:
    name: str
    program: str
    build: tuple[tuple[str, ...], ...]  # commands; {src}, {obj}, {elf} stand for the files
    objdump: str
    nm: str
    qemu: tuple[str, ...]  # the emulator and its machine options
    boot_instructions: int  # executed by the machine before the program's first instruction


ARCHES = {
    "arm": Arch("arm", ARM_PROGRAM,
                (("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-Wl,-Ttext=0x0", "-Wl,-ereset",
                  "-o", "{elf}", "{src}"),),
                "arm-none-eabi-objdump", "arm-none-eabi-nm",
                ("qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-icount", "shift=0,align=off,sleep=off",
                 "-semihosting-config", "enable=on,target=native"), 0),
    # virt with -bios none: its reset ROM (6 instructions on rv32: find the DTB, load the start address,
    # jump; QEMU hw/riscv/boot.c riscv_setup_rom_reset_vec) runs before the kernel's first instruction.
    "riscv": Arch("riscv", RISCV_PROGRAM,
                  (("riscv64-unknown-elf-gcc", "-march=rv32imc_zicsr", "-mabi=ilp32", "-nostdlib",
                    "-Wl,-Ttext=0x80000000", "-Wl,--no-relax", "-o", "{elf}", "{src}"),),
                  "riscv64-unknown-elf-objdump", "riscv64-unknown-elf-nm",
                  ("qemu-system-riscv32", "-M", "virt", "-cpu", "rv32,a=false,f=false,d=false", "-bios", "none",
                   "-icount", "shift=0", "-semihosting-config", "enable=on,target=native"), 6),
    "xtensa": Arch("xtensa", XTENSA_PROGRAM,
                   (("llvm-mc-22", "--triple=xtensa", "-mcpu=esp32", "-mattr=+mul32high", "-filetype=obj", "-o",
                     "{obj}", "{src}"),
                    ("xtensa-lx106-elf-ld", "-Ttext=0xFE000000", "-e", "_start", "-o", "{elf}", "{obj}")),
                   "llvm-objdump-22", "xtensa-lx106-elf-nm",
                   ("qemu-system-xtensa", "-M", "sim", "-cpu", "de233_fpu", "-m", "2G", "-serial", "none",
                    "-semihosting", "-icount", "shift=0"), 0),
}


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed (the host compiler that builds the plugin; apt-get install gcc)")
    return build_plugin(tmp_path_factory.mktemp("plugin-cache"))


def _require(arch: Arch) -> None:
    names = [command[0] for command in arch.build] + [arch.objdump, arch.nm, arch.qemu[0]]
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


def _build(arch: Arch, folder: Path) -> Path:
    _require(arch)
    files = {"src": folder / f"{arch.name}.S", "obj": folder / f"{arch.name}.o", "elf": folder / f"{arch.name}.elf"}
    files["src"].write_text(arch.program.format(windows=WINDOWS, iterations=ITERATIONS))
    for command in arch.build:
        argv = [str(files[a[1:-1]]) if a[1:-1] in files and a.startswith("{") else a for a in command]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
    return files["elf"]


def _nm(nm: str, elf: Path) -> dict[str, int]:
    table = subprocess.run([nm, "--defined-only", str(elf)], check=True, capture_output=True, text=True).stdout
    return {name: int(value, 16) for value, _kind, name in (line.split() for line in table.splitlines())}


def _counter(objdump: str, nm: str, elf: Path):
    """count(a, b): the instructions (not literal data) from symbol a up to symbol b, from the disassembly."""
    listing = subprocess.run([objdump, "-d", str(elf)], check=True, capture_output=True, text=True).stdout
    addresses = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+[0-9a-f]+(?: [0-9a-f]+)?\s+([^\s.]\S*)",
                                                          listing, re.M)]
    symbols = {name: value & ~1 for name, value in _nm(nm, elf).items()}

    def count(first: str, past: str) -> int:
        return sum(symbols[first] <= a < symbols[past] for a in addresses)
    return count


def _expected(arch: Arch, count) -> tuple[int, int, int]:
    """(instructions per window, of which in the handler `trap`, total): from the program's structure."""
    spin = count("spin", "spin_loop") + ITERATIONS * count("spin_loop", "spin_tail") + count("spin_tail", "spin_done")
    skipped = count("trap", "trap_end")  # the faulting load itself counts once: it started
    body = count("faulting_fn", "faulting_fn_end")
    # A window: the rest of tml_profile_begin after its first instruction, the body up to and with the
    # call of tml_profile_end (whose first instruction closes the window).
    window = count("tml_profile_begin", "begin_done") - 1 + count("win_start", "win_stop") + spin + body + skipped
    per_round = (count("outer", "win_start") + 1 + window + count("tml_profile_end", "end_done")
                 + count("win_stop", "exit_seq"))
    total = arch.boot_instructions + count("reset", "outer") + WINDOWS * per_round + count("exit_seq", "exit_end")
    return window, skipped, total


def _run(arch: Arch, elf: Path, plugin_arg: str | None) -> subprocess.CompletedProcess:
    argv = [*arch.qemu, "-display", "none", "-monitor", "none", "-nodefaults", "-kernel", str(elf)]
    if plugin_arg is not None:
        argv += ["-plugin", plugin_arg, *LOG_OPTIONS]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.qemu
@pytest.mark.parametrize("arch_name", sorted(ARCHES))
def test_counts_are_exact(arch_name, plugin, tmp_path):
    arch = ARCHES[arch_name]
    elf = _build(arch, tmp_path)
    count = _counter(arch.objdump, arch.nm, elf)
    window, skipped, total = _expected(arch, count)
    assert window > ITERATIONS * 3 and skipped == 4 and count("faulting_fn", "faulting_fn_end") >= 5

    plain = _run(arch, elf, plugin_argument(plugin, elf))
    assert plain.returncode == 0, plain.stderr
    assert parse_icount(plain.stderr) == ICount(WINDOWS, WINDOWS * window, total)
    assert per_inference(parse_icount(plain.stderr)) == window

    skipping = _run(arch, elf, plugin_argument(plugin, elf, skip_symbols=("trap", "trap_end")))
    assert skipping.returncode == 0, skipping.stderr
    assert parse_icount(skipping.stderr) == ICount(WINDOWS, WINDOWS * (window - skipped), total)


@pytest.mark.qemu
def test_report_marker_prints_the_windows_since_the_last_report(plugin, tmp_path):
    """tml_profile_report() (one call per model) gives that model's windows: here the first
    instruction after the last window stands in for it."""
    arch = ARCHES["arm"]
    elf = _build(arch, tmp_path)
    count = _counter(arch.objdump, arch.nm, elf)
    window, _skipped, _total = _expected(arch, count)
    report_at = {n: v & ~1 for n, v in _nm(arch.nm, elf).items()}["exit_seq"]
    proc = _run(arch, elf, plugin_argument(plugin, elf) + f",report={report_at:#x}")
    assert proc.returncode == 0, proc.stderr
    assert icount_plugin.parse_reports(proc.stderr) == [ICount(WINDOWS, WINDOWS * window, 0)]


@pytest.mark.qemu
def test_bad_plugin_arguments_stop_qemu(plugin, tmp_path):
    arch = ARCHES["arm"]
    elf = _build(arch, tmp_path)
    proc = _run(arch, elf, f"{plugin},begin=0x10,end=0x10")
    assert proc.returncode != 0 and "tml_icount: needs begin=ADDR,end=ADDR" in proc.stderr
    proc = _run(arch, elf, f"{plugin},begin=0x10,end=0x20,stop=0x30")
    assert proc.returncode != 0 and "tml_icount: bad argument 'stop=0x30'" in proc.stderr


def test_plugin_argument_reads_marker_addresses(tmp_path):
    arch = ARCHES["arm"]
    elf = _build(arch, tmp_path)
    symbols = _nm(arch.nm, elf)  # nm prints Thumb functions at their instruction address (bit 0 clear)
    readelf = shutil.which("arm-none-eabi-readelf")
    if readelf is not None:  # the symbol table itself has bit 0 set: plugin_argument must clear it
        raw = subprocess.run([readelf, "-sW", str(elf)], check=True, capture_output=True, text=True).stdout
        assert re.search(rf"\b{symbols['tml_profile_begin'] + 1:08x} +0 FUNC +GLOBAL .* tml_profile_begin$", raw, re.M)
    argument = plugin_argument(Path("dir,with,commas/p.so"), elf, skip_symbols=("trap", "trap_end"))
    assert argument == (f"dir,,with,,commas/p.so,begin={symbols['tml_profile_begin']:#x},"
                        f"end={symbols['tml_profile_end']:#x},skip_start={symbols['trap']:#x},"
                        f"skip_end={symbols['trap_end']:#x}")
    with pytest.raises(TinyMLError, match="symbol no_such_handler not found"):
        plugin_argument(Path("p.so"), elf, skip_symbols=("no_such_handler", "trap_end"))
    with pytest.raises(TinyMLError, match="cannot read the firmware's symbols"):
        plugin_argument(Path("p.so"), tmp_path / "arm.S")


def test_build_is_cached_and_follows_the_source(tmp_path, monkeypatch):
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    first = build_plugin(tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    assert build_plugin(tmp_path / "cache") == first and first.stat().st_mtime_ns == stamp  # not rebuilt
    assert build_plugin(tmp_path / "other").read_bytes() == first.read_bytes()  # deterministic
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [first.name]  # no temporary file left

    edited = tmp_path / "src"
    shutil.copytree(icount_plugin.SOURCE_DIR, edited)
    source = edited / "tml_icount.c"
    source.write_text(source.read_text() + "\n/* edited */\n")
    monkeypatch.setattr(icount_plugin, "SOURCE_DIR", edited)
    second = build_plugin(tmp_path / "cache")
    assert second != first and second.is_file() and first.stat().st_mtime_ns == stamp

    source.write_text(source.read_text() + "\n#error broken\n")
    with pytest.raises(ToolchainError, match="could not build"):
        build_plugin(tmp_path / "cache")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted([first.name, second.name])


def test_missing_compiler_says_how_to_install(tmp_path):
    with pytest.raises(ToolchainError) as err:
        build_plugin(tmp_path, cc="no-such-host-cc")
    assert "sudo apt-get install gcc" in str(err.value)


def test_parse_and_per_inference():
    log = "warning: x\nTML-ICOUNT windows=1 instructions=5 total=9\nTML-ICOUNT windows=3 instructions=10 total=99\n"
    assert parse_icount(log) == ICount(3, 10, 99)
    assert parse_icount("no plugin line") is None
    assert per_inference(ICount(3, 10, 99)) == 3
    assert per_inference(ICount(2, 7, 9)) == 4  # 3.5 rounds up
    assert per_inference(ICount(3, 11, 99)) == 4
    with pytest.raises(TinyMLError, match="no complete"):
        per_inference(ICount(0, 0, 5))


@pytest.mark.qemu
def test_mix_mode_counts_every_address_and_splits_at_op_markers(plugin, tmp_path):
    """Mix mode: the per-address counts of each window add up to the exact window count, the loads from
    a data range are counted per op, the spin loop's
    body ran ITERATIONS times per window, and `spin` standing in for tml_profile_op splits each window
    into op -1 (before) and op 0 (from spin's first instruction on); the plain TML-ICOUNT line is unchanged."""
    arch = ARCHES["arm"]
    elf = _build(arch, tmp_path)
    count = _counter(arch.objdump, arch.nm, elf)
    window, _skipped, total = _expected(arch, count)
    symbols = {n: v & ~1 for n, v in _nm(arch.nm, elf).items()}
    mix_file = tmp_path / "dir,with,comma" / "mix.txt"
    mix_file.parent.mkdir()
    argument = plugin_argument(plugin, elf, mix_path=mix_file, data_range=(0x20000000, 0x20001000))
    argument += f",op={symbols['spin']:#x}"
    proc = _run(arch, elf, argument)
    assert proc.returncode == 0, proc.stderr
    assert parse_icount(proc.stderr) == ICount(WINDOWS, WINDOWS * window, total)
    mix = icount_plugin.parse_mix(mix_file.read_text())
    assert mix.entries == {(0, -1): WINDOWS, (0, 0): WINDOWS}
    # loads from the stack's RAM: the trap's `ldr r0, [sp, #24]`, in op 0 (the faulting load does not
    # complete; the literals `ldr rX, =...` of this program assemble to moves)
    assert mix.range_loads == {(0, -1): 0, (0, 0): WINDOWS}
    assert mix.windows(0) == WINDOWS and mix.ops(0) == [0]
    assert mix.instructions(0) == WINDOWS * window
    op0 = mix.counts[(0, 0)]
    assert op0[symbols["spin"]] == WINDOWS and op0[symbols["spin_loop"]] == WINDOWS * ITERATIONS
    # before the op marker: the rest of tml_profile_begin (nothing: it is one `bx lr`), `ldr r0` and `bl spin`
    assert count("tml_profile_begin", "begin_done") == 1
    before = mix.counts[(0, -1)]
    assert sorted(before.values()) == [WINDOWS, WINDOWS] and min(before) == symbols["win_start"]
    assert max(before) < symbols["win_stop"]


@pytest.mark.qemu
def test_op_marker_without_mix_is_refused(plugin, tmp_path):
    arch = ARCHES["arm"]
    elf = _build(arch, tmp_path)
    proc = _run(arch, elf, plugin_argument(plugin, elf) + ",op=0x40")
    assert proc.returncode != 0 and "op=ADDR needs mix=FILE" in proc.stderr
    proc = _run(arch, elf, plugin_argument(plugin, elf, mix_path=tmp_path / "m.txt") + ",data_start=0x10")
    assert proc.returncode != 0 and "data_start=ADDR and data_end=ADDR go together" in proc.stderr


def test_parse_mix_refuses_foreign_lines():
    mix = icount_plugin.parse_mix("S 0 -1 2 0\nS 0 0 2 7\nC 0 0 1f0 10\nC 0 -1 100 4\n")
    assert mix.counts == {(0, 0): {0x1F0: 10}, (0, -1): {0x100: 4}} and mix.instructions(0) == 14
    assert mix.range_loads == {(0, -1): 0, (0, 0): 7}
    with pytest.raises(TinyMLError, match="line 2 of the instruction-mix file"):
        icount_plugin.parse_mix("S 0 -1 2 0\nTML-ICOUNT windows=1\n")
