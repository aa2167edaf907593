"""xtensa_rt's binary32 helpers and sqrtf (float.c) against the host's hardware float.

Why on the host: a file xtensa_cc rebuilds without `+fp` (LLVM 22's float-select crash) does all of
its float arithmetic, comparisons and conversions through these helpers, and every float division
goes through __divsf3; one bit off changes model outputs. The same C, compiled natively with its
symbols renamed, runs millions of seeded random and edge operands in about a second and is compared
with x86-64's SSE float (IEEE 754, round to nearest-even) inside one C program, which prints the
number of mismatches per helper and the first few. NaN results compare as NaN (the payload is the
implementation's). The Xtensa build of the same file is exercised on the twin by
tests/test_xtensa_runtime_support.py (division) and runtime=tflm's twin tests.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_xtensa_double import HELPERS as DOUBLE_HELPERS
from test_xtensa_double import PRELUDE, binary_checks, broken_copy, run_check

from tinyml_build.platform.twin_xtensa import RT_SOURCE_DIR

RANDOM_PAIRS = 1_000_000  # per helper, besides the edge cross product and the targeted classes
SEED = 0x2545F4914F6CDD1D

HELPERS = ("__addsf3", "__subsf3", "__mulsf3", "__divsf3", "__negsf2", "__eqsf2", "__nesf2", "__ltsf2", "__lesf2",
           "__gtsf2", "__gesf2", "__unordsf2", "__fixsfsi", "__fixsfdi", "__fixunssfsi", "__fixunssfdi",
           "__floatsisf", "__floatunsisf", "__floatdisf", "__floatundisf", "sqrtf")
CHECKS = 22  # result lines the program prints (one per helper, plus the comparisons' values)

CHECK = PRELUDE + r"""
static const uint32_t edges[] = {
  0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x00000002u, 0x007FFFFFu, 0x00400000u, 0x00800000u,
  0x80800000u, 0x00800001u, 0x00FFFFFFu, 0x3F800000u, 0xBF800000u, 0x3F800001u, 0x3F7FFFFFu, 0x3F000000u,
  0x3FC00000u, 0x40000000u, 0x40400000u, 0x3EAAAAABu, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F000000u, 0x01000000u,
  0x33800000u, 0x33000000u, 0x4B000000u, 0x4B800000u, 0x4AFFFFFFu, 0x4F000000u, 0xCF000000u, 0x4EFFFFFFu,
  0x4F800000u, 0x4F7FFFFFu, 0x5F000000u, 0xDF000000u, 0x5F7FFFFFu, 0x5F800000u, 0x0C800000u, 0x7F800000u,
  0xFF800000u, 0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0x7FBFFFFFu, 0x40490FDBu, 0x3DCCCCCDu, 0xC0200000u,
  0x3FA00000u, 0x3FE00000u,
};
#define NEDGES (sizeof edges / sizeof edges[0])

static uint32_t pattern(int lo, int hi) { /* random sign and fraction, exponent field in [lo, hi] */
  return ((uint32_t)next() & 0x807FFFFFu) | ((uint32_t)(lo + (int)(next() % (uint64_t)(hi - lo + 1))) << 23);
}

@BINARY@
static void unary(uint32_t a, uint64_t wide) {
  float x = F(a);
  note(12, "neg", UF(__negsf2(x)) == (a ^ 0x80000000u), a, 0, UF(__negsf2(x)), a ^ 0x80000000u);
  if (!isnan(x) && fabsf(x) < 0x1p63f)
    note(13, "fixsfdi", __fixsfdi(x) == (int64_t)x, a, 0, (uint64_t)__fixsfdi(x), (uint64_t)(int64_t)x);
  if (!isnan(x) && x > -2147483904.0f && x < 2147483648.0f)
    note(14, "fixsfsi", __fixsfsi(x) == (int32_t)x, a, 0, (uint64_t)__fixsfsi(x), (uint64_t)(int32_t)x);
  if (!isnan(x) && x > -1.0f && x < 4294967296.0f)
    note(15, "fixunssfsi", __fixunssfsi(x) == (uint32_t)x, a, 0, __fixunssfsi(x), (uint32_t)x);
  if (!isnan(x) && x > -1.0f && x < 0x1p64f)
    note(16, "fixunssfdi", __fixunssfdi(x) == (uint64_t)x, a, 0, __fixunssfdi(x), (uint64_t)x);
  note(17, "floatsisf", UF(__floatsisf((int32_t)wide)) == UF((float)(int32_t)wide), wide, 0,
       UF(__floatsisf((int32_t)wide)), UF((float)(int32_t)wide));
  note(18, "floatunsisf", UF(__floatunsisf((uint32_t)wide)) == UF((float)(uint32_t)wide), wide, 0,
       UF(__floatunsisf((uint32_t)wide)), UF((float)(uint32_t)wide));
  note(19, "floatdisf", UF(__floatdisf((int64_t)wide)) == UF((float)(int64_t)wide), wide, 0,
       UF(__floatdisf((int64_t)wide)), UF((float)(int64_t)wide));
  note(20, "floatundisf", UF(__floatundisf(wide)) == UF((float)wide), wide, 0, UF(__floatundisf(wide)),
       UF((float)wide));
  /* sqrtf is float.c's (renamed); the host's is SSE's sqrtss */
  note(21, "sqrtf", same32(UF(sqrtf(x)), UF(__builtin_sqrtf(x))), a, 0, UF(sqrtf(x)), UF(__builtin_sqrtf(x)));
}

static uint64_t integer(void) { /* a random integer of random width (rounding hits every position) */
  const uint64_t v = next();
  return v >> (next() % 64u);
}

int main(void) {
  for (unsigned i = 0; i < NEDGES; ++i) {
    unary(edges[i], (uint64_t)(int64_t)(int32_t)edges[i]);
    for (unsigned j = 0; j < NEDGES; ++j) binary(edges[i], edges[j]);
  }
  static const uint64_t ints[] = {0, 1, 0x7FFFFFFFull, 0x80000000ull, 0xFFFFFFFFull, 0xFFFFFF80ull, 0x01000001ull,
                                  0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull,
                                  0xFFFFFF8000000000ull, 0x0000008000000001ull};
  for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; ++i) unary(0, ints[i]);
  for (long n = 0; n < @PAIRS@; ++n) {
    uint32_t a = (uint32_t)next(), b = (uint32_t)next();
    switch (n % 8) {
      case 0: break; /* any bit patterns */
      case 1: a = pattern(100, 150); b = pattern(100, 150); break; /* near exponents: cancellation */
      case 2: b = (a & 0xFF800000u) | ((uint32_t)next() & 0x007FFFFFu); b ^= (uint32_t)next() & 0x80000000u;
              break; /* same exponent */
      case 3: a = pattern(0, 20); b = pattern(0, 30); break; /* subnormal and tiny */
      case 4: a = pattern(1, 40); b = pattern(90, 160); break; /* results near and below the normal range */
      case 5: a = pattern(220, 254); b = pattern(100, 160); break; /* results near overflow */
      case 6: a = pattern(127 - 30, 127 + 30); b = a + (uint32_t)(next() % 5) - 2u; break; /* nearly equal */
      default: a = pattern(127, 127 + 66); b = pattern(0, 255); break; /* integer range for conversions */
    }
    binary(a, b);
    unary(a, integer());
  }
  for (int id = 0; id < @CHECKS@; ++id) printf("RESULT %d %ld %ld\n", id, checks[id], failures[id]);
  return 0;
}
"""


def _renames() -> str:
    """float.c's helpers and the double.c ones it calls, renamed off the host's own names."""

    return "".join(f"#define {name} tml_{name.lstrip('_')}\n" for name in HELPERS + DOUBLE_HELPERS)


def _declarations() -> str:
    return f'#include <stdint.h>\n{_renames()}#include "{RT_SOURCE_DIR / "float.c"}"\n'


def _double_object(compiler: str, work) -> str:
    """double.c, renamed as in _renames(), as its own object (its internal names are float.c's too)."""
    source = work / "double_renamed.c"
    source.write_text(f'{_renames()}#include "{RT_SOURCE_DIR / "double.c"}"\n')
    obj = work / "double_renamed.o"
    subprocess.run([compiler, "-O2", "-ffp-contract=off", "-c", "-o", str(obj), str(source)], check=True,
                   capture_output=True)
    return str(obj)


def _compiler() -> str:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("needs a host C compiler (gcc or cc)")
    return compiler


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    compiler = _compiler()
    work = tmp_path_factory.mktemp("xtensa_float")
    source = work / "float_check.c"
    source.write_text(CHECK.replace("@DECLARATIONS@", _declarations()).replace("@SEED@", f"{SEED:#x}")
                      .replace("@BINARY@", binary_checks("sf", "uint32_t", "float", "F", "UF", "same32"))
                      .replace("@PAIRS@", str(RANDOM_PAIRS)).replace("@CHECKS@", str(CHECKS)))
    return run_check(compiler, source, _double_object(compiler, work))


def test_every_helper_matches_the_hardware_on_millions_of_operands(results):
    counts, mismatches = results
    assert len(counts) == CHECKS
    assert not mismatches, "\n".join(mismatches[:20])
    assert all(failed == 0 for _, failed in counts.values())
    assert counts[0][0] > RANDOM_PAIRS  # every random pair reached the arithmetic helpers
    assert min(checked for checked, _ in counts.values()) > 10_000  # and every helper got many cases


@pytest.mark.parametrize("mutation", [("tml_rt_ieee_template.h", "rest > TML_RT_HALF ||",
                                       "rest >= TML_RT_HALF ||"),  # ties away
                                      ("float.c", "- 1ull)) != 0u ? 1u : 0u", "- 1ull)) != 0u ? 0u : 0u")])
def test_the_check_can_fail(tmp_path, mutation):
    """A broken copy of float.c or of the template it instantiates (ties away from zero; a product
    without its sticky bit) is caught on two operands each (the comparison is not vacuous)."""
    compiler = _compiler()
    broken_copy(tmp_path, *mutation)
    copy = tmp_path / "float.c"
    source = tmp_path / "check.c"
    # 1 + 2^-24 is a tie (nearest-even keeps 1); the product's 2^-34 bit alone breaks its near-tie upwards
    source.write_text(f'{_renames()}#include "{copy}"\n'
                      "int main(void) { volatile float a = 1.0f, b = 0x1p-24f, x = 0x1.001p0f, y = 0x1.001004p0f;\n"
                      "  return (tml_addsf3(a, b) == a + b && tml_mulsf3(x, y) == x * y) ? 0 : 1; }\n")
    program = tmp_path / "check"
    subprocess.run([compiler, "-O2", "-ffp-contract=off", "-I", str(RT_SOURCE_DIR), "-o", str(program), str(source),
                    _double_object(compiler, tmp_path)], check=True, capture_output=True)
    assert subprocess.run([str(program)], check=False).returncode == 1
