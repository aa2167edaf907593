"""Host-side quantization math of runtime=aot against TFLM semantics, and against its C twin."""

import math
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from tinyml_build.runtimes.aot import quantization as q
from tinyml_build.runtimes.aot.emit import AOT_INCLUDE_DIR

INT32_MIN, INT32_MAX = q.INT32_MIN, q.INT32_MAX


def _round_half_away(fr: Fraction) -> int:
    return math.floor(fr + Fraction(1, 2)) if fr >= 0 else -math.floor(-fr + Fraction(1, 2))


@pytest.mark.parametrize("real, expected", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.75, (3 << 29, 0)),
    (2.0 ** -40, (0, 0)),  # below 2^-31: flushed to zero like TFLM
    (1.0 - 2.0 ** -33, (1 << 30, 1)),  # rounds up to 2^31: halved, shift + 1
    (3.0, (3 << 29, 2)),
])
def test_quantize_multiplier_known_values(real, expected):
    assert q.quantize_multiplier(real) == expected


def test_quantize_multiplier_reconstructs_the_real_value():
    rng = np.random.default_rng(1)
    for real in np.exp(rng.uniform(-20, 5, 500)):
        m, s = q.quantize_multiplier(float(real))
        assert (1 << 30) <= m < (1 << 31)
        assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0 ** -30


def test_srdhm_and_rdbpot_match_exact_rational_rounding():
    rng = np.random.default_rng(2)
    edge = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, 1 << 30, -(1 << 30)]
    values = edge + [int(v) for v in rng.integers(INT32_MIN, INT32_MAX, 300, endpoint=True)]
    for a in values[:60]:
        for b in values[:60]:
            # gemmlowp's nudge rounds ties toward +infinity (not away from zero) for negative products
            expected = INT32_MAX if a == b == INT32_MIN else math.floor(Fraction(a * b, 1 << 31) + Fraction(1, 2))
            assert q.srdhm(a, b) == expected, (a, b)
    for x in values:
        for e in (0, 1, 2, 7, 15, 30, 31):
            assert q.rdbpot(x, e) == _round_half_away(Fraction(x, 1 << e)), (x, e)


def test_mbqm_approximates_the_real_product():
    rng = np.random.default_rng(3)
    for _ in range(300):
        real = float(np.exp(rng.uniform(-12, 2)))
        m, s = q.quantize_multiplier(real)
        x = int(rng.integers(-(1 << 20), 1 << 20))
        assert abs(q.mbqm(x, m, s) - x * real) <= 1.01 + abs(x * real) * 2.0 ** -29


@pytest.mark.parametrize("activation, scale, zp, expected", [
    ("NONE", 0.1, 0, (-128, 127)),
    ("RELU", 0.1, -10, (-10, 127)),
    ("RELU6", 6 / 255, -128, (-128, 127)),
    ("RELU6", 0.0235294122248888, -128, (-128, 127)),
    ("RELU6", 0.1, 0, (0, 60)),
    ("RELU_N1_TO_1", 0.01, 5, (-95, 105)),
])
def test_activation_range(activation, scale, zp, expected):
    assert q.activation_range(activation, "int8", scale, zp) == expected


def test_activation_range_uses_float32_division():
    # 6 / scale in float32 lands exactly on .5 here and rounds away from zero (double would not).
    scale = float(np.float32(6.0) / np.float32(20.5))
    assert float(np.float32(6.0) / np.float32(scale)) == 20.5
    assert q.activation_range("RELU6", "int8", scale, 0) == (0, 21)


@pytest.mark.parametrize("padding, size, k, stride, dilation, expected", [
    ("SAME", 5, 3, 2, 1, (1, 1, 3)),
    ("SAME", 4, 3, 2, 1, (0, 1, 2)),
    ("SAME", 96, 3, 2, 1, (0, 1, 48)),
    ("SAME", 49, 10, 2, 1, (4, 5, 25)),
    ("VALID", 5, 3, 2, 1, (0, 0, 2)),
    ("SAME", 7, 3, 1, 2, (2, 2, 7)),
    ("VALID", 3, 3, 2, 1, (0, 0, 1)),
])
def test_compute_padding(padding, size, k, stride, dilation, expected):
    p = q.compute_padding(padding, size, k, stride, dilation)
    assert (p.before, p.after, p.out_size) == expected


def test_exp_on_negative_values_tracks_exp():
    assert q.exp_on_negative_values(0, 5) == INT32_MAX
    for x in np.linspace(-15.9, -0.001, 400):
        raw = int(round(x * (1 << 26)))
        got = q.exp_on_negative_values(raw, 5) / 2.0 ** 31
        assert abs(got - math.exp(raw / 2.0 ** 26)) < 5e-7, x


def test_one_over_one_plus_x_tracks_reciprocal():
    for x in np.linspace(0.0, 0.999, 200):
        raw = int(x * 2 ** 31)
        got = q.one_over_one_plus_x_for_x_in_0_1(raw) / 2.0 ** 31
        assert abs(got - 1 / (1 + raw / 2.0 ** 31)) < 1e-8


def test_softmax_table_and_reference_are_a_probability_distribution():
    table = q.softmax_exp_table(1.0, 1 / 16)
    assert table[0] == INT32_MAX and all(a >= b for a, b in zip(table, table[1:]))
    out = q.softmax_int8_reference([10, 20, 30, -128], table, "int8")
    probs = (np.array(out) + 128) / 256
    expected = np.exp(np.array([10, 20, 30, -128]) / 16)
    assert np.allclose(probs, expected / expected.sum(), atol=1 / 256 + 1e-9)


C_TWIN = r"""
#include <stdio.h>
#include <stdint.h>
#include "tml_fixedpoint.h"
int main(void) {
  long long a, b, c;
  while (scanf("%lld %lld %lld", &a, &b, &c) == 3) {
    printf("%ld %ld %ld\n", (long)tml_saturating_rounding_doubling_high_mul((int32_t)a, (int32_t)b),
           (long)tml_rounding_divide_by_power_of_two((int32_t)a, (int)(c < 0 ? -c : c) % 32),
           (long)tml_multiply_by_quantized_multiplier((int32_t)a, (int32_t)(b < 0 ? -(b + 1) : b), (int32_t)c));
  }
  return 0;
}
"""


def _host_program(tmp_path, name: str, source: str):
    """`source` (including tml_fixedpoint.h) built for the host under UBSan; skips without gcc."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    (tmp_path / f"{name}.c").write_text(source)
    exe = tmp_path / name
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", f"-I{AOT_INCLUDE_DIR}", str(tmp_path / f"{name}.c"), "-o", str(exe)],
                   check=True)
    return exe


def test_c_fixedpoint_matches_python_twins(tmp_path):
    exe = _host_program(tmp_path, "twin", C_TWIN)
    rng = np.random.default_rng(4)
    rows = [(INT32_MIN, INT32_MIN, 0), (INT32_MAX, INT32_MAX, -31), (-1, 1, 3), (0, 0, 0)]
    for _ in range(2000):
        a = (int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True)) if rng.random() < 0.5
             else int(rng.integers(-(1 << 16), 1 << 16)))
        rows.append((a, int(rng.integers(INT32_MIN, INT32_MAX, endpoint=True)), int(rng.integers(-31, 8))))
    text = "".join(f"{a} {b} {c}\n" for a, b, c in rows)
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
    for (a, b, c), line in zip(rows, out):
        m = -(b + 1) if b < 0 else b
        expected = (q.srdhm(a, b), q.rdbpot(a, abs(c) % 32), q.mbqm(a, m, c))
        assert tuple(int(v) for v in line.split()) == expected, (a, b, c)


C_SHORT_DIVISION_CHECK = r"""
#include <stdint.h>
#include <stdio.h>
#include "tml_fixedpoint.h"
/* The short rounding division (ADD/SUB's SMMULR high words) against TFLM's form: every exponent,
 * every x near 0 and both ends of -2^30 <= x < 2^30, and +-2 around 2^16 ties per exponent. */
static long bad;
static void one(int32_t x, int e) {
  if (tml_rounding_divide_by_power_of_two_31bit(x, e) != tml_rounding_divide_by_power_of_two(x, e) && bad++ < 3) {
    printf("e=%d x=%ld\n", e, (long)x);
  }
}
int main(void) {
  uint32_t s = 2463534242u;
  int e, d;
  int32_t x, k;
  for (e = 0; e < 32; ++e) {
    for (x = -70000; x <= 70000; ++x) one(x, e);
    for (x = 0; x < 70000; ++x) { one(-(1 << 30) + x, e); one((1 << 30) - 1 - x, e); }
    for (k = 0; k < 65536; ++k) {
      int32_t tie;
      s ^= s << 13; s ^= s >> 17; s ^= s << 5;
      tie = (int32_t)((s % (1u << 30)) >> e << e) + (e > 0 ? (int32_t)(1u << (e - 1)) : 0);
      for (d = -2; d <= 2; ++d) {
        if (tie + d < (1 << 30) && tie + d > -(1 << 30)) { one(tie + d, e); one(-(tie + d), e); }
      }
    }
  }
  printf("mismatches=%ld\n", bad);
  return 0;
}
"""


def test_short_rounding_division_equals_tflms(tmp_path):
    exe = _host_program(tmp_path, "check", C_SHORT_DIVISION_CHECK)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("mismatches=0"), out
