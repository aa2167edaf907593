"""runtime=tflm arena and generated code, without a compiler: options, the probe's report, the
decision (headroom, arena=<bytes> too small), which QEMU machine measures, the rendered C/C++."""

from pathlib import Path

import pytest

from tinyml_build.config.targets import load_target
from tinyml_build.errors import TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.tflm import api
from tinyml_build.runtimes.tflm.arena import (
    PROBE_MARGIN,
    ArenaOption,
    ProbeResult,
    decide,
    from_json,
    parse_option,
    parse_probe_output,
    probe_capacity,
    report_lines,
    to_json,
)
from tinyml_build.runtimes.tflm.plan import probe_target_for

PROJECT_DIR = Path(__file__).resolve().parents[1]
TARGETS = PROJECT_DIR / "targets"


# --- options -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arena, headroom, expected", [
    ("auto", "0", ArenaOption(None, 0, 0.0)),
    ("", "", ArenaOption(None, 0, 0.0)),
    ("AUTO", "5%", ArenaOption(None, 0, 5.0)),
    ("20000", "1024", ArenaOption(20000, 1024, 0.0)),
    ("24k", "2.5 %", ArenaOption(24 * 1024, 0, 2.5)),
    ("1m", "0", ArenaOption(1 << 20, 0, 0.0)),
])
def test_options(arena, headroom, expected):
    assert parse_option(arena, headroom) == expected


@pytest.mark.parametrize("arena, headroom, needle", [
    ("lots", "0", "arena=lots is not a byte count"),
    ("0", "0", "arena=0 must be positive"),
    ("auto", "-5", "arena_headroom=-5 is not a byte count"),
    ("auto", "5000%", "more than 1000 %"),
])
def test_bad_options(arena, headroom, needle):
    with pytest.raises(TinyMLError, match=needle):
        parse_option(arena, headroom)


# --- the probe's report ------------------------------------------------------------------------------------

def test_probe_output_is_read_per_model():
    text = ("noise\nTML-ARENA model=a status=OK used=1028 needed=1424 capacity=4096\n"
            "TML-ARENA model=b status=OK used=500 needed=512 capacity=4096\nTML-RESULT status=PASS models=2\n")
    assert parse_probe_output(text, ["b", "a"], "log") == {"b": ProbeResult("b", 500, 512, 4096),
                                                           "a": ProbeResult("a", 1028, 1424, 4096)}


def test_a_model_that_never_fits_names_the_capacity_and_tflm_log():
    with pytest.raises(TinyMLError) as err:
        parse_probe_output("TML-ARENA model=big status=FAIL capacity=98304\n", ["big"], "probe.log")
    assert "98,304-byte arena" in err.value.what and "tflm_log=on" in err.value.what and "runtime=aot" in err.value.fix


def test_an_inference_that_fails_in_the_found_arena_is_its_own_error():
    """The host probe (TML_ARENA_PROBE_INVOKE) also runs one inference in the arena it found."""
    with pytest.raises(TinyMLError) as err:
        parse_probe_output("TML-ARENA model=m status=FAIL reason=invoke_fails_at_needed capacity=64\n", ["m"], "log")
    assert "inference fails" in err.value.what and "arena=<bytes>" in err.value.fix


def test_missing_or_garbled_probe_lines_are_errors():
    with pytest.raises(TinyMLError, match="reported nothing for b"):
        parse_probe_output("TML-ARENA model=a status=OK used=1 needed=16 capacity=32\n", ["a", "b"], "log")
    with pytest.raises(TinyMLError, match="unreadable arena probe line"):
        parse_probe_output("TML-ARENA model=a status=OK used=x needed=16 capacity=32\n", ["a"], "log")


# --- the decision ------------------------------------------------------------------------------------------

PROBES = {"m": ProbeResult("m", 1028, 1424, 1 << 20)}


def test_auto_reserves_exactly_the_need_by_default():
    d = decide(parse_option(), PROBES, "qemu-m4")["m"]
    assert (d.used, d.needed, d.reserved, d.headroom, d.margin) == (1028, 1424, 1424, 396, 0)


def test_headroom_in_bytes_and_percent_rounds_to_16():
    assert decide(parse_option("auto", "100"), PROBES, "q")["m"].reserved == 1424 + 112  # 100 -> 112
    assert decide(parse_option("auto", "5%"), PROBES, "q")["m"].reserved == 1504  # 1424 + 72 (71.2 up) -> 1504


def test_fixed_arena_is_kept_and_checked():
    assert decide(parse_option("2000"), PROBES, "q")["m"].reserved == 2000
    assert decide(parse_option("1425"), PROBES, "q")["m"].reserved == 1440
    with pytest.raises(TinyMLError) as err:
        decide(parse_option("1400"), PROBES, "qemu-m4")
    assert "arena=1400 is too small for model m: it needs 1,424 bytes" in err.value.what
    assert "arena=1424" in err.value.fix


def test_decisions_round_trip_and_report():
    decisions = decide(parse_option("auto", "5%"), PROBES, "qemu-m4")
    assert from_json(to_json(decisions)) == decisions
    assert report_lines(decisions) == ["arena m: 1,028 used / 1,504 reserved, headroom 476 (sets up in 1,424; "
                                       "80 above that from auto (arena_headroom=5%); probed on qemu-m4)"]


# --- where the probe runs ------------------------------------------------------------------------------

def test_probe_runs_on_the_target_or_its_emulated_twin():
    assert probe_target_for(load_target("stm32f407", TARGETS), TARGETS).name == "stm32f407"
    assert probe_target_for(load_target("stm32h743", TARGETS), TARGETS).name == "qemu-m7"
    assert probe_target_for(load_target("stm32u585", TARGETS), TARGETS).name == "qemu-m33"
    assert probe_target_for(load_target("stm32f103", TARGETS), TARGETS).name == "qemu-m3"


def test_no_emulated_twin_asks_for_arena_bytes(tmp_path):
    (tmp_path / "board.yaml").write_text((TARGETS / "stm32h743.yaml").read_text()
                                         .replace("name: stm32h743", "name: board"))
    with pytest.raises(TinyMLError) as err:
        probe_target_for(load_target("board", tmp_path), tmp_path)
    assert "arena=<bytes>" in err.value.fix


def test_probe_capacity_leaves_room_for_stack_heap_and_data():
    f407 = load_target("stm32f407", TARGETS)
    assert probe_capacity(f407) == 128 * 1024 - 8192 - 8192 - PROBE_MARGIN
    m55 = load_target("qemu-m55", TARGETS)  # arena in its own DTCM region
    assert probe_capacity(m55) == m55.region("dtcm").size


# --- generated code ------------------------------------------------------------------------------------

def test_descriptor_and_wrapper_text():
    model = load_model(PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite", name="hello_world")
    c = api.render_descriptor("hello_world", model, 1424, "auto: needs 1424")
    assert "uint8_t hello_world_tflm_arena[TML_ARENA_BYTES] __attribute__((aligned(16), " \
           "section(\".bss.tml_arena.hello_world\")));" in c
    assert "#define TML_ARENA_BYTES 1424u" in c and '.runtime = "tflm",' in c
    assert f".model_bytes = {model.size}u," in c and f".operator_count = {len(model.main.operators)}u," in c
    cc = api.render_api("hello_world", model, "hello_world")
    assert '#include "hello_world_op_resolver.h"' in cc and "hello_world_register_ops(*resolver)" in cc
    assert "tflite::MicroInterpreter(model, ops, hello_world_tflm_arena, arena_bytes)" in cc
    # the product image runs the generated resolver; `report`'s profiling image one that marks each op
    assert "#else\n  const tflite::MicroOpResolver &ops = *resolver;\n#endif" in cc
    assert cc.index("#ifdef TML_PROFILE_OPS") < cc.index("class ProfilingResolver") < cc.index("#endif")
    assert "constexpr uint32_t kProfiledSlots = 1u;" in cc and "= {\n    profiled_invoke<0u>,\n};" in cc  # one opcode
    with pytest.raises(ValueError):
        api.render_descriptor("hello_world", model, 1430, "not a multiple of 16")


def test_probe_table_shares_one_arena():
    text = api.render_probe_models(["a", "b"], 4096)
    assert text.count("__attribute__((alias(\"tml_probe_arena\")))") == 2
    assert "uint8_t tml_probe_arena[4096u]" in text and "tml_tflm_probe_model_count = 2u" in text


def test_a_board_without_emulator_keeps_the_probe_platform_in_its_own_folder(tmp_path):
    """Building stm32f103 measures on qemu-m3's machine but writes nothing into build/qemu-m3/."""
    from tinyml_build.runtimes.tflm.plan import probe_platform

    board, probe = load_target("stm32f103", TARGETS), load_target("qemu-m3", TARGETS)
    platform = probe_platform(board, probe, tmp_path)
    assert platform.target == probe
    assert platform.common_dir == tmp_path / "stm32f103" / "_common" / "probe-platform" / "qemu-m3"
    for path in (platform.board_header, platform.linker_script, platform.object_dir):
        assert path.is_relative_to(tmp_path / "stm32f103")
    own = probe_platform(probe, probe, tmp_path)
    assert own.common_dir == tmp_path / "qemu-m3" / "_common"  # the target's own platform, shared with its image
