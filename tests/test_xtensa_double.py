"""xtensa_rt's binary64 helpers and exact libm functions against the host's hardware double and glibc.

Why on the host: runtime=tflm on the Xtensa targets computes TFLM's quantization multipliers with
xtensa_rt/double.c and math.c (no FPU double, no usable libgcc there); a multiplier one bit off
changes model outputs. The same C, compiled natively with its symbols renamed, runs millions of
seeded random and edge operands in about a second and is compared with x86-64's SSE2 double (IEEE
754, round to nearest-even) and glibc inside one C program, which prints the number of mismatches
per helper and the first few. NaN results compare as NaN (the payload is the implementation's).
The Xtensa build of the same files is exercised by runtime=tflm's twin tests (tests/test_esp_tflm.py).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tinyml_build.platform.twin_xtensa import RT_SOURCE_DIR

RANDOM_PAIRS = 1_000_000  # per helper, besides the edge cross product and the targeted classes
SEED = 0x9E3779B97F4A7C15

HELPERS = ("__adddf3", "__subdf3", "__muldf3", "__divdf3", "__negdf2", "__eqdf2", "__nedf2", "__ltdf2", "__ledf2",
           "__gtdf2", "__gedf2", "__unorddf2", "__extendsfdf2", "__truncdfsf2", "__fixdfsi", "__fixdfdi",
           "__fixunsdfsi", "__fixunsdfdi", "__floatsidf", "__floatunsidf", "__floatdidf", "__floatundidf")
MATH = ("frexp", "ldexp", "round", "roundf", "floor", "ceilf")

# The C program's head, shared with tests/test_xtensa_float.py: seeded xorshift, bit views, the tally.
PRELUDE = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DECLARE
@DECLARATIONS@

static uint64_t state = @SEED@ull;
static uint64_t next(void) { /* xorshift64* */
  state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;
}
static double D(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint64_t U(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static float F(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t UF(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static int nan64(uint64_t u) { return (u & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull; }
static int nan32(uint32_t u) { return (u & 0x7FFFFFFFu) > 0x7F800000u; }
static int same64(uint64_t a, uint64_t b) { return a == b || (nan64(a) && nan64(b)); }
static int same32(uint32_t a, uint32_t b) { return a == b || (nan32(a) && nan32(b)); }
static int sgn(int x) { return (x > 0) - (x < 0); }

static long failures[64], checks[64];
static void note(int id, const char *name, int ok, uint64_t a, uint64_t b, uint64_t got, uint64_t want) {
  ++checks[id];
  if (!ok && failures[id]++ < 3)
    printf("MISMATCH %s %016llx %016llx got %016llx want %016llx\n", name, (unsigned long long)a,
           (unsigned long long)b, (unsigned long long)got, (unsigned long long)want);
}
"""

CHECK = PRELUDE + r"""
static const uint64_t edges[] = {
  0, 0x8000000000000000ull, 1, 0x8000000000000001ull, 2, 0x000FFFFFFFFFFFFFull, 0x0008000000000000ull,
  0x0010000000000000ull, 0x0010000000000001ull, 0x001FFFFFFFFFFFFFull, 0x3FF0000000000000ull,
  0xBFF0000000000000ull, 0x3FF0000000000001ull, 0x3FEFFFFFFFFFFFFFull, 0x3FE0000000000000ull,
  0x3FF8000000000000ull, 0x4000000000000000ull, 0x4008000000000000ull, 0x3FD5555555555555ull,
  0x7FEFFFFFFFFFFFFFull, 0xFFEFFFFFFFFFFFFFull, 0x7FE0000000000000ull, 0x0020000000000000ull,
  0x3CA0000000000000ull, 0x4330000000000000ull, 0x4340000000000000ull, 0x432FFFFFFFFFFFFFull,
  0x43E0000000000000ull, 0xC3E0000000000000ull, 0x41E0000000000000ull, 0xC1E0000000000000ull,
  0x41DFFFFFFFC00000ull, 0x41EFFFFFFFE00000ull, 0x47EFFFFFE0000000ull, 0x47EFFFFFF0000000ull,
  0x36A0000000000000ull, 0x3690000000000000ull, 0x3810000000000000ull, 0x380FFFFFF0000000ull,
  0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull, 0xFFF8000000000001ull,
  0x7FF0000000000001ull, 0x400921FB54442D18ull, 0x3FB999999999999Aull, 0x4004000000000000ull,
  0xC004000000000000ull, 0x3FF4000000000000ull, 0x3FFC000000000000ull,
};
#define NEDGES (sizeof edges / sizeof edges[0])

static uint64_t pattern(int lo, int hi) { /* random sign and fraction, exponent field in [lo, hi] */
  return (next() & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(lo + (int)(next() % (uint64_t)(hi - lo + 1))) << 52);
}

@BINARY@
static void unary(uint64_t a) {
  double x = D(a);
  note(12, "neg", U(__negdf2(x)) == (a ^ 0x8000000000000000ull), a, 0, U(__negdf2(x)), a ^ 0x8000000000000000ull);
  note(13, "trunc", same32(UF(__truncdfsf2(x)), UF((float)x)), a, 0, UF(__truncdfsf2(x)), UF((float)x));
  uint32_t f = (uint32_t)a;
  note(14, "extend", same64(U(__extendsfdf2(F(f))), U((double)F(f))), f, 0, U(__extendsfdf2(F(f))),
       U((double)F(f)));
  if (!isnan(x) && fabs(x) < 9.2233720368547758e18)
    note(15, "fixdfdi", __fixdfdi(x) == (int64_t)x, a, 0, (uint64_t)__fixdfdi(x), (uint64_t)(int64_t)x);
  if (!isnan(x) && x > -2147483649.0 && x < 2147483648.0)
    note(16, "fixdfsi", __fixdfsi(x) == (int32_t)x, a, 0, (uint64_t)__fixdfsi(x), (uint64_t)(int32_t)x);
  if (!isnan(x) && x > -1.0 && x < 4294967296.0)
    note(17, "fixunsdfsi", __fixunsdfsi(x) == (uint32_t)x, a, 0, __fixunsdfsi(x), (uint32_t)x);
  if (!isnan(x) && x > -1.0 && x < 1.8446744073709552e19)
    note(18, "fixunsdfdi", __fixunsdfdi(x) == (uint64_t)x, a, 0, __fixunsdfdi(x), (uint64_t)x);
  note(19, "floatdidf", U(__floatdidf((int64_t)a)) == U((double)(int64_t)a), a, 0, U(__floatdidf((int64_t)a)),
       U((double)(int64_t)a));
  note(20, "floatundidf", U(__floatundidf(a)) == U((double)a), a, 0, U(__floatundidf(a)), U((double)a));
  note(21, "floatsidf", U(__floatsidf((int32_t)a)) == U((double)(int32_t)a), a, 0, U(__floatsidf((int32_t)a)),
       U((double)(int32_t)a));
  note(22, "floatunsidf", U(__floatunsidf((uint32_t)a)) == U((double)(uint32_t)a), a, 0,
       U(__floatunsidf((uint32_t)a)), U((double)(uint32_t)a));
  int e1 = 0, e2 = 0;
  double m1 = tml_frexp(x, &e1), m2 = frexp(x, &e2);
  note(23, "frexp", same64(U(m1), U(m2)) && (isnan(x) || isinf(x) || e1 == e2), a, 0, U(m1), U(m2));
  int k = (int)(next() % 2400u) - 1200;
  note(24, "ldexp", same64(U(tml_ldexp(x, k)), U(ldexp(x, k))), a, (uint64_t)k, U(tml_ldexp(x, k)), U(ldexp(x, k)));
  note(25, "round", same64(U(tml_round(x)), U(round(x))), a, 0, U(tml_round(x)), U(round(x)));
  note(26, "roundf", same32(UF(tml_roundf(F(f))), UF(roundf(F(f)))), f, 0, UF(tml_roundf(F(f))), UF(roundf(F(f))));
  note(27, "floor", same64(U(tml_floor(x)), U(floor(x))), a, 0, U(tml_floor(x)), U(floor(x)));
  note(28, "ceilf", same32(UF(tml_ceilf(F(f))), UF(ceilf(F(f)))), f, 0, UF(tml_ceilf(F(f))), UF(ceilf(F(f))));
}

int main(void) {
  for (unsigned i = 0; i < NEDGES; ++i) {
    unary(edges[i]);
    for (unsigned j = 0; j < NEDGES; ++j) binary(edges[i], edges[j]);
  }
  for (long n = 0; n < @PAIRS@; ++n) {
    uint64_t a = next(), b = next();
    switch (n % 8) {
      case 0: break; /* any bit patterns */
      case 1: a = pattern(1000, 1050); b = pattern(1000, 1050); break; /* near exponents: cancellation */
      case 2: b = (a & 0xFFF0000000000000ull) | (next() & 0x000FFFFFFFFFFFFFull); b ^= next() & 0x8000000000000000ull;
              break; /* same exponent */
      case 3: a = pattern(0, 40); b = pattern(0, 60); break; /* subnormal and tiny */
      case 4: a = pattern(1, 60); b = pattern(990, 1100); break; /* results near and below the normal range */
      case 5: a = pattern(1990, 2046); b = pattern(900, 1100); break; /* results near overflow */
      case 6: a = pattern(1023 - 70, 1023 + 70); b = a + (next() % 5) - 2; break; /* nearly equal */
      default: a = pattern(1023, 1023 + 66); b = pattern(0, 2047); break; /* integer range for conversions */
    }
    binary(a, b);
    unary(a);
    if ((n & 7) == 0) unary((uint64_t)(int64_t)(int32_t)next()); /* small integers for the int->double ones */
  }
  for (int id = 0; id < 29; ++id) printf("RESULT %d %ld %ld\n", id, checks[id], failures[id]);
  return 0;
}
"""


BINARY = r"""
static void binary(@BITS@ a, @BITS@ b) {
  @TYPE@ x = @LOAD@(a), y = @LOAD@(b);
  note(0, "add", @SAME@(@U@(__add@S@3(x, y)), @U@(x + y)), a, b, @U@(__add@S@3(x, y)), @U@(x + y));
  note(1, "sub", @SAME@(@U@(__sub@S@3(x, y)), @U@(x - y)), a, b, @U@(__sub@S@3(x, y)), @U@(x - y));
  note(2, "mul", @SAME@(@U@(__mul@S@3(x, y)), @U@(x * y)), a, b, @U@(__mul@S@3(x, y)), @U@(x * y));
  note(3, "div", @SAME@(@U@(__div@S@3(x, y)), @U@(x / y)), a, b, @U@(__div@S@3(x, y)), @U@(x / y));
  int u = isnan(x) || isnan(y);
  note(4, "eq", (__eq@S@2(x, y) == 0) == (x == y), a, b, (uint64_t)__eq@S@2(x, y), x == y);
  note(5, "ne", (__ne@S@2(x, y) != 0) == (x != y), a, b, (uint64_t)__ne@S@2(x, y), x != y);
  note(6, "lt", (__lt@S@2(x, y) < 0) == (x < y), a, b, (uint64_t)__lt@S@2(x, y), x < y);
  note(7, "le", (__le@S@2(x, y) <= 0) == (x <= y), a, b, (uint64_t)__le@S@2(x, y), x <= y);
  note(8, "gt", (__gt@S@2(x, y) > 0) == (x > y), a, b, (uint64_t)__gt@S@2(x, y), x > y);
  note(9, "ge", (__ge@S@2(x, y) >= 0) == (x >= y), a, b, (uint64_t)__ge@S@2(x, y), x >= y);
  note(10, "unord", (__unord@S@2(x, y) != 0) == u, a, b, (uint64_t)__unord@S@2(x, y), u);
  if (!u) {
    int ordered = (x < y) ? -1 : (x > y);
    note(11, "cmp-value", sgn(__le@S@2(x, y)) == ordered && sgn(__ge@S@2(x, y)) == ordered, a, b,
         (uint64_t)__le@S@2(x, y), (uint64_t)ordered);
  }
}
"""


def binary_checks(suffix: str, bits: str, ctype: str, load: str, to_bits: str, same: str) -> str:
    """The C function checking the four arithmetic helpers and the comparisons of one precision
    against the host's operators (ids 0-11), shared by the double and float checks."""
    text = BINARY
    for key, value in (("@S@", suffix), ("@BITS@", bits), ("@TYPE@", ctype), ("@LOAD@", load), ("@U@", to_bits),
                       ("@SAME@", same)):
        text = text.replace(key, value)
    return text


def _declarations() -> str:
    lines = ["#include <stdint.h>"]
    for name in HELPERS + MATH:
        lines.append(f"#define {name} tml_{name.lstrip('_')}")
    lines.append(f'#include "{RT_SOURCE_DIR / "double.c"}"')
    lines.append(f'#include "{RT_SOURCE_DIR / "math.c"}"')
    lines += [f"#undef {name}" for name in HELPERS + MATH]
    lines += [f"#define {name} tml_{name.lstrip('_')}" for name in HELPERS]  # the helpers keep their new names
    return "\n".join(lines)


def run_check(compiler: str, source, *objects: str) -> tuple[dict[int, tuple[int, int]], list[str]]:
    """Build and run a check program; {id: (checks, failures)} from its RESULT lines, and its MISMATCH
    lines. SSE2 (x86-64's default) rounds once per operation; no contraction into fused multiply-adds."""
    program = source.with_suffix("")
    build = subprocess.run([compiler, "-O2", "-std=gnu99", "-ffp-contract=off", "-fno-builtin", "-o", str(program),
                            str(source), *objects, "-lm"], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run([str(program)], capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    counts = {}
    for line in run.stdout.splitlines():
        if line.startswith("RESULT "):
            _, ident, checked, failed = line.split()
            counts[int(ident)] = (int(checked), int(failed))
    return counts, [line for line in run.stdout.splitlines() if line.startswith("MISMATCH")]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("needs a host C compiler (gcc or cc)")
    work = tmp_path_factory.mktemp("xtensa_double")
    source = work / "double_check.c"
    source.write_text(CHECK.replace("@DECLARATIONS@", _declarations()).replace("@SEED@", f"{SEED:#x}")
                      .replace("@BINARY@", binary_checks("df", "uint64_t", "double", "D", "U", "same64"))
                      .replace("@PAIRS@", str(RANDOM_PAIRS)))
    return run_check(compiler, source)


def test_every_helper_matches_the_hardware_on_millions_of_operands(results):
    counts, mismatches = results
    assert len(counts) == 29
    assert not mismatches, "\n".join(mismatches[:20])
    assert all(failed == 0 for _, failed in counts.values())
    assert counts[0][0] > RANDOM_PAIRS  # every random pair reached the arithmetic helpers
    assert min(checked for checked, _ in counts.values()) > 10_000  # and every helper got many cases


def broken_copy(work, name: str, old: str, new: str) -> None:
    """float.c, double.c and the template they share, copied into work/ with the first `old` in
    `name` replaced by `new` (a copy's quoted includes find its siblings in work/ first)."""
    for source in ("float.c", "double.c", "tml_rt_ieee_template.h"):
        text = (RT_SOURCE_DIR / source).read_text()
        if source == name:
            broken = text.replace(old, new, 1)
            assert broken != text, f"{old!r} is not in {name}"
            text = broken
        (work / source).write_text(text)


def test_the_check_can_fail(tmp_path):
    """A wrong rounding constant in a copy of the arithmetic double.c instantiates is caught (the
    comparison is not vacuous)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("needs a host C compiler (gcc or cc)")
    broken_copy(tmp_path, "tml_rt_ieee_template.h", "rest > TML_RT_HALF ||", "rest >= TML_RT_HALF ||")
    copy = tmp_path / "double.c"
    source = tmp_path / "check.c"
    source.write_text("#define __adddf3 tml_adddf3\n"  # 1 + 2^-53 is a tie: nearest-even keeps 1
                      f'#include "{copy}"\n'
                      "int main(void) { volatile double a = 1.0, b = 0x1p-53;\n"
                      "  return tml_adddf3(a, b) == a + b ? 0 : 1; }\n")
    program = tmp_path / "check"
    subprocess.run([compiler, "-O2", "-ffp-contract=off", "-I", str(RT_SOURCE_DIR), "-o", str(program), str(source)],
                   check=True, capture_output=True)
    assert subprocess.run([str(program)], check=False).returncode == 1
