"""runtime=aot NEG, ABS, SQUARED_DIFFERENCE and PRELU bit-exact with tflite-micro.

Property-style: seeded random shapes, broadcasts, scales and zero points, many independent ops
per generated model (one host compile checks a batch of cases); run 0 feeds every input its
minimum, run 1 its maximum (int8 -128/127, int16 -32768/32767), then random values.
"""

import numpy as np
import pytest
from aot_op_cases import assert_exact, lower_error, skip_blind_spots
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.verification.host_check import check_model

OP = fb.BuiltinOperator
SEEDS = 2  # generated models per (op, type)
NEG_CASES = 100  # ops per generated model (NEG: float32 only)
ABS_CASES = 35
SD_CASES = 30
PRELU_CASES = 35


class Batch:
    """Many single-op cases in one model; each graph input has its own value generator."""

    def __init__(self, seed):
        self.b = ModelBuilder()
        self.rng = np.random.default_rng(seed)
        self.generators = []
        self.cases = 0

    def input(self, dtype, shape, q=None, gen=None):
        t = self.b.tensor(f"x{len(self.generators)}", dtype, shape, **(q or {}))
        self.b.inputs.append(t)
        self.generators.append(gen or values(dtype, shape))
        return t

    def output(self, dtype, shape, q=None):
        t = self.b.tensor(f"y{len(self.b.outputs)}", dtype, shape, **(q or {}))
        self.b.outputs.append(t)
        return t

    def op(self, code, inputs, outputs, options_type=0, options=None):
        self.b.op(self.b.opcode(code, version=1), inputs, outputs, options_type, options)
        self.cases += 1

    def check(self, runs=5, sanitize=False):
        model = read_model(self.b.build(), where="m.tflite", name="m")
        inputs = [[gen(self.rng, run) for gen in self.generators] for run in range(runs)]
        skip_blind_spots(model)
        report = check_model(model, runs=runs, inputs=inputs, sanitize=sanitize)
        assert_exact(report)


def values(dtype, shape, float_range=8.0):
    """Run 0 all minimum, run 1 all maximum, then random (floats with signed zeros and NaN)."""

    def gen(rng, run):
        if dtype == "float32":
            if run < 2:
                return np.full(shape, -float_range if run == 0 else float_range, np.float32)
            v = rng.uniform(-float_range, float_range, size=shape).astype(np.float32)
            special = rng.random(shape)
            v[special < 0.05] = 0.0
            v[(special >= 0.05) & (special < 0.1)] = -0.0
            v[(special >= 0.1) & (special < 0.13)] = np.nan
            return v
        info = np.iinfo(dtype)
        lo, hi = (int(info.min), int(info.max)) if info.bits <= 16 else (-(1 << 31), (1 << 31) - 1)
        if run < 2:
            return np.full(shape, lo if run == 0 else hi, dtype)
        v = rng.integers(lo, hi, size=shape, endpoint=True)
        edge = rng.random(shape)
        v[edge < 0.1] = lo
        v[edge > 0.9] = hi
        return v.astype(dtype)

    return gen


def random_shape(rng, rank=None, high=6):
    rank = int(rng.integers(1, 5)) if rank is None else rank
    return [int(v) for v in rng.integers(1, high, rank)]


def broadcast_pair(rng, max_rank=4):
    rank = int(rng.integers(1, max_rank + 1))
    dims = random_shape(rng, rank)
    s1 = [d if rng.random() < 0.6 else 1 for d in dims]
    s2 = [d if rng.random() < 0.6 else 1 for d in dims]
    if rng.random() < 0.3:
        s2 = s2[int(rng.integers(0, rank)):]
    return s1, s2, list(np.broadcast_shapes(tuple(s1), tuple(s2)))


def random_q(rng, dtype, lo=0.002, hi=0.2):
    if dtype == "int8":
        return dict(scale=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), zero_point=int(rng.integers(-128, 128)))
    if dtype == "int16":
        return dict(scale=float(np.exp(rng.uniform(np.log(lo / 100), np.log(hi / 100)))), zero_point=0)
    return None


def refusal(build) -> str:
    b = ModelBuilder()
    build(b)
    return lower_error(b.build())


# --- NEG -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(SEEDS))
def test_neg_float32(seed):
    batch = Batch([1, seed])
    for _ in range(NEG_CASES):
        shape = random_shape(batch.rng)
        x = batch.input("float32", shape)
        batch.op(OP.NEG, [x], [batch.output("float32", shape)], fb.BuiltinOptions.NegOptions, fb.NegOptionsT())
    batch.check(sanitize=seed == 1)


def test_neg_refuses_quantized_types():
    def build(b):
        x = b.tensor("x", "int8", (4,), scale=0.1, zero_point=0)
        y = b.tensor("y", "int8", (4,), scale=0.1, zero_point=0)
        b.op(b.opcode(OP.NEG), [x], [y], fb.BuiltinOptions.NegOptions, fb.NegOptionsT())
        b.inputs, b.outputs = [x], [y]

    assert "int8" in refusal(build)


# --- ABS -----------------------------------------------------------------------------------------


def _abs_case(batch, dtype, same_scale=False, quantized=True):
    shape = random_shape(batch.rng)
    qi = random_q(batch.rng, dtype) if quantized else None
    qo = random_q(batch.rng, dtype) if qi and not same_scale else (dict(qi) if qi else None)
    if qo is not None and dtype == "int8" and batch.rng.random() < 0.3:
        qo["zero_point"] = -128  # the usual zero point of a non-negative output
    x = batch.input(dtype, shape, qi)
    batch.op(OP.ABS, [x], [batch.output(dtype, shape, qo)], fb.BuiltinOptions.AbsOptions, fb.AbsOptionsT())


ABS_TYPES = ["int8", "int16", "float32"]


@pytest.mark.parametrize("dtype", ABS_TYPES)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_abs_random_scales(dtype, seed):
    batch = Batch([2, ABS_TYPES.index(dtype), seed])
    for case in range(ABS_CASES):
        _abs_case(batch, dtype, same_scale=case % 3 == 0)
    if dtype == "int16":
        for _ in range(4):
            _abs_case(batch, dtype, quantized=False)
    batch.check(sanitize=dtype == "int16" and seed == 0)


def test_abs_refuses_int16_zero_points_and_int32():
    def nonzero(b):
        x = b.tensor("x", "int16", (4,), scale=0.001, zero_point=3)
        y = b.tensor("y", "int16", (4,), scale=0.001, zero_point=3)
        b.op(b.opcode(OP.ABS), [x], [y], fb.BuiltinOptions.AbsOptions, fb.AbsOptionsT())
        b.inputs, b.outputs = [x], [y]

    def int32(b):
        x, y = b.tensor("x", "int32", (4,)), b.tensor("y", "int32", (4,))
        b.op(b.opcode(OP.ABS), [x], [y], fb.BuiltinOptions.AbsOptions, fb.AbsOptionsT())
        b.inputs, b.outputs = [x], [y]

    assert "zero points of 0" in refusal(nonzero)
    assert "int32" in refusal(int32)


# --- SQUARED_DIFFERENCE --------------------------------------------------------------------------

SD_TYPES = ["int8", "int16", "int32", "float32"]


@pytest.mark.parametrize("dtype", SD_TYPES)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_squared_difference_random_broadcasts(dtype, seed):
    batch = Batch([3, SD_TYPES.index(dtype), seed])
    for case in range(SD_CASES):
        s1, s2, out = broadcast_pair(batch.rng)
        if case % 2:
            s1, s2 = s2, s1
        if case % 5 == 0:
            s2 = list(s1)
            out = list(s1)
        q1, q2 = random_q(batch.rng, dtype), random_q(batch.rng, dtype)
        # outputs from tiny to large scales: saturating and fine-grained results both occur
        qo = random_q(batch.rng, dtype, 0.0005, 2.0)
        x1, x2 = batch.input(dtype, s1, q1), batch.input(dtype, s2, q2)
        batch.op(OP.SQUARED_DIFFERENCE, [x1, x2], [batch.output(dtype, out, qo)],
                 fb.BuiltinOptions.SquaredDifferenceOptions, fb.SquaredDifferenceOptionsT())
    batch.check(sanitize=dtype == "int8" and seed == 0)


def test_squared_difference_same_rank5_shapes_and_refusals():
    batch = Batch([3, 9])
    shape = [2, 1, 3, 2, 2]
    q = dict(scale=0.05, zero_point=4)
    x1, x2 = batch.input("int8", shape, q), batch.input("int8", shape, dict(scale=0.03, zero_point=-9))
    batch.op(OP.SQUARED_DIFFERENCE, [x1, x2], [batch.output("int8", shape, dict(scale=0.2, zero_point=-128))],
             fb.BuiltinOptions.SquaredDifferenceOptions, fb.SquaredDifferenceOptionsT())
    batch.check(runs=4)

    def rank5_broadcast(b):
        x1 = b.tensor("a", "float32", (2, 1, 3, 1, 2))
        x2 = b.tensor("b", "float32", (2, 2))
        y = b.tensor("y", "float32", (2, 1, 3, 2, 2))
        b.op(b.opcode(OP.SQUARED_DIFFERENCE), [x1, x2], [y], fb.BuiltinOptions.SquaredDifferenceOptions,
             fb.SquaredDifferenceOptionsT())
        b.inputs, b.outputs = [x1, x2], [y]

    def int16_zero_point(b):
        x1 = b.tensor("a", "int16", (4,), scale=0.001, zero_point=0)
        x2 = b.tensor("b", "int16", (4,), scale=0.001, zero_point=2)
        y = b.tensor("y", "int16", (4,), scale=0.001, zero_point=0)
        b.op(b.opcode(OP.SQUARED_DIFFERENCE), [x1, x2], [y], fb.BuiltinOptions.SquaredDifferenceOptions,
             fb.SquaredDifferenceOptionsT())
        b.inputs, b.outputs = [x1, x2], [y]

    assert "rank 4" in refusal(rank5_broadcast)
    assert "zero points of 0" in refusal(int16_zero_point)


# --- PRELU ---------------------------------------------------------------------------------------

PRELU_TYPES = ["int8", "int16", "float32"]


def _alpha_shape(rng, in_shape):
    """Alpha broadcast against the input: per channel (the converter's usual form), per element,
    a scalar, or a random subset of the trailing dimensions."""
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return [in_shape[-1]]
    if kind == 1:
        return list(in_shape)
    if kind == 2:
        return [1]
    tail = in_shape[int(rng.integers(0, len(in_shape))):]
    return [d if rng.random() < 0.6 else 1 for d in tail]


@pytest.mark.parametrize("dtype", PRELU_TYPES)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_prelu_random_broadcasts(dtype, seed):
    batch = Batch([4, PRELU_TYPES.index(dtype), seed])
    adtype = "float32" if dtype == "float32" else "int8"
    for case in range(PRELU_CASES):
        in_shape = random_shape(batch.rng)
        a_shape = _alpha_shape(batch.rng, in_shape)
        out_shape = list(np.broadcast_shapes(tuple(in_shape), tuple(a_shape)))
        qa = random_q(batch.rng, adtype, 0.001, 0.05) if adtype == "int8" else None
        if qa and case % 3 == 0:
            qa["zero_point"] = 0
        qx = random_q(batch.rng, dtype)
        if dtype == "int16" and case % 4 == 1:  # PRELU (unlike ADD/ABS) accepts int16 zero points != 0
            qx["zero_point"] = int(batch.rng.integers(-300, 300))
        x = batch.input(dtype, in_shape, qx)
        if case % 2:  # alpha a constant, as converters emit it
            if adtype == "float32":
                data = batch.rng.uniform(-2, 2, size=a_shape).astype(np.float32)
            else:
                data = batch.rng.integers(-128, 128, size=a_shape, endpoint=False).astype(np.int8)
                data.reshape(-1)[:2] = [-128, 127][: data.size]
            alpha = batch.b.tensor(f"alpha{case}", adtype, a_shape, data=data, **(qa or {}))
        else:
            alpha = batch.input(adtype, a_shape, qa)
        y = batch.output(dtype, out_shape, random_q(batch.rng, dtype, 0.001, 0.3))
        batch.op(OP.PRELU, [x, alpha], [y])
    batch.check(sanitize=dtype == "int16" and seed == 0)


def test_prelu_refusals():
    def int16_alpha(b):
        x, a = b.tensor("x", "int16", (2, 4), scale=0.001, zero_point=0), b.tensor("a", "int16", (4,), scale=0.01)
        y = b.tensor("y", "int16", (2, 4), scale=0.001, zero_point=0)
        b.op(b.opcode(OP.PRELU), [x, a], [y])
        b.inputs, b.outputs = [x, a], [y]

    def float_rank5(b):
        x, a = b.tensor("x", "float32", (1, 2, 1, 2, 3)), b.tensor("a", "float32", (3,))
        y = b.tensor("y", "float32", (1, 2, 1, 2, 3))
        b.op(b.opcode(OP.PRELU), [x, a], [y])
        b.inputs, b.outputs = [x, a], [y]

    assert "alpha" in refusal(int16_alpha)
    assert "rank 4" in refusal(float_rank5)


# op -> generated cases (models x ops per model), for aot_op_cases.GENERATED_SUITES
GENERATED_CASES = {"NEG": SEEDS * NEG_CASES, "ABS": len(ABS_TYPES) * SEEDS * ABS_CASES,
                   "SQUARED_DIFFERENCE": len(SD_TYPES) * SEEDS * SD_CASES,
                   "PRELU": len(PRELU_TYPES) * SEEDS * PRELU_CASES}
