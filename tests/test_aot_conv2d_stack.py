"""The stack frames of runtime=aot's int8 CONV_2D on the SMLAD layout (kernels/conv2d.c), as GCC's
-fstack-usage reports them under qemu-m4's flags (Cortex-M4, -O2 kernels).

Why: the path's accumulators and input forms once lived on its frame (968 B), the deepest stack of
kws and person_detect. They are a work buffer now (TML_CONV_WORK_BYTES): arena scratch where the
arena has room, else a stack buffer in a wrapper sized to the convolution's depth. These tests fail
if a buffer moves back onto the path's frames, or if the lowering's size of the work buffer
(ops/_conv2d_smlad.py work_bytes) and the kernel's stop agreeing. The row-major tml_conv2d_s8 (small
and grouped convolutions, person_detect's last layer) has the same scheme. One cross-compile: seconds.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tinyml_build.config.targets import load_target
from tinyml_build.runtimes.aot.ops._conv2d_smlad import FORM_QUADS, work_bytes
from tinyml_build.runtimes.aot.ops._window import CONV_ROW_WORK
from tinyml_build.toolchains.arm_gcc import firmware_flags

PROJECT_DIR = Path(__file__).resolve().parents[1]
AOT = PROJECT_DIR / "tinyml_build" / "runtimes" / "aot"
GCC = "arm-none-eabi-gcc"

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} not installed")

# Measured with GCC 12 (arm-none-eabi, -O2 -mcpu=cortex-m4): blocks 144, q2 128, run 136, passes
# 72, the entries 24, and the row-major tml_conv_channels 176 (672 when its buffers were on its
# frame). The bound leaves room for other compiler versions; the accumulator block alone (2 x 32
# int32) is 256 B, the forms up to 512 B.
PATH_FRAME_BOUND = 224
PATH_FUNCTIONS = ("tml_conv2d_s8_smlad", "tml_conv2d_run", "tml_conv_smlad_blocks", "tml_conv_smlad_q2",
                  "tml_conv_passes", "tml_conv2d_s8", "tml_conv_channels")
# The wrappers that hold the work buffer on the stack when the arena had no room: the buffer and
# their own few words, and the largest k each serves.
STACK_WORK = {"tml_conv2d_stack_work2": 11, "tml_conv2d_stack_work16": 67, "tml_conv2d_stack_work": 4 * FORM_QUADS}
WRAPPER_OVERHEAD_BOUND = 64


def _flags() -> list[str]:
    flags = firmware_flags(load_target("qemu-m4"), PROJECT_DIR)
    return [*flags.arch, *flags.common, *flags.c, flags.kernel_optimization, f"-I{AOT / 'include'}"]


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, int]:
    out = tmp_path_factory.mktemp("conv2d_su")
    obj = out / "conv2d.o"
    subprocess.run([GCC, *_flags(), "-fstack-usage", "-c", str(AOT / "kernels" / "conv2d.c"), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    result = {}
    for line in (out / "conv2d.su").read_text().splitlines():
        location, size, kind = line.split("\t")
        assert kind == "static", line  # no variable-length frame
        result[location.rsplit(":", 1)[-1]] = int(size)
    return result


def test_the_smlad_path_keeps_no_buffer_on_its_frames(frames):
    missing = [f for f in PATH_FUNCTIONS if f not in frames]
    assert not missing, f"not separate functions any more (inlined or renamed): {missing}; {frames}"
    big = {f: frames[f] for f in PATH_FUNCTIONS if frames.get(f, 0) > PATH_FRAME_BOUND}
    assert not big, f"frames over {PATH_FRAME_BOUND} B on the SMLAD path: {big}"


def test_the_stack_fallbacks_hold_the_work_buffer_and_little_more(frames):
    for function, k in STACK_WORK.items():
        assert work_bytes(k) <= frames[function] <= work_bytes(k) + WRAPPER_OVERHEAD_BOUND, (function, frames)
    row = frames["tml_conv2d_stack_row_work"]
    assert CONV_ROW_WORK <= row <= CONV_ROW_WORK + WRAPPER_OVERHEAD_BOUND, frames


def test_the_lowering_sizes_the_work_buffer_as_the_kernel(tmp_path):
    """work_bytes(k) == TML_CONV_WORK_BYTES(k) at the edges of the form chunk, and the row-major
    kernel's CONV_ROW_WORK == TML_CONV_ROW_WORK_BYTES: compile-time checks."""
    depths = (8, 9, 11, 12, 64, 67, 68, 4 * FORM_QUADS - 1, 4 * FORM_QUADS, 4 * FORM_QUADS + 4, 1000)
    checks = "\n".join(f"_Static_assert(TML_CONV_WORK_BYTES({k}) == {work_bytes(k)}, \"k = {k}\");" for k in depths)
    source = tmp_path / "work_bytes.c"
    checks += f"\n_Static_assert(TML_CONV_ROW_WORK_BYTES == {CONV_ROW_WORK}, \"row-major\");"
    source.write_text(f'#include "tml_requant.h"\n#include "tml_kernels.h"\n{checks}\n')
    run = subprocess.run([GCC, *_flags(), "-std=c11", "-fsyntax-only", str(source)], capture_output=True, text=True)
    assert run.returncode == 0, re.sub(r"\s+", " ", run.stderr)[-1500:]
