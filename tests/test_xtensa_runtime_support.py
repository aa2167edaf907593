"""xtensa_rt against the host: every helper, edge cases and thousands of seeded random operands.

Why: the Xtensa firmware links no libgcc/libc, so division, 64-bit arithmetic and the mem*
functions are the project's own code -- and float models are only bit-exact if __divsf3 rounds
exactly like the host's IEEE division. One C program runs every case on the QEMU twin (one
compile, one run); Python computes what the host says for each and compares.
NaN results are compared as NaN (IEEE 754 leaves their payload to the implementation).
"""

from __future__ import annotations

import random
import struct

import pytest
import xtensa_testlib as xt

from tinyml_build.platform.twin_xtensa import RT_SOURCE_DIR

np = pytest.importorskip("numpy")

SEED = 20240917
INT64_MIN = -(1 << 63)
MASK64 = (1 << 64) - 1

FLOAT_EDGES = [
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x00000002, 0x007FFFFF, 0x00400000, 0x00800000, 0x80800000,
    0x00800001, 0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x40400000, 0x3EAAAAAB, 0x7F7FFFFF, 0xFF7FFFFF,
    0x7F000000, 0x01000000, 0x33800000, 0x4B800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001,
    0x7FBFFFFF, 0x40490FDB, 0x3DCCCCCD,
]
INT64_EDGES = [
    0, 1, 2, 3, 7, 10, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x100000001, 0x1FFFFFFFF,
    0x123456789ABCDEF0, 10**18, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001, 0xFFFFFFFF00000000,
    0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFF6,
]
COPY_LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 63]
MOVE_SHIFTS = [-9, -5, -4, -3, -1, 1, 2, 3, 4, 5, 8, 13]
SET_VALUES = [0, 0xAB, 0x1FF, -1, -128]


def _float_cases(rng: random.Random) -> list[tuple[int, int]]:
    cases = [(a, b) for a in FLOAT_EDGES for b in FLOAT_EDGES]
    cases += [(rng.getrandbits(32), rng.getrandbits(32)) for _ in range(1500)]

    def pattern(exp_lo: int, exp_hi: int) -> int:
        return (rng.getrandbits(1) << 31) | (rng.randint(exp_lo, exp_hi) << 23) | rng.getrandbits(23)

    cases += [(pattern(1, 60), pattern(100, 200)) for _ in range(800)]  # results near and below the normal range
    cases += [(pattern(150, 254), pattern(1, 60)) for _ in range(400)]  # results near overflow
    cases += [(rng.getrandbits(23), pattern(1, 254)) for _ in range(300)]  # subnormal dividends
    cases += [(pattern(1, 254), rng.getrandbits(23) | 1) for _ in range(300)]  # subnormal divisors
    # Power-of-two divisors: exact quotients shifted into the subnormal range hit exact ties.
    cases += [(pattern(1, 40), rng.randint(127, 160) << 23) for _ in range(500)]
    return cases


def _double_cases(rng: random.Random) -> list[tuple[int, int]]:
    """xtensa_rt/double.c as LLVM 22 compiles it for the ESP32 (its host build is checked on millions
    of operands in tests/test_xtensa_double.py): random patterns, near exponents, tiny results."""
    def pattern(exp_lo: int, exp_hi: int) -> int:
        return (rng.getrandbits(1) << 63) | (rng.randint(exp_lo, exp_hi) << 52) | rng.getrandbits(52)

    cases = [(rng.getrandbits(64), rng.getrandbits(64)) for _ in range(300)]
    cases += [(pattern(1000, 1050), pattern(1000, 1050)) for _ in range(300)]
    cases += [(pattern(0, 60), pattern(900, 1100)) for _ in range(200)]
    cases += [(0x3FF0000000000000, 0x3CA0000000000000), (0x7FF0000000000000, 0xFFF0000000000000), (0, 0),
              (0x8000000000000000, 0), (0x7FEFFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF), (1, 0x3FE0000000000000)]
    return cases


def _host_double(a: int, b: int) -> list[int]:
    x, y = np.array([a, b], dtype=np.uint64).view(np.float64)
    with np.errstate(all="ignore"):
        results = [x + y, x - y, x * y, x / y]
    bits = [int(np.array([r], dtype=np.float64).view(np.uint64)[0]) for r in results]
    return bits + [int(x < y) | (int(x == y) << 1) | (int(x > y) << 2)]


def _int64_cases(rng: random.Random) -> list[tuple[int, int]]:
    cases = [(a, b) for a in INT64_EDGES for b in INT64_EDGES if b != 0]
    for _ in range(800):
        a = rng.getrandbits(rng.randint(1, 64))
        b = rng.getrandbits(rng.randint(1, 64)) or 1
        if rng.getrandbits(1):
            a = (-a) & MASK64
        if rng.getrandbits(1):
            b = (-b) & MASK64
        cases.append((a, b))
    return cases


def _signed(x: int) -> int:
    return x - (1 << 64) if x >> 63 else x


def _fnv(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _expected_mem() -> list[int]:
    """What the C program's memory checks print, by the same steps on Python bytes."""
    out = []
    src = bytes((i * 7 + 3) & 0xFF for i in range(96))
    for so in range(4):
        for do in range(4):
            for n in COPY_LENGTHS:
                dst = bytearray([0xEE] * 96)
                dst[do:do + n] = src[so:so + n]
                out.append(_fnv(dst))
    for s in (16, 17, 18, 19):
        for shift in MOVE_SHIFTS:
            for n in COPY_LENGTHS:
                buf = bytearray(src)
                buf[s + shift:s + shift + n] = bytes(buf[s:s + n])
                out.append(_fnv(buf))
    for off in range(4):
        for value in SET_VALUES:
            for n in COPY_LENGTHS:
                dst = bytearray([0xEE] * 96)
                dst[off:off + n] = bytes([value & 0xFF]) * n
                out.append(_fnv(dst))
    for _offset in range(4):
        for n in COPY_LENGTHS:
            out.append(0)  # equal
            out += [0xFFFFFFFF, 1] * (3 if n else 0)  # at 3 positions: a < b, then b > a
    for n in range(21):
        out += [n] * 4  # strlen at 4 offsets
    return out


def _c_array(name: str, ctype: str, values) -> str:
    body = ",".join(f"{v:#x}u" if ctype.startswith("uint32") else f"{v:#x}ull" for v in values)
    return f"static const {ctype} {name}[{len(values)}] = {{{body}}};\n"


PROGRAM = r"""
#include <stdint.h>
#include <string.h>

#include "tml_platform.h"
#include "tml_rt_softfp.h" /* float.c's helpers, called by name: this file has +fp (LLVM calls __divsf3) */

static void put_hex32(uint32_t v) {
  char text[9];
  for (int i = 0; i < 8; ++i) text[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15u];
  text[8] = ' ';
  tml_console_write(text, 9);
}
static void put_line(const char *tag) {
  tml_console_write("\n", 1);
  tml_console_write(tag, 2);
}
static uint32_t fnv(const volatile unsigned char *p, uint32_t n) {
  uint32_t h = 0x811C9DC5u;
  for (uint32_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x01000193u;
  return h;
}
static unsigned char src[96], dst[96];
static void fill(volatile unsigned char *p, unsigned char v) {
  for (int i = 0; i < 96; ++i) p[i] = v;
}
static void fill_pattern(volatile unsigned char *p) {
  for (int i = 0; i < 96; ++i) p[i] = (unsigned char)(i * 7 + 3);
}
static int sign(int x) {
  return x < 0 ? -1 : (x > 0 ? 1 : 0);
}
static const int lengths[] = {@LENGTHS@};
static const int shifts[] = {@SHIFTS@};
static const int set_values[] = {@SET_VALUES@};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void) {
  tml_platform_init();
  put_line("F ");
  for (uint32_t i = 0; i < COUNT(fa); ++i) {
    union { uint32_t u; float f; } a, b, q, r[5];
    a.u = fa[i];
    b.u = fb[i];
    q.f = a.f / b.f;
    put_hex32(q.u);
    r[0].f = __addsf3(a.f, b.f);
    r[1].f = __subsf3(a.f, b.f);
    r[2].f = __mulsf3(a.f, b.f);
    r[3].f = __floatsisf((int32_t)a.u);
    r[4].f = sqrtf(a.f);
    for (int k = 0; k < 5; ++k) put_hex32(r[k].u);
    put_hex32((uint32_t)__fixsfsi(a.f));
  }
  put_line("D ");
  for (uint32_t i = 0; i < COUNT(da); ++i) {
    union { uint64_t u; double d; } a, b, r[4];
    a.u = da[i];
    b.u = db[i];
    r[0].d = a.d + b.d;
    r[1].d = a.d - b.d;
    r[2].d = a.d * b.d;
    r[3].d = a.d / b.d;
    for (int k = 0; k < 4; ++k) { put_hex32((uint32_t)(r[k].u >> 32)); put_hex32((uint32_t)r[k].u); }
    put_hex32((uint32_t)(a.d < b.d) | ((uint32_t)(a.d == b.d) << 1) | ((uint32_t)(a.d > b.d) << 2));
  }
  put_line("U ");
  for (uint32_t i = 0; i < COUNT(ia); ++i) {
    const uint64_t q = ia[i] / ib[i], r = ia[i] % ib[i];
    put_hex32((uint32_t)(q >> 32)); put_hex32((uint32_t)q); put_hex32((uint32_t)(r >> 32)); put_hex32((uint32_t)r);
  }
  put_line("S ");
  for (uint32_t i = 0; i < COUNT(ia); ++i) {
    const int64_t a = (int64_t)ia[i], b = (int64_t)ib[i];
    if (a == INT64_MIN && b == -1) continue;
    const int64_t q = a / b, r = a % b;
    put_hex32((uint32_t)((uint64_t)q >> 32)); put_hex32((uint32_t)q);
    put_hex32((uint32_t)((uint64_t)r >> 32)); put_hex32((uint32_t)r);
  }
  put_line("M ");
  fill_pattern(src);
  for (int so = 0; so < 4; ++so)
    for (int d = 0; d < 4; ++d)
      for (uint32_t l = 0; l < COUNT(lengths); ++l) {
        fill(dst, 0xEE);
        if (memcpy(dst + d, src + so, (size_t)lengths[l]) != dst + d) put_hex32(0xBAD);
        put_hex32(fnv(dst, 96));
      }
  for (int s = 16; s < 20; ++s)
    for (uint32_t k = 0; k < COUNT(shifts); ++k)
      for (uint32_t l = 0; l < COUNT(lengths); ++l) {
        fill_pattern(dst);
        if (memmove(dst + s + shifts[k], dst + s, (size_t)lengths[l]) != dst + s + shifts[k]) put_hex32(0xBAD);
        put_hex32(fnv(dst, 96));
      }
  for (int off = 0; off < 4; ++off)
    for (uint32_t v = 0; v < COUNT(set_values); ++v)
      for (uint32_t l = 0; l < COUNT(lengths); ++l) {
        fill(dst, 0xEE);
        if (memset(dst + off, set_values[v], (size_t)lengths[l]) != dst + off) put_hex32(0xBAD);
        put_hex32(fnv(dst, 96));
      }
  for (int off = 0; off < 4; ++off)
    for (uint32_t l = 0; l < COUNT(lengths); ++l) {
      const int n = lengths[l];
      fill_pattern(src);
      fill_pattern(dst);
      put_hex32((uint32_t)sign(memcmp(src + off, dst + off, (size_t)n)));
      if (n == 0) continue;
      const int positions[3] = {0, n / 2, n - 1};
      for (int p = 0; p < 3; ++p) {
        fill_pattern(src);
        fill_pattern(dst);
        src[off + positions[p]] = 0x10u; /* src < dst there, unsigned bytes */
        dst[off + positions[p]] = 0x90u;
        put_hex32((uint32_t)sign(memcmp(src + off, dst + off, (size_t)n)));
        put_hex32((uint32_t)sign(memcmp(dst + off, src + off, (size_t)n)));
      }
    }
  for (int n = 0; n <= 20; ++n)
    for (int off = 0; off < 4; ++off) {
      fill(dst, 'x');
      dst[off + n] = 0;
      put_hex32((uint32_t)strlen((const char *)dst + off));
    }
  put_line("E ");
  tml_console_write("\n", 1);
  return 0;
}
"""


def _program(float_cases, int_cases, double_cases) -> str:
    head = "#include <stdint.h>\n"
    head += _c_array("fa", "uint32_t", [a for a, _ in float_cases])
    head += _c_array("fb", "uint32_t", [b for _, b in float_cases])
    head += _c_array("da", "uint64_t", [a for a, _ in double_cases])
    head += _c_array("db", "uint64_t", [b for _, b in double_cases])
    head += _c_array("ia", "uint64_t", [a for a, _ in int_cases])
    head += _c_array("ib", "uint64_t", [b for _, b in int_cases])
    body = (PROGRAM.replace("@LENGTHS@", ", ".join(map(str, COPY_LENGTHS)))
            .replace("@SHIFTS@", ", ".join(map(str, MOVE_SHIFTS)))
            .replace("@SET_VALUES@", ", ".join(map(str, SET_VALUES))))
    return head + body.replace("#include <stdint.h>\n", "", 1)


def _host_divide(a: int, b: int) -> int:
    with np.errstate(all="ignore"):
        q = np.array([a], dtype=np.uint32).view(np.float32) / np.array([b], dtype=np.uint32).view(np.float32)
    return int(q.view(np.uint32)[0])


def _is_nan(bits: int) -> bool:
    return (bits & 0x7F800000) == 0x7F800000 and (bits & 0x7FFFFF) != 0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    xt.require(*xt.COMPILE_TOOLS, *xt.LINK_TOOLS, *xt.RUN_TOOLS)
    rng = random.Random(SEED)
    float_cases, int_cases, double_cases = _float_cases(rng), _int64_cases(rng), _double_cases(rng)
    work = tmp_path_factory.mktemp("xtensa_rt")
    source = work / "rt_check.c"
    source.write_text(_program(float_cases, int_cases, double_cases))
    elf = xt.build_twin(work, [source], flags=["-Wno-shadow", "-Wno-sign-compare", f"-I{RT_SOURCE_DIR}"])
    result = xt.run_twin(elf)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    sections = {}
    for line in result.stdout.splitlines():
        if len(line) >= 2 and line[1] == " " and line[0] in "FDUSME":
            sections[line[0]] = [int(word, 16) for word in line[2:].split()]
    assert "E" in sections, "the program did not finish"
    return float_cases, int_cases, sections, double_cases


FLOAT_WORDS = 7  # per case: a / b, __addsf3, __subsf3, __mulsf3, __floatsisf(bits of a), sqrtf(a), __fixsfsi(a)


def test_divsf3_is_correctly_rounded(run):
    float_cases, _, sections, _ = run
    got = sections["F"][::FLOAT_WORDS]
    assert len(got) * FLOAT_WORDS == len(sections["F"]) and len(got) == len(float_cases) > 4000
    wrong = []
    for (a, b), result in zip(float_cases, got):
        want = _host_divide(a, b)
        if _is_nan(want) and _is_nan(result):
            continue
        if want != result:
            wrong.append(f"{a:08x}/{b:08x}: got {result:08x}, host {want:08x}")
    assert not wrong, f"{len(wrong)} of {len(got)} differ, e.g. " + "; ".join(wrong[:5])
    subnormal_results = sum(1 for a, b in float_cases if 0 < (_host_divide(a, b) & 0x7FFFFFFF) < 0x800000)
    assert subnormal_results > 300  # the cases do reach the subnormal range


def _host_float(a: int, b: int) -> list[int]:
    x, y = np.array([a, b], dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        results = [x + y, x - y, x * y, np.float32(np.int32(np.uint32(a).view(np.int32))), np.sqrt(x)]
    return [int(np.array([r], dtype=np.float32).view(np.uint32)[0]) for r in results]


def test_single_precision_helpers_on_the_twin(run):
    """float.c's add, sub, mul, int conversions and sqrtf as LLVM 22 compiles them for the ESP32 (what
    a file rebuilt without +fp calls; the host build is checked on millions of operands in
    tests/test_xtensa_float.py)."""
    float_cases, _, sections, _ = run
    words = sections["F"]
    wrong = []
    for i, (a, b) in enumerate(float_cases):
        mine = words[FLOAT_WORDS * i + 1:FLOAT_WORDS * i + 6]
        for k, (got, want) in enumerate(zip(mine, _host_float(a, b))):
            if got != want and not (_is_nan(got) and _is_nan(want)):
                wrong.append(f"{a:08x} op{k} {b:08x}: got {got:08x}, host {want:08x}")
        x = float(np.array([a], dtype=np.uint32).view(np.float32)[0])
        if x == x and -2147483648.0 <= x < 2147483648.0:  # in range: truncation toward zero
            fixed = words[FLOAT_WORDS * i + 6]
            assert fixed - (1 << 32) * (fixed >> 31) == int(x), f"__fixsfsi({a:08x})"
    assert not wrong, f"{len(wrong)} differ, e.g. " + "; ".join(wrong[:5])


def test_double_arithmetic_on_the_twin(run):
    _, _, sections, double_cases = run
    got = sections["D"]
    assert len(got) == 9 * len(double_cases)
    wrong = []
    for i, (a, b) in enumerate(double_cases):
        words = got[9 * i:9 * i + 9]
        results = [(words[2 * k] << 32) | words[2 * k + 1] for k in range(4)] + [words[8]]
        want = _host_double(a, b)
        for k, (mine, host) in enumerate(zip(results, want)):
            both_nan = k < 4 and all((v & 0x7FF0000000000000) == 0x7FF0000000000000 and v & ((1 << 52) - 1)
                                     for v in (mine, host))
            if mine != host and not both_nan:
                wrong.append(f"{a:016x} op{k} {b:016x}: got {mine:x}, host {host:x}")
    assert not wrong, f"{len(wrong)} differ, e.g. " + "; ".join(wrong[:5])


def test_64bit_division(run):
    _, int_cases, sections, _ = run
    unsigned = [tuple(sections["U"][i:i + 4]) for i in range(0, len(sections["U"]), 4)]
    assert len(unsigned) == len(int_cases)
    for (a, b), (qh, ql, rh, rl) in zip(int_cases, unsigned):
        assert ((qh << 32) | ql, (rh << 32) | rl) == (a // b, a % b), f"{a:#x} / {b:#x} unsigned"
    signed_cases = [(_signed(a), _signed(b)) for a, b in int_cases
                    if not (_signed(a) == INT64_MIN and _signed(b) == -1)]
    signed = [tuple(sections["S"][i:i + 4]) for i in range(0, len(sections["S"]), 4)]
    assert len(signed) == len(signed_cases)
    for (a, b), (qh, ql, rh, rl) in zip(signed_cases, signed):
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C: truncate toward zero
        r = a - q * b
        assert (_signed((qh << 32) | ql), _signed((rh << 32) | rl)) == (q, r), f"{a} / {b} signed"


def test_memory_functions(run):
    _, _, sections, _ = run
    assert 0xBAD not in sections["M"]  # each returns its destination
    assert sections["M"] == _expected_mem()


def test_float_bits_helper():
    assert struct.unpack("<I", struct.pack("<f", 1.0))[0] == 0x3F800000
    assert _host_divide(0x3F800000, 0x40400000) == 0x3EAAAAAB  # 1/3 rounds up
    assert _is_nan(_host_divide(0, 0)) and _host_divide(0x3F800000, 0) == 0x7F800000
