"""aot's int8 FULLY_CONNECTED kernel keeps a small stack on Cortex-M4: fully_connected.c compiled
with qemu-m4's arch flags and the kernels' -O2, GCC's -fstack-usage figures per function. Its frame
was 800 bytes (a 512-byte buffer of input forms and 32 accumulators in one inlined function); the
bounds fail if it grows back. Seconds: one compile. Skipped without arm-none-eabi-gcc."""

import re
import shutil
import subprocess

import pytest
from conftest import PROJECT_DIR

from tinyml_build.config.targets import load_target
from tinyml_build.toolchains.gcc import KERNEL_OPTIMIZATION

AOT = PROJECT_DIR / "tinyml_build" / "runtimes" / "aot"
# the deepest chain: entry -> tml_fc_grouped (accumulators, stack forms) -> tml_fc_accumulate -> a leaf
FRAME_BOUND = 320  # the largest single frame: 288 with GCC 12.2
CHAIN_BOUND = 480  # entry + tml_fc_grouped + tml_fc_accumulate + its largest callee: 448 with GCC 12.2

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")


def _frames(tmp_path) -> dict[str, int]:
    flags = [f for f in load_target("qemu-m4").arch_flags]
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
    chain = ("tml_fully_connected_s8", "tml_fc_grouped", "tml_fc_accumulate")
    assert all(name in frames for name in chain), frames  # renamed functions: update the chain here
    assert max(frames.values()) <= FRAME_BOUND, frames
    # tml_fc_accumulate's callees (those GCC did not inline): the row passes and the forms maker
    leaves = [size for name, size in frames.items() if name.startswith(("tml_fc_rows", "tml_fc_forms"))]
    assert sum(frames[name] for name in chain) + max(leaves, default=0) <= CHAIN_BOUND, frames
