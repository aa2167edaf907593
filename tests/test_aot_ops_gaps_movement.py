"""runtime=aot FILL, ZEROS_LIKE, SHAPE, BROADCAST_TO, BROADCAST_ARGS, REVERSE_V2, MIRROR_PAD,
GATHER_ND, EMBEDDING_LOOKUP and LOGICAL_AND/OR/NOT bit-exact with the pinned tflite-micro.

Property-style: seeded random ranks, shapes, broadcasts, axes, paddings and indices, in every
type TFLM's micro kernel of the op accepts (mixed in one model). Compiling dominates, so each
generated model holds CASES independent instances of one op and one host check covers them
all; MODELS seeds per op give >= 200 cases per op.
"""

import numpy as np
import pytest
from test_aot_ops_select import Batch, values

from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.ops import supported_ops

CASES = 110  # op instances per generated model
MODELS = 2  # generated models (seeds) per op
BUILTIN = fb.BuiltinOperator


def _shape(rng, rank, low=1, high=5):
    return [int(v) for v in rng.integers(low, high + 1, rank)]


def _const(batch, name, values_, dtype="int32", shape=None):
    array = np.array(values_, dtype).reshape(shape if shape is not None else [len(values_)])
    return batch.b.tensor(name, dtype, list(array.shape), data=array)


def _data(batch, name, dtype, shape):
    """A graph input of `dtype` with values over the type's range (bool: 0/1)."""
    if dtype == "bool":
        return batch.input(name, dtype, shape, lambda rng, run: rng.integers(0, 2, size=shape).astype(bool))
    return batch.input(name, dtype, shape, values(dtype, shape))


def _op(batch, code, inputs, outputs, options_type=0, options=None, version=1):
    batch.b.op(batch.b.opcode(code, version=version), inputs, outputs, options_type, options)


# --- one random instance of each op, added to a Batch --------------------------------------------


def add_fill(batch, dtype, n):
    rng = batch.rng
    shape = _shape(rng, int(rng.integers(1, 5)))  # a rank-0 output's dims would be an empty constant
    value = _data(batch, f"v{n}", dtype, [])
    # int8 dims beside a float32 value would be a "hybrid" op to the model analysis: not with float32
    dims_types = ["int32", "int64", "int16"] + (["int8"] if dtype != "float32" else [])
    dims = _const(batch, f"d{n}", shape, str(rng.choice(dims_types)))
    y = batch.output(f"y{n}", dtype, shape)
    _op(batch, BUILTIN.FILL, [dims, value], [y], fb.BuiltinOptions.FillOptions, fb.FillOptionsT())


def add_zeros_like(batch, dtype, n):
    shape = _shape(batch.rng, int(batch.rng.integers(0, 5)))
    x = _data(batch, f"x{n}", dtype, shape)
    y = batch.output(f"y{n}", dtype, shape)
    _op(batch, BUILTIN.ZEROS_LIKE, [x], [y], fb.BuiltinOptions.ZerosLikeOptions, fb.ZerosLikeOptionsT())


def add_shape(batch, dtype, n):
    shape = _shape(batch.rng, int(batch.rng.integers(0, 6)), 1, 7)
    x = _data(batch, f"x{n}", dtype, shape)
    y = batch.output(f"y{n}", "int32", [len(shape)])
    options = fb.ShapeOptionsT()
    options.outType = fb.TensorType.INT32
    _op(batch, BUILTIN.SHAPE, [x], [y], fb.BuiltinOptions.ShapeOptions, options)


def add_broadcast_to(batch, dtype, n):
    rng = batch.rng
    out = _shape(rng, int(rng.integers(1, 6)))
    in_rank = int(rng.integers(0, len(out) + 1))
    shape = [1 if rng.random() < 0.4 else d for d in out[len(out) - in_rank:]]
    x = _data(batch, f"x{n}", dtype, shape)
    y = batch.output(f"y{n}", dtype, out)
    _op(batch, BUILTIN.BROADCAST_TO, [x, _const(batch, f"s{n}", out, str(rng.choice(["int32", "int64"])))], [y],
        fb.BuiltinOptions.BroadcastToOptions, fb.BroadcastToOptionsT(), version=2)


def add_broadcast_args(batch, dtype, n):
    rng = batch.rng
    out = _shape(rng, int(rng.integers(1, 6)), 1, 9)
    shapes = [[1 if rng.random() < 0.4 else d for d in out[len(out) - r:]]
              for r in (len(out), int(rng.integers(1, len(out) + 1)))]
    if rng.random() < 0.5:
        shapes.reverse()
    ins = [_const(batch, f"s{n}_{i}", s, dtype) for i, s in enumerate(shapes)]
    if dtype == "int32" and rng.random() < 0.7:  # the shape of an activation, as converters emit it
        x = _data(batch, f"x{n}", "int8", shapes[0])
        ins[0] = batch.b.tensor(f"shape{n}", "int32", [len(shapes[0])])
        _op(batch, BUILTIN.SHAPE, [x], [ins[0]], fb.BuiltinOptions.ShapeOptions, fb.ShapeOptionsT())
    y = batch.output(f"y{n}", dtype, [len(out)])
    _op(batch, BUILTIN.BROADCAST_ARGS, ins, [y])


def add_reverse_v2(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank)
    first = int(rng.integers(0, rank))
    count = int(rng.integers(1, rank - first + 1))
    axes = [a - rank if rng.random() < 0.3 else a for a in range(first, first + count)]
    axes = [int(a) for a in rng.permutation(axes)]
    x = _data(batch, f"x{n}", dtype, shape)
    y = batch.output(f"y{n}", dtype, shape)
    _op(batch, BUILTIN.REVERSE_V2, [x, _const(batch, f"a{n}", axes)], [y], fb.BuiltinOptions.ReverseV2Options,
        fb.ReverseV2OptionsT(), version=3)


def add_mirror_pad(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank)
    mode = int(rng.integers(0, 2))  # 0 REFLECT (pad < size), 1 SYMMETRIC (pad <= size)
    pads = [[int(rng.integers(0, d - (1 - mode) + 1)) for _ in range(2)] for d in shape]
    x = _data(batch, f"x{n}", dtype, shape)
    y = batch.output(f"y{n}", dtype, [d + left + right for d, (left, right) in zip(shape, pads)])
    options = fb.MirrorPadOptionsT()
    options.mode = mode
    paddings = _const(batch, f"p{n}", sum(pads, []), str(rng.choice(["int32", "int64"])), [rank, 2])
    _op(batch, BUILTIN.MIRROR_PAD, [x, paddings], [y], fb.BuiltinOptions.MirrorPadOptions, options, version=2)


def add_gather_nd(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank)
    depth = int(rng.integers(1, rank + 1))
    index_shape = _shape(rng, int(rng.integers(0, 3)), 1, 4) + [depth]
    out = index_shape[:-1] + shape[depth:]

    def indices(rng_, run):
        return np.stack([rng_.integers(0, d, size=index_shape[:-1]) for d in shape[:depth]], -1).astype(np.int32)

    x = _data(batch, f"x{n}", dtype, shape)
    if rng.random() < 0.5:
        idx = batch.input(f"i{n}", "int32", index_shape, indices)
    else:
        idx = batch.b.tensor(f"i{n}", "int32", index_shape, data=indices(rng, 2))
    y = batch.output(f"y{n}", dtype, out)
    _op(batch, BUILTIN.GATHER_ND, [x, idx], [y], fb.BuiltinOptions.GatherNdOptions, fb.GatherNdOptionsT())


def add_embedding_lookup(batch, dtype, n):
    rng = batch.rng
    table_dtype, out_dtype = dtype
    shape = _shape(rng, int(rng.integers(2, 4)), 1, 6)
    count = int(rng.integers(1, 7))
    if table_dtype == "int8":
        scale = float(rng.uniform(0.01, 0.2))
        data = rng.integers(-128, 128, size=shape).astype(np.int8)
        table = batch.b.tensor(f"t{n}", "int8", shape, data=data, scale=scale,
                               zero_point=0 if out_dtype == "float32" else int(rng.integers(-5, 6)))
    else:
        table = batch.b.tensor(f"t{n}", "float32", shape, data=rng.standard_normal(shape).astype(np.float32))
    ids = batch.input(f"i{n}", "int32", [count], lambda rng_, run: rng_.integers(0, shape[0], count).astype(np.int32))
    y = batch.output(f"y{n}", out_dtype, [count] + shape[1:])
    _op(batch, BUILTIN.EMBEDDING_LOOKUP, [ids, table], [y])


def add_logical(code):
    def add(batch, dtype, n):
        rng = batch.rng
        out = _shape(rng, int(rng.integers(0, 6)))
        shapes = [[1 if rng.random() < 0.3 else d for d in out[len(out) - int(rng.integers(0, len(out) + 1)):]]
                  for _ in range(2)]
        shapes[int(rng.integers(0, 2))] = out
        xs = [_data(batch, f"x{n}_{i}", "bool", s) for i, s in enumerate(shapes)]
        if code == BUILTIN.LOGICAL_NOT:
            xs = xs[1:] if shapes[1] == out else xs[:1]
        y = batch.output(f"y{n}", "bool", out)
        _op(batch, code, xs, [y])
    return add


ADDERS = {"FILL": add_fill, "ZEROS_LIKE": add_zeros_like, "SHAPE": add_shape, "BROADCAST_TO": add_broadcast_to,
          "BROADCAST_ARGS": add_broadcast_args, "REVERSE_V2": add_reverse_v2, "MIRROR_PAD": add_mirror_pad,
          "GATHER_ND": add_gather_nd, "EMBEDDING_LOOKUP": add_embedding_lookup,
          "LOGICAL_AND": add_logical(BUILTIN.LOGICAL_AND), "LOGICAL_OR": add_logical(BUILTIN.LOGICAL_OR),
          "LOGICAL_NOT": add_logical(BUILTIN.LOGICAL_NOT)}
# Every type the pinned TFLM's micro kernel of the op accepts (fill.cc, zeros_like.cc, ...).
TYPES = {"FILL": ("float32", "int32", "int8"), "ZEROS_LIKE": ("int64", "int32", "int8", "float32"),
         "SHAPE": ("int8", "int16", "float32", "int32", "bool"), "BROADCAST_TO": ("int8", "int16", "int32", "int64",
                                                                               "float32", "bool"),
         "BROADCAST_ARGS": ("int32", "int64"), "REVERSE_V2": ("int8", "int16", "int32", "int64", "float32", "bool"),
         "MIRROR_PAD": ("int8", "float32"), "GATHER_ND": ("int8", "float32"),
         "EMBEDDING_LOOKUP": (("float32", "float32"), ("int8", "int8"), ("int8", "float32")),
         "LOGICAL_AND": ("bool",), "LOGICAL_OR": ("bool",), "LOGICAL_NOT": ("bool",)}


def random_batch(op: str, seed: int, cases: int = CASES) -> Batch:
    """`cases` instances of `op`, types cycling through TYPES[op]."""
    batch = Batch([seed, list(ADDERS).index(op)])
    for n in range(cases):
        ADDERS[op](batch, TYPES[op][n % len(TYPES[op])], n)
    return batch


@pytest.mark.parametrize("op,seed", [(op, s) for op in ADDERS for s in range(MODELS)])
def test_random_cases_bit_exact(op, seed):
    random_batch(op, seed).check(runs=3)


def test_all_ops_under_sanitizers():
    batch = Batch(11)
    n = 0
    for op, add in ADDERS.items():
        for dtype in TYPES[op]:
            add(batch, dtype, n)
            n += 1
    batch.check(runs=2, sanitize=True)


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())
