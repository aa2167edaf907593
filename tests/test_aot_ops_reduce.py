"""runtime=aot REDUCE_MAX, REDUCE_MIN, SUM and BATCH_MATMUL bit-exact with tflite-micro.

Property-style: seeded random ranks 1..5, shapes (size-1 dimensions included), constant axes
(negative and repeated ones too), keep_dims both ways, random int8/int16 scales and
zero points for SUM's requantization, in every type TFLM's micro kernels accept (REDUCE_MAX/MIN:
int8, float32; SUM: int8, int16, float32). BATCH_MATMUL: int8, int16 (zero points 0), float32,
ranks 2..5 for each side, broadcast batch dimensions, adj_x / adj_y, constant or activation rhs,
random scales. Each generated model holds CASES independent ops.
TILE has no micro kernel at the pinned TFLM, so it is neither lowered nor tested.
"""

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.schema import fb

CASES = 24  # ops per generated model (BATCH_MATMUL)
REDUCE_CASES = 50  # ops per generated REDUCE_MAX / REDUCE_MIN / SUM model
MODELS = 2  # generated models per (op, type)
BUILTIN = fb.BuiltinOperator
TYPES = {"REDUCE_MAX": ("int8", "float32"), "REDUCE_MIN": ("int8", "float32"),
         "SUM": ("int8", "int16", "float32")}
OP_TYPES = [(op, t) for op in TYPES for t in TYPES[op]]
CODE = {"REDUCE_MAX": BUILTIN.REDUCE_MAX, "REDUCE_MIN": BUILTIN.REDUCE_MIN, "SUM": BUILTIN.SUM}


def _quant(rng, dtype):
    if dtype == "int8":
        return float(rng.uniform(0.01, 0.1)), int(rng.integers(-40, 41))
    if dtype == "int16":
        return float(rng.uniform(1e-4, 1e-3)), 0
    return None, None


def add_reduce(op, b, rng, dtype, n, keep_dims=None, axes=None, shape=None, out_quant=None):
    if shape is None:
        shape = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 6)))]
    rank = len(shape)
    if axes is None:
        axes = [int(a) for a in rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False)]
        axes = [a - rank if rng.random() < 0.4 else a for a in axes]
        if axes and rng.random() < 0.15:
            axes.append(axes[0] - rank if axes[0] >= 0 else axes[0] + rank)  # the same axis twice
    keep_dims = bool(rng.random() < 0.5) if keep_dims is None else keep_dims
    reduced = {a % rank for a in axes}
    out_shape = [1 if d in reduced else s for d, s in enumerate(shape) if keep_dims or d not in reduced]
    in_scale, in_zp = _quant(rng, dtype)
    if out_quant is not None:
        out_scale, out_zp = out_quant
    elif op == "SUM" and dtype != "float32":
        count = int(np.prod([shape[a] for a in reduced]))
        out_scale = in_scale * float(rng.uniform(0.2, 1.2)) * float(np.sqrt(count))
        out_zp = int(rng.integers(-30, 31)) if dtype == "int8" else 0
    else:
        out_scale, out_zp = in_scale, in_zp  # REDUCE_MAX/MIN int8: TFLM requires equal quantization
    x = b.tensor(f"x{n}", dtype, shape, scale=in_scale, zero_point=in_zp)
    y = b.tensor(f"y{n}", dtype, out_shape, scale=out_scale, zero_point=out_zp)
    axis = b.tensor(f"axis{n}", "int32", [len(axes)], data=np.array(axes, np.int32))
    options = fb.ReducerOptionsT()
    options.keepDims = keep_dims
    b.op(b.opcode(CODE[op], version=2), [x, axis], [y], fb.BuiltinOptions.ReducerOptions, options)
    return [x], [y]


ADDERS = {op: (lambda b, rng, dtype, n, op=op: add_reduce(op, b, rng, dtype, n)) for op in TYPES}
REDUCE_PARAMS = [(op, t, s) for op, t in OP_TYPES for s in range(MODELS)]


@pytest.mark.parametrize("op, dtype, seed", REDUCE_PARAMS)
def test_reduce_random_cases(tmp_path, op, dtype, seed):
    data = aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, REDUCE_CASES)
    aot_op_cases.check_bytes(tmp_path, data, runs=4)


def test_reduce_under_sanitizers(tmp_path):
    b = ModelBuilder()
    rng = np.random.default_rng(5)
    for n, (op, dtype) in enumerate(OP_TYPES):
        xs, ys = add_reduce(op, b, rng, dtype, n, shape=[2, 3, 4, 5], axes=[-1, 1])
        b.inputs += xs
        b.outputs += ys
    aot_op_cases.check_bytes(tmp_path, b.build(), runs=2, sanitize=True)


def _single(op, dtype, **kw):
    b = ModelBuilder()
    xs, ys = add_reduce(op, b, np.random.default_rng(0), dtype, 0, **kw)
    b.inputs, b.outputs = xs, ys
    return b.build()


def test_reduce_max_int8_with_other_output_quantization_is_refused():
    text = aot_op_cases.lower_error(_single("REDUCE_MAX", "int8", shape=[3, 4], axes=[1], out_quant=(0.5, 3)))
    assert "quantization" in text and "runtime=tflm" in text


@pytest.mark.parametrize("op, dtype", [("REDUCE_MIN", "int16"), ("SUM", "int32")])
def test_reduce_types_tflm_lacks_are_refused(op, dtype):
    assert "input" in aot_op_cases.lower_error(_single(op, dtype, shape=[3, 4], axes=[0], out_quant=(None, None)))


def test_reduce_with_axes_from_a_model_input_is_refused():
    b = ModelBuilder()
    x = b.tensor("x", "float32", [3, 4])
    axis = b.tensor("axis", "int32", [1])
    y = b.tensor("y", "float32", [3])
    b.op(b.opcode(BUILTIN.SUM, version=2), [x, axis], [y], fb.BuiltinOptions.ReducerOptions, fb.ReducerOptionsT())
    b.inputs, b.outputs = [x, axis], [y]
    assert "not constant" in aot_op_cases.lower_error(b.build())


# --- BATCH_MATMUL ------------------------------------------------------------------------------

MATMUL_TYPES = {"BATCH_MATMUL": ("int8", "int16", "float32")}


def _constant(rng, dtype, shape):
    if dtype == "float32":
        return rng.uniform(-2, 2, size=shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def add_batch_matmul(b, rng, dtype, n):
    rank = int(rng.integers(2, 6))
    batch = [int(rng.integers(1, 4)) for _ in range(rank - 2)]
    a_batch = [d if rng.random() < 0.7 else 1 for d in batch][int(rng.integers(0, rank - 1)):]
    b_batch = [d if rng.random() < 0.7 else 1 for d in batch]
    if rng.random() < 0.3:
        b_batch = b_batch[int(rng.integers(0, rank - 1)):]
    out_batch = list(np.broadcast_shapes(tuple(a_batch), tuple(b_batch)))
    rows, cols, depth = (int(v) for v in rng.integers(1, 7, 3))
    adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    a_shape = a_batch + ([depth, rows] if adj_x else [rows, depth])
    b_shape = b_batch + ([cols, depth] if adj_y else [depth, cols])
    q = {"int8": lambda: (float(rng.uniform(0.01, 0.1)), int(rng.integers(-30, 31))),
         "int16": lambda: (float(rng.uniform(1e-4, 1e-3)), 0), "float32": lambda: (None, None)}[dtype]
    (sa, za), (sb, zb), (_so, zo) = q(), q(), q()
    factor = {"int8": rng.uniform(30, 150), "int16": rng.uniform(1e4, 6e4), "float32": 0.0}[dtype]
    so = None if dtype == "float32" else sa * sb * float(np.sqrt(depth)) * float(factor)
    x = b.tensor(f"a{n}", dtype, a_shape, scale=sa, zero_point=za)
    constant = rng.random() < 0.4
    w = b.tensor(f"b{n}", dtype, b_shape, scale=sb, zero_point=zb,
                 **({"data": _constant(rng, dtype, b_shape)} if constant else {}))
    y = b.tensor(f"y{n}", dtype, out_batch + [rows, cols], scale=so, zero_point=zo)
    options = fb.BatchMatMulOptionsT()
    options.adjX, options.adjY = adj_x, adj_y
    b.op(b.opcode(BUILTIN.BATCH_MATMUL), [x, w], [y], fb.BuiltinOptions.BatchMatMulOptions, options)
    return [x] if constant else [x, w], [y]


MATMUL_PARAMS = [("BATCH_MATMUL", t, s) for t in MATMUL_TYPES["BATCH_MATMUL"] for s in range(MODELS)]


@pytest.mark.parametrize("op, dtype, seed", MATMUL_PARAMS)
def test_batch_matmul_random_cases(tmp_path, op, dtype, seed):
    data = aot_op_cases.random_model({"BATCH_MATMUL": add_batch_matmul}, MATMUL_TYPES, "BATCH_MATMUL", dtype, seed,
                                     CASES)
    aot_op_cases.check_bytes(tmp_path, data, runs=4)


def test_batch_matmul_under_sanitizers(tmp_path):
    b = ModelBuilder()
    rng = np.random.default_rng(9)
    for n, dtype in enumerate(MATMUL_TYPES["BATCH_MATMUL"] * 2):
        xs, ys = add_batch_matmul(b, rng, dtype, n)
        b.inputs += xs
        b.outputs += ys
    aot_op_cases.check_bytes(tmp_path, b.build(), runs=2, sanitize=True)


def _matmul(dtype, a_shape, b_shape, out_shape, quant=((0.05, 0), (0.05, 0), (0.5, 0))):
    b = ModelBuilder()
    (sa, za), (sb, zb), (so, zo) = quant
    x = b.tensor("a", dtype, a_shape, scale=sa, zero_point=za)
    w = b.tensor("b", dtype, b_shape, scale=sb, zero_point=zb)
    y = b.tensor("y", dtype, out_shape, scale=so, zero_point=zo)
    b.op(b.opcode(BUILTIN.BATCH_MATMUL), [x, w], [y], fb.BuiltinOptions.BatchMatMulOptions,
         fb.BatchMatMulOptionsT())
    b.inputs, b.outputs = [x, w], [y]
    return b.build()


def test_batch_matmul_refusals():
    assert "zero points" in aot_op_cases.lower_error(
        _matmul("int16", [2, 3], [3, 4], [2, 4], ((0.001, 1), (0.001, 0), (0.01, 0))))
    assert "int32" in aot_op_cases.lower_error(_matmul("int32", [2, 3], [3, 4], [2, 4]))
    assert "rank 6" in aot_op_cases.lower_error(_matmul("int8", [1, 1, 1, 1, 2, 3], [3, 4], [1, 1, 1, 1, 2, 4]))
    assert "depths" in aot_op_cases.lower_error(_matmul("int8", [2, 3], [5, 4], [2, 4]))
    assert "broadcast" in aot_op_cases.lower_error(_matmul("int8", [2, 2, 3], [3, 3, 4], [3, 2, 4]))


GENERATED_CASES = {**aot_op_cases.case_counts(REDUCE_PARAMS, REDUCE_CASES),
                   **aot_op_cases.case_counts(MATMUL_PARAMS, CASES)}
