"""Classifying executed instructions by disassembly: hand-made listings of each ISA, and the mix of
hand-made execution counts."""

import shutil
import subprocess

import pytest

from tinyml_build.errors import TinyMLError
from tinyml_build.reports.instruction_mix import (
    Instruction,
    classify_arm,
    classify_riscv,
    classify_xtensa,
    mix_of,
    parse_listing,
)

ARM_LISTING = """
firmware.elf:     file format elf32-littlearm

Disassembly of section .text:

00000100 <loop>:
 100:\tldr\tr3, [r0, #4]
 102:\tsmlad\tr4, r5, r6, r4
 106:\tmla\tr1, r2, r3, r1
 10a:\tsubs\tr2, #1
 10c:\tbne.n\t100 <loop>
 10e:\tbeq.n\t114 <done>
 110:\tpush\t{r4, r5, r6, r7, lr}
 112:\tbl\t200 <f>
 116:\tpop\t{r4-r7, pc}
 118:\tvldmia\tr0!, {s16-s19}
 11c:\tvdiv.f32\ts0, s1, s2
 120:\tbxeq\tlr
 122:\tldrd\tr2, r3, [r0]
 126:\t.word\t0x12345678
 12a:\tudiv\tr0, r1
 12e:\tumlal\tr0, r1, r2, r3
"""


def _by_address(listing):
    return {a: classify_arm(i) for a, i in listing.items()}


def test_arm_classes_and_register_counts():
    listing = parse_listing(ARM_LISTING)
    assert 0x126 not in listing  # literal data
    assert listing[0x102].size == 4 and listing[0x100].size == 2
    assert _by_address(listing) == {
        0x100: ("load", 0), 0x102: ("mac", 0), 0x106: ("mac", 0), 0x10a: ("alu", 0),
        0x10c: ("branch_taken", 0),  # backward: a loop, counted taken
        0x10e: ("branch_not_taken", 0),  # forward: counted not taken
        0x110: ("store_multiple", 5), 0x112: ("call", 0), 0x116: ("return", 5), 0x118: ("load_multiple", 4),
        0x11c: ("fp_div", 0), 0x120: ("return", 0), 0x122: ("load_multiple", 2), 0x12a: ("div", 0),
        0x12e: ("mul_long", 0)}


PIPELINE_LISTING = """
 200:\tldr\tr3, [r0]
 202:\tldr\tr4, [r1, #4]
 204:\tldr\tr5, [r4]
 206:\tstr\tr5, [r2]
 208:\tldr\tr6, [pc, #8]
 20a:\tadds\tr0, #1
 20c:\tstr\tr0, [r2, #4]
 20e:\tldrb.w\tr1, [r2, #8]
 212:\tbne.n\t20e <x>
"""


def test_arm_neighbouring_loads_and_stores_pipeline():
    """TRM: neighbouring single loads/stores overlap, except a load whose address is the previous load's
    result, a PC-relative load, or one reached by a branch."""
    from tinyml_build.reports.instruction_mix import classify_listing

    classes = classify_listing(parse_listing(PIPELINE_LISTING), "arm")
    assert [classes[a][0] for a in sorted(classes)] == [
        "load", "load_store_pipelined", "load", "load_store_pipelined", "load", "alu", "store", "load",
        "branch_taken"]


def test_mix_of_counts():
    listing = parse_listing(ARM_LISTING)
    mix = mix_of({0x100: 10, 0x102: 10, 0x10c: 9, 0x10e: 1, 0x110: 1, 0x116: 1, 0x999: 3}, listing, "arm")
    # bne at 0x10c ran 9 times, its fall-through (0x10e, no other way in) once: 8 taken, 1 not taken;
    # beq at 0x10e ran once and so did its fall-through 0x110: not taken
    assert mix.counts == {"load": 10, "mac": 10, "branch_taken": 8, "branch_not_taken": 2, "store_multiple": 1,
                          "return": 1, "other": 3}
    assert mix.branches_counted == 10
    assert mix.registers == {"store_multiple": 5, "return": 5}
    assert mix.unknown == 3 and mix.total == 35
    assert mix.fetched_bytes == 10 * 2 + 10 * 4 + 9 * 2 + 2 + 2 + 2
    assert mix.scaled(0.5).counts["load"] == 5


BRANCH_LISTING = """
00000300 <f>:
 300:\tcmp\tr0, #0
 302:\tbeq.n\t30a <f+0xa>
 304:\tadds\tr1, #1
 306:\tbne.n\t30c <g>
 308:\tnop
 30a:\tnop

0000030c <g>:
 30c:\tcbz\tr0, 300 <f>
 30e:\tbx\tlr
"""


def test_taken_branches_are_counted_where_the_fall_through_has_one_way_in():
    from tinyml_build.reports.instruction_mix import fall_throughs

    listing = parse_listing(BRANCH_LISTING)
    assert listing[0x30C].entry and not listing[0x304].entry
    # 0x302 -> 0x304 (only by falling through); 0x306 -> 0x308 likewise; 0x30c -> 0x30e likewise
    assert fall_throughs(listing, "arm") == {0x302: 0x304, 0x306: 0x308, 0x30C: 0x30E}
    mix = mix_of({0x302: 10, 0x304: 4, 0x306: 4, 0x308: 0, 0x30C: 5, 0x30E: 5}, listing, "arm")
    assert mix.counts["branch_taken"] == 6 + 4 + 0 and mix.counts["branch_not_taken"] == 4 + 0 + 5
    assert mix.branches_counted == 19
    # the static rule where the fall-through is also a target: 0x30a is the target of the beq
    listing = parse_listing(BRANCH_LISTING.replace(" 308:\tnop\n", ""))
    assert 0x306 not in fall_throughs(listing, "arm")


def test_riscv_and_xtensa_classes():
    def rv(address, mnemonic, operands=""):
        return classify_riscv(Instruction(address, 4, mnemonic, operands))

    assert rv(0x10, "bnez", "a0,8 <loop>") == ("branch_taken", 0)
    assert rv(0x10, "beq", "a0,a1,20 <out>") == ("branch_not_taken", 0)
    assert [rv(0, m, o)[0] for m, o in (("ret", ""), ("jal", "ra,40 <f>"), ("j", "40 <x>"), ("mulhu", "a0,a1,a2"),
                                        ("divu", "a0,a1,a2"), ("lw", "a0,0(sp)"), ("sw", "a0,0(sp)"),
                                        ("csrr", "a0,mcycle"), ("addi", "a0,a0,1"))] == [
        "return", "call", "branch_taken", "mul_long", "div", "load", "store", "other", "alu"]

    def xt(address, mnemonic, operands=""):
        return classify_xtensa(Instruction(address, 3, mnemonic, operands))

    assert xt(0x10, "bnez", "a2, 0x0") == ("branch_taken", 0)
    assert xt(0x10, "beqz.n", "a2, 0x40") == ("branch_not_taken", 0)
    assert [xt(0, m)[0] for m in ("l32i.n", "s32i", "mull", "muluh", "quou", "call8", "retw.n", "loop", "madd.s",
                                  "ee.vmulas.s8.accx", "add.n")] == [
        "load", "store", "mul", "mul_long", "div", "call", "return", "other", "fp", "simd", "alu"]


@pytest.mark.parametrize("isa,tools,build", [
    ("arm", ("arm-none-eabi-as", "arm-none-eabi-objdump"), ["arm-none-eabi-as", "-mcpu=cortex-m4", "-mthumb"]),
])
def test_real_disassembly_agrees(isa, tools, build, tmp_path):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    from tinyml_build.reports.instruction_mix import disassemble

    src = tmp_path / "a.S"
    src.write_text(".syntax unified\n.thumb\nloop:\n ldr r0, [r1]\n smlad r2, r3, r4, r2\n subs r5, #1\n"
                   " bne loop\n pop {r4, pc}\n")
    subprocess.run([*build, "-o", str(tmp_path / "a.o"), str(src)], check=True)
    listing = disassemble(tmp_path / "a.o", isa)
    assert [classify_arm(i) for _a, i in sorted(listing.items())] == [
        ("load", 0), ("mac", 0), ("alu", 0), ("branch_taken", 0), ("return", 2)]
    with pytest.raises(TinyMLError, match="no instruction classification for the host ISA"):
        disassemble(tmp_path / "a.o", "host")
