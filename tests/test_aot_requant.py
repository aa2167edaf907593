"""The per-channel int8 output stage (tml_requant in tml_fixedpoint.h, tml_requant.h).

tml_requant replaces TFLM's double-rounding MultiplyByQuantizedMultiplier with a shorter form for
shifts <= -2 and falls back to it otherwise; the kernels pick a loop per call (fast form with
plain int8 saturation, fast form with activation bounds, general form). Checked here:
  - the C function against the Python reference (mbqm) over every shift, on the host under
    UBSan and on an emulated Cortex-M4F (its SMLAL inline assembly);
  - one-op models reaching each loop and the block edges (more than TML_REQUANT_BLOCK channels,
    conv depths over the sign-extension chunk, odd channel counts) against tflite-micro.
"""

import shutil
import subprocess

import aot_op_models as m
import numpy as np
import pytest
from aot_op_cases import assert_exact

from tinyml_build.config.targets import load_target
from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.runtimes.aot import quantization as q
from tinyml_build.runtimes.aot.emit import AOT_INCLUDE_DIR, render
from tinyml_build.verification.cortex_m_program import ProgramBuilder
from tinyml_build.verification.host_check import check_model
from tinyml_build.verification.target_check import check_on_cortex_m

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None and shutil.which("qemu-system-arm") is not None


def _rows(count: int = 4000, seed: int = 11) -> list[tuple[int, int, int, int]]:
    """(x, multiplier, shift, offset): extremes, random accumulators and values near rounding ties."""
    rng = np.random.default_rng(seed)
    rows = []
    for shift in range(-31, 9):
        for x in (0, 1, -1, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30), (1 << 30) - 1):
            for mult in (1 << 30, INT32_MAX, 1518500250):
                rows.append((x, mult, shift, 0))
    for _ in range(count):
        shift = int(rng.integers(-31, 9))
        mult = int(rng.integers(1 << 30, 1 << 31))
        kind = rng.integers(0, 3)
        if kind == 0:
            x = int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True))
        elif kind == 1:
            x = int(rng.integers(-(1 << 20), 1 << 20))
        else:  # x * mult close to a rounding tie of the final shift
            r = max(1, -shift)
            target = int(rng.integers(-(1 << 16), 1 << 16)) * (1 << (30 + r)) + (1 << (29 + r))
            x = int(np.clip(target // mult + int(rng.integers(-2, 3)), INT32_MIN, INT32_MAX))
        rows.append((x, mult, shift, int(rng.integers(-128, 128))))
    return rows


def _expected(rows) -> list[int]:
    return [q.mbqm(x, mult, shift) + offset for x, mult, shift, offset in rows]


C_TABLE_CHECK = r"""
#include <stdint.h>
#include "tml_fixedpoint.h"
extern const int32_t tml_rows[][5];
extern const uint32_t tml_row_count;
void tml_report(uint32_t first_bad);
void tml_check(void);
void tml_check(void) {
  uint32_t i;
  for (i = 0; i < tml_row_count; ++i) {
    const int32_t *r = tml_rows[i];
    if (tml_requant(r[0], r[1], (int32_t)q_rshift(r[2]), r[3]) != r[4]) {
      tml_report(i);
      return;
    }
  }
  tml_report(tml_row_count);
}
"""


def _table_source(rows) -> str:
    body = ",\n".join(f"{{{x}, {mult}, {shift}, {offset}, {want}}}".replace(str(INT32_MIN), "(-2147483647 - 1)")
                      for (x, mult, shift, offset), want in zip(rows, _expected(rows)))
    return ("#include <stdint.h>\n"
            f"const int32_t tml_rows[][5] = {{\n{body}\n}};\n"
            f"const uint32_t tml_row_count = {len(rows)}u;\n")


def _check_source() -> str:
    # the table holds TFLM's shift; the kernels store rshift = -2 - shift (quantization.requant_rshift)
    return C_TABLE_CHECK.replace("(int32_t)q_rshift(r[2])", "(-2 - r[2])")


def test_python_twin_matches_mbqm():
    rows = _rows(20000, seed=3)
    for (x, mult, shift, offset), want in zip(rows, _expected(rows)):
        assert q.requant(x, mult, q.requant_rshift(shift), offset) == want, (x, mult, shift, offset)


def test_c_requant_matches_mbqm_on_the_host(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    rows = _rows()
    (tmp_path / "check.c").write_text(_check_source())
    (tmp_path / "table.c").write_text(_table_source(rows))
    (tmp_path / "main.c").write_text('#include <stdio.h>\n#include <stdint.h>\nvoid tml_check(void);\n'
                                     'void tml_report(uint32_t i);\n'
                                     'void tml_report(uint32_t i) { printf("%u\\n", (unsigned)i); }\n'
                                     'int main(void) { tml_check(); return 0; }\n')
    exe = tmp_path / "check"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", f"-I{AOT_INCLUDE_DIR}",
                    *(str(tmp_path / f) for f in ("check.c", "table.c", "main.c")), "-o", str(exe)],
                   check=True)
    first_bad = int(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)
    assert first_bad == len(rows), f"row {first_bad}: {rows[first_bad] if first_bad < len(rows) else ''}"


@pytest.mark.qemu
@pytest.mark.skipif(not HAVE_ARM, reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_c_requant_matches_mbqm_on_cortex_m4(tmp_path):
    rows = _rows()
    (tmp_path / "check.c").write_text(_check_source())
    (tmp_path / "table.c").write_text(_table_source(rows))
    (tmp_path / "main.c").write_text(
        '#include <stdint.h>\n#include "tml_platform.h"\n#include "tml_print.h"\nvoid tml_check(void);\n'
        'void tml_report(uint32_t i);\n'
        'void tml_report(uint32_t i) { tml_printf("first_bad=%lu\\n", (unsigned long)i); }\n'
        'int main(void) {\n  tml_platform_init();\n  tml_check();\n  return 0;\n}\n')
    builder = ProgramBuilder(load_target("qemu-m4"), tmp_path / "build")
    objects = builder.compile([tmp_path / f for f in ("check.c", "table.c")], "obj", include_dirs=[AOT_INCLUDE_DIR],
                              extra_flags=["-Werror"], fast=True)
    objects += builder.compile([tmp_path / "main.c"], "app", extra_flags=["-Werror"])
    run = builder.run(builder.link(objects, tmp_path / "check.elf"), timeout=120)
    assert run.exit_code == 0, run.output + run.stderr
    first_bad = int(run.output.split("first_bad=")[1].split()[0])
    assert first_bad == len(rows), f"row {first_bad}: {rows[first_bad] if first_bad < len(rows) else ''}"


# One-op models for each output-stage loop and block edge. out_scale picks the shifts: the default
# scales give shifts <= -2 (fast form); small output scales give shifts of -1, 0 and left shifts
# (general form) on some channels.
CASES = {
    "fc_small_fast_saturating": lambda: m.fc_model(features=16, units=16, out_zp=-128, per_channel=True),
    "fc_blocks_batches_relu": lambda: m.fc_model(batches=3, features=21, units=70, activation="RELU", per_channel=True),
    "fc_general_shifts": lambda: m.fc_model(batches=2, features=9, units=37, per_channel=True, out_scale=0.004),
    "fc_left_shifts_relu6": lambda: m.fc_model(features=5, units=6, activation="RELU6", out_scale=0.0004),
    "fc_scalar_input": lambda: m.fc_model(features=1, units=33, per_channel=True),
    "conv_chunks_blocks": lambda: m.conv_model(in_shape=(1, 5, 4, 23), out_channels=37, kernel=(3, 3),
                                               activation="RELU"),
    "conv_1x1_depth_130": lambda: m.conv_model(in_shape=(1, 3, 5, 130), out_channels=35, kernel=(1, 1)),
    "conv_general_shifts": lambda: m.conv_model(in_shape=(1, 6, 5, 7), out_channels=9, out_scale=0.0015,
                                                activation="RELU6"),
    "dw_blocks_tail": lambda: m.depthwise_model(in_shape=(1, 5, 6, 70), activation="RELU", stride=(2, 1)),
    "dw_general_shifts": lambda: m.depthwise_model(in_shape=(1, 6, 5, 10), out_scale=0.0012),
    "dw_m2_blocks": lambda: m.depthwise_model(in_shape=(1, 4, 4, 19), multiplier=2, out_scale=0.01),
    # per-tensor layers: one (multiplier, rshift) pair in the params, no table (tml_requant_s8_tensor)
    "fc_tensor_blocks_saturating": lambda: m.fc_model(batches=2, features=19, units=45),
    "conv_tensor_relu": lambda: m.conv_model(in_shape=(1, 5, 4, 6), out_channels=37, per_channel=False,
                                             activation="RELU"),
    "dw_tensor_general_shifts": lambda: m.depthwise_model(in_shape=(1, 6, 5, 10), per_channel=False,
                                                          out_scale=0.0012),
}


def _general(data: bytes, name: str) -> bool:
    program = lower_model(read_model(data, where=f"{name}.tflite", name=name))
    return ".general = 1" in render(program)[f"{name}_model.c"]


def test_cases_reach_both_forms():
    general = {case: _general(build(), case) for case, build in CASES.items()}
    assert general["fc_general_shifts"] and general["fc_left_shifts_relu6"]
    assert general["conv_general_shifts"] and general["dw_general_shifts"]
    assert not general["fc_small_fast_saturating"]
    assert not general["conv_chunks_blocks"] and not general["dw_blocks_tail"]
    assert general["dw_tensor_general_shifts"] and not general["fc_tensor_blocks_saturating"]


def test_per_tensor_layers_carry_no_table():
    for case in ("fc_tensor_blocks_saturating", "conv_tensor_relu", "dw_tensor_general_shifts",
                 "fc_left_shifts_relu6"):
        code = render(lower_model(read_model(CASES[case](), where=f"{case}.tflite", name=case)))[f"{case}_model.c"]
        assert ".multiplier_rshift = NULL" in code and "multipliers and shifts per channel" not in code, case
    code = render(lower_model(read_model(CASES["fc_blocks_batches_relu"](), where="c.tflite", name="c")))["c_model.c"]
    assert "multipliers and shifts per channel" in code


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_stage_on_the_host(case):
    report = check_model(read_model(CASES[case](), where=f"{case}.tflite", name=case), runs=8)
    assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(not HAVE_ARM, reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_output_stage_on_cortex_m4(case):
    report = check_on_cortex_m(read_model(CASES[case](), where=f"{case}.tflite", name=case), runs=3)
    assert_exact(report)
