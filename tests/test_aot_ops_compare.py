"""runtime=aot comparisons (EQUAL ... GREATER_EQUAL), SELECT_V2 and CAST bit-exact with tflite-micro.

Property-style: seeded random broadcast shapes, scales and zero points (int8 comparisons with
different input scales, where TFLM rescales both inputs before comparing), many independent
ops per generated model (one host compile checks a batch of cases); inputs chosen per case
(few distinct values for ties, type extremes, float NaN and +-0).
"""

import numpy as np
import pytest
from test_aot_ops_select import Batch, broadcast_pair, refused, values
from tflite_builder import ModelBuilder

from tinyml_build.model.schema import fb

COMPARISONS = ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"]
ORDERED_TYPES = ["int8", "int32", "int64", "float32"]
SEEDS = 3  # generated models per type
COMPARE_CASES = 120  # ops per generated model, cycling through the comparisons
SELECT_CASES = 24
CAST_REPEATS = 4  # cases per (from, to) pair in each generated CAST model
CAST_U32_SEEDS = 2  # generated models of the uint32 CAST pairs
CAST_U32_REPEATS = 6  # cases per uint32 (from, to) pair in each of them


def bools(shape):
    def gen(rng, run):
        if run < 2:
            return np.full(shape, run == 1, np.bool_)
        return rng.integers(0, 2, size=shape).astype(np.bool_)

    return gen


def int8_values(shape, narrow):
    def gen(rng, run):
        if run < 2:
            return np.full(shape, -128 if run == 0 else 127, np.int8)
        if narrow:
            return rng.integers(-4, 5, size=shape).astype(np.int8)
        return rng.integers(-128, 128, size=shape).astype(np.int8)

    return gen


def float_values(shape):
    """Few distinct values (ties), +-0, NaN and infinities."""
    choices = np.array([-np.inf, -2.5, -1.0, -0.0, 0.0, 1.0, 2.5, np.inf, np.nan], np.float32)

    def gen(rng, run):
        if run < 2:
            return np.full(shape, -8.0 if run == 0 else 8.0, np.float32)
        if run % 2:
            return choices[rng.integers(0, len(choices), size=shape)]
        return rng.uniform(-4, 4, size=shape).astype(np.float32)

    return gen


def quant(rng, dtype):
    """A random int8 scale (below one, as TFLM needs) and zero point; None for unquantized types."""
    if dtype != "int8":
        return {}
    return dict(scale=float(np.float32(10 ** rng.uniform(-3, -0.05))), zero_point=int(rng.integers(-128, 128)))


def compare_case(batch, case, op, dtype):
    rng, b = batch.rng, batch.b
    s1, s2, out = broadcast_pair(rng)
    narrow = case % 2 == 0
    q1 = quant(rng, dtype)
    q2 = q1 if case % 5 == 0 else quant(rng, dtype)  # same quantization: exact ties survive rescaling
    gens = []
    for shape in (s1, s2):
        if dtype == "bool":
            gens.append(bools(shape))
        elif dtype == "int8":
            gens.append(int8_values(shape, narrow))
        elif dtype == "float32":
            gens.append(float_values(shape))
        else:
            gens.append(values(dtype, shape, narrow))
    x1 = b.tensor(f"a{case}", dtype, s1, **q1)
    x2 = b.tensor(f"b{case}", dtype, s2, **q2)
    b.inputs += [x1, x2]
    batch.generators += gens
    y = batch.output(f"y{case}", "bool", out)
    b.op(b.opcode(getattr(fb.BuiltinOperator, op), version=2), [x1, x2], [y])


def comparisons_of(dtype):
    return COMPARISONS[:2] if dtype == "bool" else COMPARISONS


@pytest.mark.parametrize("dtype", ["bool"] + ORDERED_TYPES)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_comparisons_random_broadcasts(dtype, seed):
    batch = Batch(100 + seed)
    ops = comparisons_of(dtype)
    for case in range(COMPARE_CASES):
        compare_case(batch, case, ops[case % len(ops)], dtype)
    batch.check(runs=6)


def test_int8_comparisons_near_equal_scales_and_constants():
    """Scales one ulp-ish apart and zero points one apart: the result hinges on TFLM's exact
    multipliers and roundings; one input may be a constant."""
    batch = Batch(7)
    b, rng = batch.b, batch.rng
    for case in range(24):
        op = COMPARISONS[case % 6]
        scale = float(np.float32(10 ** rng.uniform(-3, -0.1)))
        q1 = dict(scale=scale, zero_point=int(rng.integers(-20, 20)))
        q2 = dict(scale=float(np.nextafter(np.float32(scale), np.float32(1), dtype=np.float32)) if case % 2 else scale,
                  zero_point=q1["zero_point"] + int(rng.integers(-1, 2)))
        shape = [int(v) for v in rng.integers(1, 6, 2)]
        x1 = b.tensor(f"a{case}", "int8", shape, **q1)
        b.inputs.append(x1)
        batch.generators.append(int8_values(shape, False))
        if case % 3 == 0:
            x2 = b.tensor(f"c{case}", "int8", shape[-1:], data=np.arange(-128, 128, 256 // shape[-1] or 1,
                                                                          dtype=np.int8)[:shape[-1]], **q2)
        else:
            x2 = b.tensor(f"b{case}", "int8", shape, **q2)
            b.inputs.append(x2)
            batch.generators.append(int8_values(shape, False))
        y = batch.output(f"y{case}", "bool", shape)
        b.op(b.opcode(getattr(fb.BuiltinOperator, op), version=2), [x1, x2], [y])
    batch.check(runs=8)


def comparison_model(op, dtype, out_dtype="bool", dtype2=None, q=None):
    b = ModelBuilder()
    q = q if q is not None else (dict(scale=0.05, zero_point=3) if dtype in ("int8", "int16") else {})
    x1 = b.tensor("a", dtype, (2, 3), **q)
    x2 = b.tensor("b", dtype2 or dtype, (3,), **q)
    y = b.tensor("y", out_dtype, (2, 3))
    b.op(b.opcode(getattr(fb.BuiltinOperator, op), version=2), [x1, x2], [y])
    b.inputs, b.outputs = [x1, x2], [y]
    return b


@pytest.mark.parametrize("op, dtype, out_dtype, dtype2, q, words", [
    ("GREATER", "int16", "bool", None, None, "int16 GREATER"),
    ("LESS", "int16", "bool", None, None, "input 1"),
    ("LESS", "bool", "bool", None, None, "input 1"),
    ("EQUAL", "uint8", "bool", None, dict(scale=0.1, zero_point=128), "input 1"),
    ("EQUAL", "int8", "bool", "int32", None, "input 2"),
    ("EQUAL", "int32", "int32", None, None, "output"),
    ("LESS_EQUAL", "int8", "bool", None, dict(scale=1.0, zero_point=0), "outside (0, 1)"),
])
def test_comparison_refusals(op, dtype, out_dtype, dtype2, q, words):
    assert words in refused(comparison_model(op, dtype, out_dtype, dtype2, q))


# --- SELECT_V2 ---------------------------------------------------------------------------------


def broadcast_triple(rng):
    rank = int(rng.integers(1, 6))
    dims = [int(v) for v in rng.integers(1, 5, rank)]
    shapes = []
    for _ in range(3):
        s = [d if rng.random() < 0.6 else 1 for d in dims]
        shapes.append(s[int(rng.integers(0, rank)):] if rng.random() < 0.3 else s)
    return shapes, list(np.broadcast_shapes(*map(tuple, shapes)))


SELECT_TYPES = ["int8", "int16", "float32"]


@pytest.mark.parametrize("dtype", SELECT_TYPES)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_select_v2_random_broadcasts(dtype, seed):
    batch = Batch(200 + seed)
    b = batch.b
    for case in range(SELECT_CASES):
        (sc, sx, sy), out = broadcast_triple(batch.rng)
        c = batch.input(f"c{case}", "bool", sc, bools(sc))
        x = batch.input(f"x{case}", dtype, sx, values(dtype, sx, case % 2 == 0, nan=dtype == "float32"))
        if case % 4 == 3:  # a constant branch (e.g. tf.where(c, x, 0))
            y = b.tensor(f"k{case}", dtype, sy, data=np.full(sy, -1, dtype), scale=0.05, zero_point=-3)
        else:
            y = batch.input(f"y{case}", dtype, sy, values(dtype, sy))
        yo = batch.output(f"o{case}", dtype, out)
        b.op(b.opcode(fb.BuiltinOperator.SELECT_V2), [c, x, y], [yo])
    batch.check(runs=6)


def test_select_v2_fed_by_a_comparison_sanitized():
    """The common pattern where(x > t, x, y), under ASan/UBSan."""
    batch = Batch(300)
    b = batch.b
    for case, dtype in enumerate(["int8", "int32", "float32"]):
        x = batch.input(f"x{case}", dtype, (3, 5), values(dtype, (3, 5), True))
        t = batch.input(f"t{case}", dtype, (5,), values(dtype, (5,), True))
        c = b.tensor(f"c{case}", "bool", (3, 5))
        b.op(b.opcode(fb.BuiltinOperator.GREATER, version=2), [x, t], [c])
        b.outputs.append(c)
        if dtype != "int32":
            o = batch.output(f"o{case}", dtype, (3, 5))
            b.op(b.opcode(fb.BuiltinOperator.SELECT_V2), [c, x, x], [o])
    batch.check(runs=4, sanitize=True)


def select_model(cond_dtype, x_dtype, y_dtype, out_dtype):
    b = ModelBuilder()
    q = lambda d: dict(scale=0.05, zero_point=0) if d in ("int8", "int16", "uint8") else {}  # noqa: E731
    c = b.tensor("c", cond_dtype, (2, 3), **q(cond_dtype))
    x = b.tensor("x", x_dtype, (2, 3), **q(x_dtype))
    y = b.tensor("y", y_dtype, (3,), **q(y_dtype))
    o = b.tensor("o", out_dtype, (2, 3), **q(out_dtype))
    b.op(b.opcode(fb.BuiltinOperator.SELECT_V2), [c, x, y], [o])
    b.inputs, b.outputs = [c, x, y], [o]
    return b


@pytest.mark.parametrize("types, words", [
    (("int8", "int8", "int8", "int8"), "condition"),
    (("bool", "int32", "int32", "int32"), "x tensor"),
    (("bool", "uint8", "uint8", "uint8"), "x tensor"),
    (("bool", "int8", "int16", "int8"), "y tensor"),
])
def test_select_v2_refusals(types, words):
    assert words in refused(select_model(*types))


# --- CAST --------------------------------------------------------------------------------------

CAST_FROM = ["int8", "int16", "int32", "float32", "bool"]
CAST_TO = ["int8", "int16", "int32", "float32"]
CAST_PAIRS = [(src, dst) for src in CAST_FROM for dst in CAST_TO]
FLOAT_EDGES = np.array([0.0, -0.0, 0.5, -0.5, 0.999, -0.999, 127.9, -128.9, 128.0, -129.0, 255.5, 300.7, -300.7,
                        32767.5, 32768.0, -32769.0, 65535.9, 1e6 + 0.25, -1e6, 2147483520.0, -2147483648.0,
                        2147483648.0, -2147483904.0, 3e9, -3e9, 1e20, -1e20, np.inf, -np.inf, np.nan], np.float32)


def cast_values(dtype, shape, dst="float32"):
    """Inputs of a CAST from `dtype` to `dst`. float -> integer gets only values whose truncation fits
    `dst`: outside, TFLM's static_cast is undefined behaviour and the pinned oracle's host build
    (g++, x86-64) wraps where the wheel and Arm's VCVT saturate; test_cast_float_out_of_range checks
    the aot kernel's defined saturation on its own."""
    if dtype == "bool":
        return bools(shape)
    if dtype != "float32":
        return values(dtype, shape, narrow=False)
    edges = FLOAT_EDGES
    if dst != "float32":
        info = np.iinfo(dst)
        with np.errstate(invalid="ignore"):
            whole = np.trunc(edges.astype(np.float64))  # float64: float32(2**31 - 1) would round up to 2**31
            fits = np.isfinite(edges) & (whole >= info.min) & (whole <= info.max)
            edges = edges[fits]
        low, high = max(float(info.min), -70000.0), min(float(info.max), 70000.0)
        high = float(np.nextafter(np.float32(high + 1), np.float32(0)))  # truncates to the maximum

    def gen(rng, run):
        if dst != "float32":
            if run < 2:
                return np.full(shape, low if run == 0 else high, np.float32)
            v = rng.uniform(low, high, size=shape).astype(np.float32)
            v = np.clip(v, np.float32(low), np.float32(high))
        else:
            if run < 2:
                return np.full(shape, -1e10 if run == 0 else 1e10, np.float32)
            v = rng.uniform(-70000, 70000, size=shape).astype(np.float32)
        if run % 2:
            v = edges[rng.integers(0, len(edges), size=shape)]
        return v

    return gen


# TFLM's uint32 pairs (cast.cc), in their own kernel file (cast_u32.c): the audio preprocessor's path.
CAST_U32_PAIRS = ([("uint32", dst) for dst in ("int8", "int16", "int32", "uint32", "float32")]
                  + [(src, "uint32") for src in ("int8", "int16", "int32", "float32", "bool")])
CAST_U32_SAME_BITS = [("int32", "uint32"), ("uint32", "int32"), ("uint32", "uint32")]  # aliases in aot
UINT32_EDGES = np.array([0, 1, 127, 128, 255, 256, 32767, 32768, 65535, 65536, (1 << 24) - 1, 1 << 24, (1 << 24) + 1,
                         (1 << 24) + 3, (1 << 31) - 1, 1 << 31, (1 << 31) + 1, 0xFFFFFF7F, 0xFFFFFF80, 0xFFFFFFFF],
                        np.uint32)


def uint32_values(shape):
    """All 0, all 0xFFFFFFFF, then the whole range and the edges where narrowing wraps and float rounds."""

    def gen(rng, run):
        if run < 2:
            return np.full(shape, 0 if run == 0 else 0xFFFFFFFF, np.uint32)
        if run % 2:
            return UINT32_EDGES[rng.integers(0, len(UINT32_EDGES), size=shape)]
        return rng.integers(0, 1 << 32, size=shape, dtype=np.uint64).astype(np.uint32)

    return gen


@pytest.mark.parametrize("seed", range(CAST_U32_SEEDS))
def test_cast_uint32_pairs(seed):
    batch = Batch(450 + seed)
    b = batch.b
    for case, (src, dst) in enumerate(CAST_U32_PAIRS * CAST_U32_REPEATS):
        shape = [int(v) for v in batch.rng.integers(1, 7, int(batch.rng.integers(1, 4)))]
        gen = uint32_values(shape) if src == "uint32" else cast_values(src, shape, dst)
        x = batch.input(f"x{case}", src, shape, gen, quantized=False)
        y = batch.output(f"y{case}", dst, shape, quantized=False)
        b.op(b.opcode(fb.BuiltinOperator.CAST), [x], [y], fb.BuiltinOptions.CastOptions, fb.CastOptionsT())
    for src, dst in CAST_U32_SAME_BITS:  # a constant input: copied into the arena (no alias of flash)
        x = b.tensor(f"const_{src}_{dst}", src, [len(UINT32_EDGES)], data=UINT32_EDGES.astype(src))
        y = batch.output(f"y_const_{src}_{dst}", dst, [len(UINT32_EDGES)], quantized=False)
        b.op(b.opcode(fb.BuiltinOperator.CAST), [x], [y], fb.BuiltinOptions.CastOptions, fb.CastOptionsT())
    batch.check(runs=8, sanitize=seed == 0)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_cast_every_pair(seed):
    batch = Batch(400 + seed)
    b = batch.b
    case = 0
    for src, dst in CAST_PAIRS * CAST_REPEATS:
        shape = [int(v) for v in batch.rng.integers(1, 7, int(batch.rng.integers(1, 4)))]
        x = batch.input(f"x{case}", src, shape, cast_values(src, shape, dst), quantized=False)
        y = batch.output(f"y{case}", dst, shape, quantized=False)
        b.op(b.opcode(fb.BuiltinOperator.CAST), [x], [y], fb.BuiltinOptions.CastOptions, fb.CastOptionsT())
        case += 1
    batch.check(runs=8, sanitize=seed == 0)


def test_cast_float_out_of_range(tmp_path):
    """Where TFLM's float -> integer static_cast is undefined, the aot kernel defines it: truncation
    toward zero saturated to the target's range, NaN -> 0 (what the tflite-micro wheel and Arm's VCVT
    give); checked against that rule directly, since no oracle defines it."""
    from tinyml_build.model.reader import read_model
    from tinyml_build.runtimes.aot.emit import render
    from tinyml_build.runtimes.aot.lower import lower_model
    from tinyml_build.verification.host_check import compile_program, run_program

    b = ModelBuilder()
    x = b.tensor("x", "float32", [FLOAT_EDGES.size])
    b.inputs = [x]
    for dst in ("int8", "int16", "int32", "uint32"):
        y = b.tensor(f"y_{dst}", dst, [FLOAT_EDGES.size])
        b.op(b.opcode(fb.BuiltinOperator.CAST), [x], [y], fb.BuiltinOptions.CastOptions, fb.CastOptionsT())
        b.outputs.append(y)
    model = read_model(b.build(), where="m.tflite", name="m")
    program = lower_model(model)
    exe = compile_program(tmp_path, render(program), program, sanitize=True)
    outputs, _ = run_program(exe, tmp_path, model, [[FLOAT_EDGES]])
    with np.errstate(invalid="ignore"):
        truncated = np.trunc(FLOAT_EDGES.astype(np.float64))
    for dst, got in zip(("int8", "int16", "int32", "uint32"), outputs[0]):
        info = np.iinfo(dst)
        expected = np.where(np.isnan(truncated), 0, np.clip(np.nan_to_num(truncated, posinf=info.max,
                                                                          neginf=info.min), info.min, info.max))
        assert got.tolist() == expected.astype(dst).tolist(), dst


def cast_model(src, dst):
    b = ModelBuilder()
    x = b.tensor("x", src, (2, 3))
    y = b.tensor("y", dst, (2, 3))
    b.op(b.opcode(fb.BuiltinOperator.CAST), [x], [y], fb.BuiltinOptions.CastOptions, fb.CastOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b


@pytest.mark.parametrize("src, dst, words", [
    ("int8", "bool", "output"), ("float32", "uint8", "output"), ("uint8", "int32", "input"),
    ("int64", "int32", "input"), ("int32", "int64", "output"), ("uint32", "bool", "output"),
    ("uint32", "uint64", "output"),
])
def test_cast_refusals(src, dst, words):
    assert words in refused(cast_model(src, dst))


# op -> generated cases (models x ops per model), for aot_op_cases.GENERATED_SUITES
GENERATED_CASES = {op: SEEDS * sum(len(range(comparisons_of(t).index(op), COMPARE_CASES, len(comparisons_of(t))))
                                   for t in ["bool"] + ORDERED_TYPES if op in comparisons_of(t))
                   for op in COMPARISONS}
GENERATED_CASES.update({"SELECT_V2": len(SELECT_TYPES) * SEEDS * SELECT_CASES,
                        "CAST": SEEDS * len(CAST_PAIRS) * CAST_REPEATS
                        + CAST_U32_SEEDS * len(CAST_U32_PAIRS) * CAST_U32_REPEATS})
