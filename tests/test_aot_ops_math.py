"""runtime=aot float32 math ops (SIN, COS, EXP, LOG, SQRT, RSQRT, SQUARE, CEIL, FLOOR, ROUND, ELU), int8
RSQRT and ELU, int16 LOGISTIC and TANH bit-exact with the pinned TFLM on the host.

Property-style: seeded random shapes and values (signed zeros, NaN, infinities, denormals, exact
halves, values where exp overflows and underflows), many independent ops per generated model, one host
compile per model. Both sides call the build machine's libm, so sinf/cosf/expf/logf agree bit for bit
here; on the target newlib computes them (see the aot README for what that changes).
"""

import aot_op_cases
import numpy as np
import pytest
from test_aot_ops_arith import Batch, broadcast_pair, random_shape, refusal, values
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops.div import div_s8_multiplier, tflm_div_s8_defined
from tinyml_build.runtimes.aot.upstream_tables import sigmoid_table_uint16, upstream_inputs
from tinyml_build.verification.host_check import check_model, compile_program, run_program

OP = fb.BuiltinOperator

FLOAT_OPS = ["SIN", "COS", "EXP", "LOG", "SQRT", "ELU", "RSQRT", "SQUARE", "CEIL", "FLOOR", "ROUND"]
FLOAT_GROUPS = (FLOAT_OPS[:6], FLOAT_OPS[6:])  # the float ops of one model (TFLM takes at most 1024 buffers)
FLOAT_CASES = 70  # instances of each float op per model
FLOAT_SEEDS = range(3)  # models per float group
CASES = 110  # op instances per generated model of the other tests
SEEDS = range(2)  # generated models per (op, type) of the other tests
RSQRT_CASES = 120  # int8 RSQRT instances per model
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 0.5, -0.5, 1.5, -2.5, 2.5, 1e-40, -1e-40, 88.8, -104.0,
                    3.4e38, -3.4e38, 8388607.5, 16777217.0, 1e30, 1.0, -1.0], np.float32)


def float_values(shape, scale):
    """Run 0 the special values, then random: uniform in +-scale, exact halves, and specials."""

    def gen(rng, run):
        count = int(np.prod(shape))
        if run == 0:
            return np.resize(SPECIAL, count).reshape(shape)
        v = rng.uniform(-scale, scale, count).astype(np.float32)
        kind = rng.random(count)
        halves = kind < 0.15
        v[halves] = (rng.integers(-40, 40, int(halves.sum())) + 0.5).astype(np.float32)
        special = kind > 0.9
        v[special] = rng.choice(SPECIAL, int(special.sum()))
        return v.reshape(shape)

    return gen


@pytest.mark.parametrize("group", range(len(FLOAT_GROUPS)))
@pytest.mark.parametrize("seed", FLOAT_SEEDS)
def test_float_math_ops_random(group, seed):
    """Five or six float ops FLOAT_CASES times per model, input scales from 1e-3 to 1e4; the first
    model also runs under ASan/UBSan."""
    batch = Batch([20, group, seed])
    for _ in range(FLOAT_CASES):
        for op in FLOAT_GROUPS[group]:
            shape = random_shape(batch.rng)
            scale = float(10.0 ** batch.rng.uniform(-3, 4))
            x = batch.input("float32", shape, gen=float_values(shape, scale))
            batch.op(getattr(OP, op), [x], [batch.output("float32", shape)])
    batch.check(runs=4, sanitize=seed == 0)


def int8_at_least(shape, low):
    """Run 0 every value from `low` up (cycled), then random values in [low, 127]."""

    def gen(rng, run):
        count = int(np.prod(shape))
        if run == 0:
            return np.resize(np.arange(low, 128), count).astype(np.int8).reshape(shape)
        return rng.integers(low, 128, count).astype(np.int8).reshape(shape)

    return gen


@pytest.mark.parametrize("seed", SEEDS)
def test_rsqrt_int8_random_scales(seed):
    """int8 RSQRT RSQRT_CASES times per seed over input/output scales and zero points (valid inputs only:
    TFLM fails below the input zero point)."""
    batch = Batch([21, seed])
    for _ in range(RSQRT_CASES):
        shape = random_shape(batch.rng)
        zp_in = int(batch.rng.integers(-128, 100))
        q_in = dict(scale=float(10.0 ** batch.rng.uniform(-4, 0)), zero_point=zp_in)
        q_out = dict(scale=float(10.0 ** batch.rng.uniform(-3, 1)), zero_point=int(batch.rng.integers(-128, 128)))
        x = batch.input("int8", shape, q_in, gen=int8_at_least(shape, zp_in))
        batch.op(OP.RSQRT, [x], [batch.output("int8", shape, q_out)])
    batch.check(runs=3)


def int8_values(shape):
    """Run 0 every int8 value (cycled from a random start), then random values."""

    def gen(rng, run):
        count = int(np.prod(shape))
        if run == 0:
            return ((np.arange(count) + int(rng.integers(0, 256))) % 256 - 128).astype(np.int8).reshape(shape)
        return rng.integers(-128, 128, count).astype(np.int8).reshape(shape)

    return gen


@pytest.mark.parametrize("seed", SEEDS)
def test_elu_int8_random_scales(seed):
    """int8 ELU CASES times per seed: input scales 1e-3..1, output scales from fine to coarse."""
    batch = Batch([23, seed])
    for _ in range(CASES):
        shape = random_shape(batch.rng)
        q_in = dict(scale=float(10.0 ** batch.rng.uniform(-3, 0)), zero_point=int(batch.rng.integers(-128, 128)))
        q_out = dict(scale=float(10.0 ** batch.rng.uniform(-3, 0)), zero_point=int(batch.rng.integers(-128, 128)))
        x = batch.input("int8", shape, q_in, gen=int8_values(shape))
        batch.op(OP.ELU, [x], [batch.output("int8", shape, q_out)])
    batch.check(runs=3)


# --- DIV --------------------------------------------------------------------------------------------

ACTIVATIONS = [fb.ActivationFunctionType.NONE, fb.ActivationFunctionType.RELU, fb.ActivationFunctionType.RELU6,
               fb.ActivationFunctionType.RELU_N1_TO_1]


def int32_divisors(shape):
    """Nonzero divisors, small and large, both signs (TFLM leaves a zero divisor undefined)."""

    def gen(rng, run):
        count = int(np.prod(shape))
        v = rng.integers(1, 1 << int(rng.integers(2, 31)), count) * rng.choice([-1, 1], count)
        return v.astype(np.int32).reshape(shape)

    return gen


def int32_dividends(shape):
    """Any int32 but INT32_MIN (INT32_MIN / -1 is undefined in TFLM), small values often."""

    def gen(rng, run):
        count = int(np.prod(shape))
        v = rng.integers(-(1 << 31) + 1, 1 << 31, count)
        small = rng.random(count) < 0.5
        v[small] = rng.integers(-100, 101, int(small.sum()))
        return v.astype(np.int32).reshape(shape)

    return gen


DIV_TYPES = ("float32", "int32")  # test_div_random_broadcasts; int8 has test_div_int8_random_quantizations


@pytest.mark.parametrize("dtype", DIV_TYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_div_random_broadcasts(dtype, seed):
    """DIV CASES times per model: broadcast shapes, every fused activation; float32 values include signed
    zeros and NaN (0/0, x/0 and the clamps of NaN and -0.0 are compared too)."""
    batch = Batch([24, dtype == "int32", seed])
    for case in range(CASES):
        s1, s2, out = broadcast_pair(batch.rng)
        if case % 2:
            s1, s2 = s2, s1
        if dtype == "float32":
            x1, x2 = batch.input(dtype, s1), batch.input(dtype, s2, gen=values(dtype, s2, 3.0))
        else:
            x1, x2 = batch.input(dtype, s1, gen=int32_dividends(s1)), batch.input(dtype, s2, gen=int32_divisors(s2))
        options = fb.DivOptionsT()
        options.fusedActivationFunction = ACTIVATIONS[case % 4]
        batch.op(OP.DIV, [x1, x2], [batch.output(dtype, out)], fb.BuiltinOptions.DivOptions, options)
    batch.check(runs=4, sanitize=seed == 0)


def int8_div_case(batch, case):
    """One int8 DIV (random broadcast, quantization, activation); returns draw(rng) -> its two inputs,
    only pairs TFLM's arithmetic defines (tflm_div_s8_defined)."""
    s1, s2, out = broadcast_pair(batch.rng)
    q1, q2 = [dict(scale=float(10.0 ** batch.rng.uniform(-2.5, 0)), zero_point=int(batch.rng.integers(-128, 128)))
              for _ in range(2)]
    qo = dict(scale=float(10.0 ** batch.rng.uniform(-3, 0)), zero_point=int(batch.rng.integers(-128, 128)))
    _, shift = div_s8_multiplier(q1["scale"], q2["scale"], qo["scale"])
    zp1, zp2 = q1["zero_point"], q2["zero_point"]
    far, near = (127 if zp1 < 0 else -128), (zp2 + 1 if zp2 < 127 else zp2 - 1)
    pairs = list(zip(np.broadcast_to(np.arange(int(np.prod(s1))).reshape(s1), out).ravel(),
                     np.broadcast_to(np.arange(int(np.prod(s2))).reshape(s2), out).ravel()))
    x1, x2 = batch.input("int8", s1, q1), batch.input("int8", s2, q2)
    options = fb.DivOptionsT()
    options.fusedActivationFunction = ACTIVATIONS[case % 4]
    batch.op(OP.DIV, [x1, x2], [batch.output("int8", out, qo)], fb.BuiltinOptions.DivOptions, options)

    def draw(rng):
        a, b = rng.integers(-128, 128, s1).reshape(-1), rng.integers(-128, 128, s2).reshape(-1)
        b[b == zp2] = near
        for fix_divisor in (False, True):  # a dividend far from its zero point has the least headroom
            for i, j in pairs:
                if not tflm_div_s8_defined(int(a[i]) - zp1, int(b[j]) - zp2, shift):
                    if fix_divisor:
                        b[j] = near
                    else:
                        a[i] = far
        return [a.astype(np.int8).reshape(s1), b.astype(np.int8).reshape(s2)]

    return draw


@pytest.mark.parametrize("seed", SEEDS)
def test_div_int8_random_quantizations(seed):
    """int8 DIV CASES times per model (broadcasts, scales, zero points, activations) on inputs TFLM's
    arithmetic defines; where it does not, aot's own rule is tested by test_div_int8_where_tflm_asserts."""
    batch = Batch([25, seed])
    draws = [int8_div_case(batch, case) for case in range(CASES)]
    inputs = [[x for draw in draws for x in draw(batch.rng)] for _ in range(4)]
    report = check_model(read_model(batch.b.build(), where="m.tflite", name="m"), runs=4, inputs=inputs,
                         sanitize=seed == 0)
    aot_op_cases.assert_exact(report)


# --- L2_POOL_2D ---------------------------------------------------------------------------------------

PADDINGS = [fb.Padding.SAME, fb.Padding.VALID]


@pytest.mark.parametrize("seed", SEEDS)
def test_l2_pool_random_windows(seed):
    """float32 L2_POOL_2D CASES times per model: windows 1..4, strides 1..3, SAME/VALID, every activation."""
    batch = Batch([26, seed])
    for case in range(CASES):
        n, h, w, c = (int(v) for v in batch.rng.integers(1, [3, 9, 9, 5]))
        fh, fw = (int(v) for v in batch.rng.integers(1, 5, 2))
        sh, sw = (int(v) for v in batch.rng.integers(1, 4, 2))
        padding = PADDINGS[case % 2]
        if padding == fb.Padding.VALID:
            fh, fw = min(fh, h), min(fw, w)
            out = [n, (h - fh) // sh + 1, (w - fw) // sw + 1, c]
        else:
            out = [n, -(-h // sh), -(-w // sw), c]
        x = batch.input("float32", [n, h, w, c], gen=values("float32", [n, h, w, c], 4.0))
        options = fb.Pool2DOptionsT()
        options.padding, options.strideH, options.strideW = padding, sh, sw
        options.filterHeight, options.filterWidth = fh, fw
        options.fusedActivationFunction = ACTIVATIONS[case % 4]
        batch.op(OP.L2_POOL_2D, [x], [batch.output("float32", out)], fb.BuiltinOptions.Pool2DOptions, options)
    batch.check(runs=4, sanitize=seed == 0)


# --- L2_NORMALIZATION -----------------------------------------------------------------------------

def int8_l2_values(shape, zero_point):
    """Run 0 cycles every int8 value, run 1 is all zero point (a zero norm), then random rows, some
    close to the zero point (small norms: TFLM's 1/sqrt takes its other branches)."""

    def gen(rng, run):
        count = int(np.prod(shape))
        if run == 0:
            return int8_values(shape)(rng, 0)
        if run == 1:
            return np.full(shape, zero_point, np.int8)
        spread = int(rng.choice([1, 3, 20, 255]))
        v = zero_point + rng.integers(-spread, spread + 1, count)
        return np.clip(v, -128, 127).astype(np.int8).reshape(shape)

    return gen


L2_NORMALIZATION_TYPES = ("float32", "int8")


@pytest.mark.parametrize("dtype", L2_NORMALIZATION_TYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_l2_normalization_random(dtype, seed):
    """L2_NORMALIZATION CASES times per model over ranks 1..4 and depths 1..64."""
    batch = Batch([27, dtype == "int8", seed])
    for _ in range(CASES):
        shape = random_shape(batch.rng, high=4)[:-1] + [int(batch.rng.integers(1, 65))]
        if dtype == "int8":
            zp = int(batch.rng.integers(-128, 128))
            q = dict(scale=float(10.0 ** batch.rng.uniform(-3, 0)), zero_point=zp)
            x = batch.input(dtype, shape, q, gen=int8_l2_values(shape, zp))
            y = batch.output(dtype, shape, dict(scale=1 / 128, zero_point=0))
        else:
            x = batch.input(dtype, shape, gen=values(dtype, shape, float(10.0 ** batch.rng.uniform(-4, 3))))
            y = batch.output(dtype, shape)
        batch.op(OP.L2_NORMALIZATION, [x], [y], fb.BuiltinOptions.L2NormOptions, fb.L2NormOptionsT())
    batch.check(runs=4, sanitize=seed == 0)


# --- LOG_SOFTMAX ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_log_softmax_float32_random(seed):
    """float32 LOG_SOFTMAX CASES times per model over ranks 1..4, depths 1..64, value ranges 1e-2..1e3
    (rows where exp underflows, NaN and signed zeros included)."""
    batch = Batch([28, seed])
    for _ in range(CASES):
        shape = random_shape(batch.rng, high=4)[:-1] + [int(batch.rng.integers(1, 65))]
        x = batch.input("float32", shape, gen=values("float32", shape, float(10.0 ** batch.rng.uniform(-2, 3))))
        batch.op(OP.LOG_SOFTMAX, [x], [batch.output("float32", shape)], fb.BuiltinOptions.LogSoftmaxOptions,
                 fb.LogSoftmaxOptionsT())
    batch.check(runs=4, sanitize=seed == 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_log_softmax_int8_random(seed):
    """int8 LOG_SOFTMAX CASES times per model: input scales 1e-3..2 (diffs beyond diff_min skipped or not),
    zero points, depths 1..300 (run 0 covers every int8 value, so every diff occurs)."""
    batch = Batch([30, seed])
    for _ in range(CASES):
        shape = random_shape(batch.rng, rank=int(batch.rng.integers(1, 3)), high=4)[:-1] + [
            int(batch.rng.choice([int(batch.rng.integers(1, 65)), int(batch.rng.integers(65, 301))]))]
        q = dict(scale=float(10.0 ** batch.rng.uniform(-3, 0.3)), zero_point=int(batch.rng.integers(-128, 128)))
        x = batch.input("int8", shape, q, gen=int8_values(shape))
        batch.op(OP.LOG_SOFTMAX, [x], [batch.output("int8", shape, dict(scale=16 / 256, zero_point=127))],
                 fb.BuiltinOptions.LogSoftmaxOptions, fb.LogSoftmaxOptionsT())
    batch.check(runs=4, sanitize=seed == 0)


# --- RESIZE_BILINEAR --------------------------------------------------------------------------------


RESIZE_BILINEAR_TYPES = ("float32", "int8")


@pytest.mark.parametrize("dtype", RESIZE_BILINEAR_TYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_resize_bilinear_random(dtype, seed):
    """RESIZE_BILINEAR CASES times per model: up- and downscaling 1..9 pixels per axis, align_corners,
    half_pixel_centers (never both: TFLM refuses that)."""
    batch = Batch([29, dtype == "int8", seed])
    q = dict(scale=0.05, zero_point=int(batch.rng.integers(-128, 128))) if dtype == "int8" else None
    for case in range(CASES):
        n, h, w, c = (int(v) for v in batch.rng.integers(1, [3, 10, 10, 4]))
        size = [int(v) for v in batch.rng.integers(1, 10, 2)]
        gen = int8_values([n, h, w, c]) if dtype == "int8" else values(dtype, [n, h, w, c], 5.0)
        x = batch.input(dtype, [n, h, w, c], q, gen=gen)
        size_t = batch.b.tensor(f"size{case}", "int32", [2], data=np.array(size, np.int32))
        options = fb.ResizeBilinearOptionsT()
        options.alignCorners, options.halfPixelCenters = [(False, False), (True, False), (False, True)][case % 3]
        batch.op(OP.RESIZE_BILINEAR, [x, size_t], [batch.output(dtype, [n, *size, c], q)],
                 fb.BuiltinOptions.ResizeBilinearOptions, options)
    batch.check(runs=4, sanitize=seed == 0)


# --- int16 LOGISTIC and TANH ----------------------------------------------------------------------

Q15 = dict(scale=2.0 ** -15, zero_point=0)


def int16_values(shape):
    """Run 0 every int16 value (cycled) so small tensors still see both ends, then random values."""

    def gen(rng, run):
        count = int(np.prod(shape))
        if run == 0:
            start = int(rng.integers(-32768, 32768))
            return ((np.arange(count) * 257 + start + 32768) % 65536 - 32768).astype(np.int16).reshape(shape)
        return rng.integers(-32768, 32768, count).astype(np.int16).reshape(shape)

    return gen


def int16_input_scale(rng):
    """A power of two (TFLM's 3 << shift path at 2^-12 and, for TANH, 2^-11) or any scale up to 2.5."""
    if rng.random() < 0.4:
        return 2.0 ** -int(rng.integers(8, 16))
    return float(2.0 ** rng.uniform(-16, 1.3))


def _why_no_table():
    try:
        sigmoid_table_uint16("test")
    except UnsupportedOpError as error:
        return error.what
    return None


needs_tflm_table = pytest.mark.skipif(_why_no_table() is not None, reason=f"{_why_no_table()}")


SIGMOID_OPS = ("LOGISTIC", "TANH")  # int16 here; their int8 cases are test_aot_ops_gen_unary's


@needs_tflm_table
@pytest.mark.tflm_sources
@pytest.mark.parametrize("op", SIGMOID_OPS)
@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_int16_random_scales(op, seed):
    """CASES int16 LOGISTIC / TANH per model over input scales; three also take every int16 value."""
    batch = Batch([22, op == "TANH", seed])
    for case in range(CASES):
        shape = [65536] if case < 3 else random_shape(batch.rng, high=9)
        scale = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13][case] if case < 3 else int16_input_scale(batch.rng)
        x = batch.input("int16", shape, dict(scale=scale, zero_point=0), gen=int16_values(shape))
        batch.op(getattr(OP, op), [x], [batch.output("int16", shape, Q15)])
    batch.check(runs=3, sanitize=seed == 0)


# (op, type) of the tests above drawing CASES instances per model and SEEDS models each
TYPED_CASES = [("ELU", "int8"), ("L2_POOL_2D", "float32"), ("LOG_SOFTMAX", "float32"), ("LOG_SOFTMAX", "int8")]
TYPED_CASES += [("DIV", t) for t in (*DIV_TYPES, "int8")] + [(op, "int16") for op in SIGMOID_OPS]
TYPED_CASES += [("L2_NORMALIZATION", t) for t in L2_NORMALIZATION_TYPES]
TYPED_CASES += [("RESIZE_BILINEAR", t) for t in RESIZE_BILINEAR_TYPES]
GENERATED_CASES = aot_op_cases.summed_counts(
    aot_op_cases.case_counts([(op, s) for group in FLOAT_GROUPS for op in group for s in FLOAT_SEEDS], FLOAT_CASES),
    aot_op_cases.case_counts([("RSQRT", "int8", s) for s in SEEDS], RSQRT_CASES),
    aot_op_cases.case_counts([(op, t, s) for op, t in TYPED_CASES for s in SEEDS], CASES))


def _unary(dtype, op, q_in=None, q_out=None, shape=(4,)):
    def build(b):
        x = b.tensor("x", dtype, shape, **(q_in or {}))
        y = b.tensor("y", dtype, shape, **(q_out or q_in or {}))
        b.op(b.opcode(getattr(OP, op)), [x], [y])
        b.inputs, b.outputs = [x], [y]

    return build


def _binary_div(dtype, q=None):
    q1, q2, qo = q if isinstance(q, list) else [q or {}] * 3

    def build(b):
        x1, x2 = b.tensor("x1", dtype, (4,), **q1), b.tensor("x2", dtype, (4,), **q2)
        y = b.tensor("y", dtype, (4,), **qo)
        b.op(b.opcode(OP.DIV), [x1, x2], [y], fb.BuiltinOptions.DivOptions, fb.DivOptionsT())
        b.inputs, b.outputs = [x1, x2], [y]

    return build


def test_math_refusals():
    """What TFLM's micro kernels refuse is refused at build time, with the reason."""
    q8 = dict(scale=0.1, zero_point=0)
    assert "int8" in refusal(_unary("int8", "SIN", q8))
    assert "int16" in refusal(_unary("int16", "RSQRT", dict(scale=0.001, zero_point=0)))
    assert "zero points of 0" in refusal(_unary("int16", "LOGISTIC", dict(scale=2.0 ** -12, zero_point=5), Q15))
    assert "2^-15" in refusal(_unary("int16", "TANH", dict(scale=2.0 ** -12, zero_point=0),
                                     dict(scale=2.0 ** -14, zero_point=0)))
    assert "too large" in refusal(_binary_div("int8", [dict(scale=1.0, zero_point=0), dict(scale=1e-4, zero_point=0),
                                                       dict(scale=1e-3, zero_point=0)]))
    assert "int16" in refusal(_binary_div("int16", dict(scale=0.1, zero_point=0)))
    assert "required" in refusal(_unary("int8", "LOG_SOFTMAX", q8, dict(scale=1 / 256, zero_point=-128)))
    assert "32767" in refusal(_unary("int16", "TANH", dict(scale=4.0, zero_point=0), Q15))


def test_sigmoid_int16_without_tflm_sources_is_refused(monkeypatch, tmp_path):
    """The table is read from the TFLM tree: without one, the op is refused with the ways to provide it."""
    monkeypatch.setenv("TINYML_TFLITE_MICRO_PATH", str(tmp_path / "missing"))
    text = refusal(_unary("int16", "LOGISTIC", dict(scale=2.0 ** -12, zero_point=0), Q15))
    assert "sigmoid table" in text and "runtime=tflm" in text


def test_div_int8_where_tflm_asserts(tmp_path):
    """Where TFLM's int8 DIV is undefined (the pinned oracle aborts on its RoundingDivideByPOT assert,
    or a zero divisor), aot gives the rounded true quotient and saturates a zero divisor by the
    dividend's sign. Checked on aot alone: TFLM has no answer to compare with."""
    q = dict(scale=0.1, zero_point=0)
    b = ModelBuilder()
    x1, x2, y = (b.tensor(name, "int8", (6,), **q) for name in ("x1", "x2", "y"))
    b.op(b.opcode(OP.DIV), [x1, x2], [y], fb.BuiltinOptions.DivOptions, fb.DivOptionsT())
    b.inputs, b.outputs = [x1, x2], [y]
    model = read_model(b.build(), where="m.tflite", name="m")
    dividends = np.array([0, 0, 1, 5, -5, 0], np.int8)
    divisors = np.array([100, -127, 127, 0, 0, 0], np.int8)
    _, shift = div_s8_multiplier(0.1, 0.1, 0.1)
    assert not any(tflm_div_s8_defined(int(a), int(d), shift) for a, d in zip(dividends, divisors))
    program = lower_model(model)
    exe = compile_program(tmp_path, render(program), program, sanitize=True)
    outputs, _ = run_program(exe, tmp_path, model, [[dividends, divisors]])
    # 0.1 / 12.7 = 0.00787 is 0.0787 output units: 0
    assert outputs[0][0].tolist() == [0, 0, 0, 127, -128, 0]


@needs_tflm_table
def test_generated_c_depends_on_the_table_source():
    """A model calling sigmoid16 has TFLM's common.h among its generation inputs (SCons rebuilds the C
    when that tree changes); other kernels have none."""
    files = upstream_inputs(("lut", "sigmoid16"))
    assert [f.name for f in files] == ["common.h"] and files[0].is_file()
    assert upstream_inputs(("lut", "float_math")) == []
