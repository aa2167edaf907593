"""aot's int8 FULLY_CONNECTED kernel keeps a small stack on Cortex-M4: fully_connected.c compiled
with qemu-m4's arch flags and the kernels' -O2, GCC's -fstack-usage figures per function. Its frame
was 800 bytes (a 512-byte buffer of input forms and 32 accumulators in one inlined function), plus
the callee's. The path's accumulators and forms are a buffer now: arena scratch where the arena has
room, else the frame of a wrapper sized to the layer. The bounds fail if a buffer moves back onto the
path's frames, or if a wrapper's buffer stops matching the lowering's size of it (ops/fully_connected.py
work_bytes). Seconds: one compile. Skipped without arm-none-eabi-gcc."""

import re
import shutil
import subprocess

import pytest
from conftest import PROJECT_DIR
from tflite_builder import fully_connected_chain_model

from tinyml_build.config.targets import load_target
from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.runtimes.aot.ops.fully_connected import STACK_WORDS, stack_words, work_bytes
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION

AOT = PROJECT_DIR / "tinyml_build" / "runtimes" / "aot"
# With GCC 12.2: tml_fully_connected_s8_rows 136 (+ tml_fc_plain_rows 72), or tml_fully_connected_s8_work
# 160 (no buffer, the accumulation inlined) + one of its callees (tml_requant_s8 64, the row passes and
# input term 4-36): a deepest chain of 224 B with the arena's buffer (it was 436 B with the buffer on
# the frames, 864 B before that).
CHAIN_BOUND = 288
FRAME_BOUND = 224
ROWS, WORK = "tml_fully_connected_s8_rows", "tml_fully_connected_s8_work"
# The wrappers holding a layer's buffer on the stack when the arena had no room for it (the buffer
# and their own few words), by their buffer's int32 words.
STACK = {f"tml_fully_connected_s8_stack{words}": words for words in STACK_WORDS}
WRAPPER_OVERHEAD_BOUND = 64
# An FC chain whose layers take every stack buffer and the arena's (test_aot_cortex_m.py runs it on
# qemu-m4, bit-exact): 272 -> 20 deep input in chunks (stack160), then arena, stack64, stack16 (8 rows),
# arena, stack48 (24 -> 14, the smallest layers never ask the arena), arena, stack96.
FC_PATHS_WIDTHS = (272, 20, 36, 140, 8, 24, 14, 100, 20)

needs_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


def _frames(tmp_path) -> dict[str, int]:
    flags = list(load_target("qemu-m4").arch_flags)
    subprocess.run(["arm-none-eabi-gcc", "-c", "-std=c99", *flags, KERNEL_OPTIMIZATION, "-fstack-usage",
                    f"-I{PROJECT_DIR / 'tinyml_build' / 'runtimes' / 'include'}", f"-I{AOT / 'include'}",
                    str(AOT / "kernels" / "fully_connected.c"), "-o", str(tmp_path / "fc.o")],
                   check=True, capture_output=True, text=True)
    frames = {}
    for line in (tmp_path / "fc.su").read_text().splitlines():
        where, size, kind = line.rsplit("\t", 2)
        assert kind == "static", line  # no variable-length frame
        name = re.sub(r"\..*$", "", where.rsplit(":", 1)[-1])  # tml_fc_grouped.constprop.0 -> tml_fc_grouped
        frames[name] = max(frames.get(name, 0), int(size))
    return frames


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, int]:
    return _frames(tmp_path_factory.mktemp("fc_su"))


@needs_gcc
def test_the_int8_fully_connected_frames_stay_small(frames):
    missing = [f for f in (ROWS, WORK, *STACK) if f not in frames]
    assert not missing, f"not separate functions any more (inlined or renamed): {missing}; {frames}"
    path = {name: size for name, size in frames.items() if name not in STACK}
    assert max(path.values()) <= FRAME_BOUND, frames
    # callees of the work path that GCC did not inline (each below the others: one at a time)
    callees = [size for name, size in path.items() if name not in (ROWS, WORK, "tml_fc_plain_rows")]
    assert frames[WORK] + max(callees, default=0) <= CHAIN_BOUND, frames
    assert frames[ROWS] + frames.get("tml_fc_plain_rows", 0) <= CHAIN_BOUND, frames


@needs_gcc
def test_the_stack_wrappers_hold_the_layers_buffer_and_little_more(frames):
    for function, words in STACK.items():
        assert 4 * words <= frames[function] <= 4 * words + WRAPPER_OVERHEAD_BOUND, (function, frames)


def test_the_lowering_picks_a_stack_buffer_that_holds_the_layers_buffer():
    """stack_words (the wrapper the generated code calls when the arena had no room) is one of the
    kernel's sizes and holds work_bytes, at the edges of the size classes."""
    for units in (4, 11, 12, 16, 17, 32, 33, 640):
        for depth in (4, 64, 67, 68, 128, 131, 132, 256, 259, 260, 640):
            words = stack_words(depth, units)
            assert words in STACK_WORDS and work_bytes(depth, units) <= 4 * words, (depth, units, words)
    assert stack_words(16, 16) == 48 and stack_words(640, 128) == 160  # hello_world's, anomaly_fc's first


def test_the_fc_paths_model_takes_the_arena_and_every_stack_buffer():
    """FC_PATHS_WIDTHS keeps covering both placements: some layers' buffers in the arena, the others on
    each of the kernel's stack buffers (a planner change that moved them fails here, not silently)."""
    program = lower_model(read_model(fully_connected_chain_model(FC_PATHS_WIDTHS, seed=5), where="fc_paths.tflite",
                                     name="fc_paths"))
    scratch = [p for p in program.placements if p.macro.startswith("TML_S")]
    assert any(p.offset is not None for p in scratch) and any(p.offset is None for p in scratch), scratch
    placed = {int(p.macro[5:].split("_")[0]) for p in scratch if p.offset is not None}
    on_stack = {stack_words(d, u) for i, (d, u) in enumerate(zip(FC_PATHS_WIDTHS, FC_PATHS_WIDTHS[1:]))
                if i not in placed}
    assert on_stack == set(STACK_WORDS), (on_stack, scratch)
