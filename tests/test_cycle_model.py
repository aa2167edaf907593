"""The cycle model on hand-made instruction mixes: exact cycles from the cited tables, the flash
wait-state models, and the timing table's schema."""

import pytest

from tinyml_build.config.target import FlashTiming
from tinyml_build.config.targets import load_target
from tinyml_build.errors import TargetError
from tinyml_build.reports.core_timings import core_for_cpu, core_table, load_timings
from tinyml_build.reports.cycle_model import estimate_cycles, flash_penalty, mix_cycles
from tinyml_build.reports.instruction_mix import CLASSES, InstructionMix


def _mix(registers=None, fetched_bytes=0, **counts) -> InstructionMix:
    return InstructionMix(dict(counts), dict(registers or {}), fetched_bytes)


def test_cortex_m4_table_values_on_a_hand_made_mix():
    # 10 ALU (1), 4 SMLAD (1), 3 LDR (2), 1 STR (2), PUSH {r4-r7,lr} (1+5), POP {r4-r7,pc} (1+P + 5: 3+5),
    # 1 backward BNE (taken: 1+P = 3), 1 forward BEQ (not taken: 1), 1 BL (3), 1 SDIV (7 of 2..12)
    mix = _mix(registers={"store_multiple": 5, "return": 5}, alu=10, mac=4, load=3, store=1, store_multiple=1,
               branch_taken=1, branch_not_taken=1, call=1, div=1, **{"return": 1})
    m4 = core_for_cpu("cortex-m4")
    assert mix_cycles(mix, m4) == 10 + 4 + 6 + 2 + 6 + 8 + 3 + 1 + 3 + 7


def test_cortex_m3_multiplies_are_slower_than_m4():
    mix = _mix(mul_long=2, mac=3)  # UMULL/SMLAL: M3 4 (middle of 3-7), M4 1; MLA: M3 2, M4 1
    assert mix_cycles(mix, core_for_cpu("cortex-m3")) == 2 * 4 + 3 * 2
    assert mix_cycles(mix, core_for_cpu("cortex-m4")) == 5


def test_estimate_latency_at_the_targets_clock_and_per_op():
    target = load_target("qemu-m4")  # 25 MHz, no flash_timing: zero wait states
    op0, op1 = _mix(alu=1000, load=500), _mix(mac=2000, branch_taken=100)
    est = estimate_cycles(op0.merged(op1), target, per_op=[("#0 FULLY_CONNECTED", op0), ("#1 RELU", op1)])
    assert est.cycles == 1000 + 1000 + 2000 + 300
    assert est.instructions == 3600
    assert est.latency_us == pytest.approx(4300 / 25)
    assert [(o.label, o.cycles) for o in est.per_op] == [("#0 FULLY_CONNECTED", 2000), ("#1 RELU", 2300)]
    assert "Estimate, not a measurement" in est.method and "cortex-m4" in est.method
    assert est.as_dict()["latency_us"] == 172.0 and not est.measured


def test_flash_wait_states_models():
    mix = _mix(alu=100, branch_taken=10, call=2, fetched_bytes=300, **{"return": 2})
    assert flash_penalty(mix, None) == 0
    prefetch = FlashTiming(2, "prefetch", 8, "RM0008")
    assert flash_penalty(mix, prefetch) == 14 * 2  # each taken transfer refetches
    none = FlashTiming(2, "none", 8, "x")
    assert flash_penalty(mix, none) == 14 * 2 + 300 / 8 * 2
    assert flash_penalty(mix, FlashTiming(5, "cache", 16, "RM0090")) == 0  # modelled as hits
    with_data = _mix(alu=100, branch_taken=10, fetched_bytes=300)
    with_data.flash_loads = 50  # weights read from flash: no data cache on the F1
    assert flash_penalty(with_data, prefetch) == (10 + 50) * 2
    assert flash_penalty(with_data, FlashTiming(5, "cache", 16, "RM0090")) == 0
    f103 = load_target("stm32f103")
    assert f103.flash_timing.wait_states == 2 and f103.flash_timing.accelerator == "prefetch"
    est = estimate_cycles(mix, f103)
    assert est.per_class["flash_wait"] == 28 and "prefetch buffer" in est.method and "RM0008" in est.method
    assert est.latency_us == pytest.approx(est.cycles / 72)
    assert "always hitting" in estimate_cycles(mix, load_target("stm32f407")).method


def test_every_core_gives_every_class_and_every_image_cpu_is_modelled():
    table = core_table()
    for timing in table.values():
        assert set(timing.cycles) == set(CLASSES) and timing.source
    for cpu in ("cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "esp32", "esp32s3", "esp32c3"):
        assert core_for_cpu(cpu).name
    with pytest.raises(TargetError, match="no cycle timings for cpu host"):
        core_for_cpu("host")
    assert core_for_cpu("esp32").basis == "derived" and core_for_cpu("cortex-m4").basis == "published"


def _write(tmp_path, text):
    path = tmp_path / "timings.yaml"
    path.write_text(text)
    return path


def _entry(cpus="[cortex-m4]", cycles=None, extra=""):
    cycles = cycles if cycles is not None else {c: 1 for c in CLASSES}
    body = "".join(f"      {c}: {v}\n" for c, v in cycles.items())
    return (f"cores:\n  m4:\n    cpus: {cpus}\n    basis: published\n    source: a manual\n    per_register: 1\n"
            f"{extra}    cycles:\n{body}")


def test_timing_schema_refuses_malformed_tables(tmp_path):
    assert load_timings(_write(tmp_path, _entry()))["m4"].cycles["alu"] == 1
    missing = {c: 1 for c in CLASSES if c != "div"}
    with pytest.raises(TargetError, match="div"):
        load_timings(_write(tmp_path, _entry(cycles=missing)))
    negative = {**{c: 1 for c in CLASSES}, "load": -2}
    with pytest.raises(TargetError, match="load"):
        load_timings(_write(tmp_path, _entry(cycles=negative)))
    with pytest.raises(TargetError, match="cycle|float|number"):
        load_timings(_write(tmp_path, _entry(cycles={**{c: 1 for c in CLASSES}, "alu": "'1'"})))
    twice = _entry() + _entry().replace("cores:\n  m4:", "  m4b:")
    with pytest.raises(TargetError, match="cpu cortex-m4 is modelled by both m4 and m4b"):
        load_timings(_write(tmp_path, twice))
    with pytest.raises(TargetError, match="basis"):
        load_timings(_write(tmp_path, _entry().replace("published", "guessed")))


def test_target_flash_timing_is_checked(tmp_path):
    from tinyml_build.config.targets import load_target as load

    source = load_target("stm32f103").path.read_text()
    bad = source.replace("accelerator: prefetch", "accelerator: turbo")
    (tmp_path / "stm32f103.yaml").write_text(bad)
    with pytest.raises(TargetError, match="flash_timing.accelerator"):
        load("stm32f103", tmp_path)
    assert load_target("qemu-m4").flash_timing is None


def test_cortex_m0plus_has_no_load_overlap_and_slow_calls():
    # M0+ TRM Table 3-1: LDR 2 (no overlap of neighbours), BL 3, B taken 2, POP {r4, pc} 3+N with N = 1 -> 4
    mix = _mix(registers={"return": 2}, load=1, load_store_pipelined=1, call=1, branch_taken=1, **{"return": 1})
    assert mix_cycles(mix, core_table()["cortex-m0plus"]) == 2 + 2 + 3 + 2 + 4


def test_neighbouring_loads_overlap_on_m3_and_m4():
    mix = _mix(load=1, load_store_pipelined=3)  # LDR; LDR; LDR; STR: 2 + 1 + 1 + 1 (TRM note on pipelining)
    assert mix_cycles(mix, core_for_cpu("cortex-m4")) == 5 == mix_cycles(mix, core_for_cpu("cortex-m3"))


def test_derived_cores_on_a_hand_made_mix():
    mix = _mix(alu=100, load=20, store=10, branch_taken=5, branch_not_taken=5, mul=4, div=1, call=1,
               **{"return": 1})
    # Cortex-M7 (dual issue: ALU 0.5): 50 + 20 + 10 + 5 + 2.5 + 4 + 7 + 1 + 2
    assert mix_cycles(mix, core_for_cpu("cortex-m7")) == 101.5
    # Xtensa LX6: 100 + 20 + 10 + 15 + 5 + 8 (MULL 2) + 12 (QUOS) + 3 + 3
    assert mix_cycles(mix, core_for_cpu("esp32")) == 176
    # ESP32-C3 RV32IMC: 100 + 40 (load 2) + 10 + 15 + 5 + 4 + 17 + 3 + 3
    assert mix_cycles(mix, core_for_cpu("esp32c3")) == 197
