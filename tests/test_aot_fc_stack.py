"""aot's int8 FULLY_CONNECTED kernel keeps a small stack on Cortex-M4: fully_connected.c compiled
with qemu-m4's arch flags and the kernels' -O2, GCC's -fstack-usage figures per function. Its frame
was 800 bytes (a 512-byte buffer of input forms and 32 accumulators in one inlined function), plus
the callee's; the bounds fail if it grows back. Seconds: one compile. Skipped without arm-none-eabi-gcc."""

import re
import shutil
import subprocess

import pytest
from conftest import PROJECT_DIR

from tinyml_build.config.targets import load_target
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION

AOT = PROJECT_DIR / "tinyml_build" / "runtimes" / "aot"
# With GCC 12.2: tml_fully_connected_s8 12 B, then tml_fc_plain 136 (+ tml_fc_plain_rows 72) or
# tml_fc_grouped 360 (16 accumulators and 16 quads' forms on the stack, the accumulation inlined) + one
# of its callees (tml_requant_s8 64, the row passes and input term 20-36): a deepest chain of 436 B.
CHAIN_BOUND = 480
FRAME_BOUND = 400

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


def _frames(tmp_path) -> dict[str, int]:
    flags = list(load_target("qemu-m4").arch_flags)
    subprocess.run(["arm-none-eabi-gcc", "-c", "-std=c99", *flags, KERNEL_OPTIMIZATION, "-fstack-usage",
                    f"-I{PROJECT_DIR / 'tinyml_build' / 'runtimes' / 'include'}", f"-I{AOT / 'include'}",
                    str(AOT / "kernels" / "fully_connected.c"), "-o", str(tmp_path / "fc.o")],
                   check=True, capture_output=True, text=True)
    frames = {}
    for line in (tmp_path / "fc.su").read_text().splitlines():
        where, size, _kind = line.rsplit("\t", 2)
        name = re.sub(r"\..*$", "", where.rsplit(":", 1)[-1])  # tml_fc_grouped.constprop.0 -> tml_fc_grouped
        frames[name] = max(frames.get(name, 0), int(size))
    return frames


def test_the_int8_fully_connected_frames_stay_small(tmp_path):
    frames = _frames(tmp_path)
    entry, plain, grouped = "tml_fully_connected_s8", "tml_fc_plain", "tml_fc_grouped"
    assert {entry, plain, grouped} <= set(frames), frames  # renamed functions: update the chains here
    assert max(frames.values()) <= FRAME_BOUND, frames
    # callees of tml_fc_grouped that GCC did not inline (each below the others: one at a time)
    callees = [size for name, size in frames.items() if name not in (entry, plain, grouped, "tml_fc_plain_rows")]
    assert frames[entry] + frames[grouped] + max(callees, default=0) <= CHAIN_BOUND, frames
    assert frames[entry] + frames[plain] + frames.get("tml_fc_plain_rows", 0) <= CHAIN_BOUND, frames
