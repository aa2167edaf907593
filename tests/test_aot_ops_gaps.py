"""runtime=aot FILL, ZEROS_LIKE, SHAPE, BROADCAST_TO, BROADCAST_ARGS, REVERSE_V2, MIRROR_PAD,
GATHER_ND, EMBEDDING_LOOKUP, DYNAMIC_UPDATE_SLICE, LOGICAL_AND/OR/NOT, REDUCE_ALL, ADD_N, CUMSUM,
FLOOR_DIV and FLOOR_MOD bit-exact with the pinned tflite-micro (ops TFLM runs that aot lacked).

Property-style: seeded random ranks, shapes, broadcasts, axes, paddings and indices, in every
type TFLM's micro kernel of the op accepts (mixed in one model). Compiling dominates, so each
generated model holds CASES independent instances of one op and one host check covers them
all; MODELS seeds per op give >= 200 cases per op.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from test_aot_ops_select import QUANT, Batch, values
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import HostRunError, check_model
from tinyml_build.verification.target_check import check_on_cortex_m

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


def _broadcast_shapes(rng, max_rank):
    """(output shape, [shape 1, shape 2]): one input has the output's shape, the other
    broadcasts into it (fewer dimensions, some of them 1)."""
    out = _shape(rng, int(rng.integers(0, max_rank + 1)))
    shapes = [[1 if rng.random() < 0.3 else d for d in out[len(out) - int(rng.integers(0, len(out) + 1)):]]
              for _ in range(2)]
    shapes[int(rng.integers(0, 2))] = out
    return out, shapes


def add_logical(code):
    def add(batch, dtype, n):
        rng = batch.rng
        out, shapes = _broadcast_shapes(rng, 5)
        xs = [_data(batch, f"x{n}_{i}", "bool", s) for i, s in enumerate(shapes)]
        if code == BUILTIN.LOGICAL_NOT:
            xs = xs[1:] if shapes[1] == out else xs[:1]
        y = batch.output(f"y{n}", "bool", out)
        _op(batch, code, xs, [y])
    return add


def add_dynamic_update_slice(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank)
    update_shape = [int(rng.integers(1, d + 1)) for d in shape]
    index_dtype = str(rng.choice(["int32", "int64"]))

    def starts(rng_, run):  # a little outside the valid range too: TFLM clamps
        return np.array([rng_.integers(-2, d - u + 3) for d, u in zip(shape, update_shape)], index_dtype)

    operand = _data(batch, f"x{n}", dtype, shape)
    update = _data(batch, f"u{n}", dtype, update_shape)
    if rng.random() < 0.6:
        idx = batch.input(f"i{n}", index_dtype, [rank], starts)
    else:
        idx = batch.b.tensor(f"i{n}", index_dtype, [rank], data=starts(rng, 2))
    y = batch.output(f"y{n}", dtype, shape)
    _op(batch, BUILTIN.DYNAMIC_UPDATE_SLICE, [operand, update, idx], [y], fb.BuiltinOptions.DynamicUpdateSliceOptions,
        fb.DynamicUpdateSliceOptionsT())


def add_reduce_all(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank)
    axes = [int(a) for a in rng.choice(np.arange(-rank, rank), size=int(rng.integers(1, rank + 1)))]
    resolved = {a % rank for a in axes}
    keep = bool(rng.random() < 0.5)
    out = [1 if d in resolved else s for d, s in enumerate(shape)] if keep else \
        [s for d, s in enumerate(shape) if d not in resolved]
    x = batch.input(f"x{n}", "bool", shape, lambda rng_, run: rng_.random(shape) < 0.8)  # mostly true
    y = batch.output(f"y{n}", "bool", out)
    options = fb.ReducerOptionsT()
    options.keepDims = keep
    _op(batch, BUILTIN.REDUCE_ALL, [x, _const(batch, f"a{n}", axes)], [y], fb.BuiltinOptions.ReducerOptions, options)


def _quantized_input(batch, name, shape, scale, zero_point):
    t = batch.b.tensor(name, "int8", shape, scale=scale, zero_point=zero_point)
    batch.b.inputs.append(t)
    batch.generators.append(values("int8", shape))
    return t


def _random_quant(rng):
    return float(rng.uniform(0.005, 0.3)), int(rng.integers(-128, 128))


def add_add_n(batch, dtype, n):
    rng = batch.rng
    shape = _shape(rng, int(rng.integers(0, 5)))
    count = int(rng.integers(2, 6))
    if dtype == "int8":
        quant = _random_quant(rng)
        xs = [_quantized_input(batch, f"x{n}_{i}", shape, *quant) for i in range(count)]
        y = batch.b.tensor(f"y{n}", "int8", shape, scale=float(quant[0] * rng.uniform(0.5, 4.0)),
                           zero_point=int(rng.integers(-128, 128)))
        batch.b.outputs.append(y)
    else:
        xs = [_data(batch, f"x{n}_{i}", dtype, shape) for i in range(count)]
        y = batch.output(f"y{n}", dtype, shape)
    _op(batch, BUILTIN.ADD_N, xs, [y], fb.BuiltinOptions.AddNOptions, fb.AddNOptionsT())


def add_cumsum(batch, dtype, n):
    rng = batch.rng
    rank = int(rng.integers(1, 5))
    shape = _shape(rng, rank)
    axis = int(rng.integers(-rank, rank))
    if dtype == "int8":
        quant = _random_quant(rng)
        x = _quantized_input(batch, f"x{n}", shape, *quant)
        y = batch.b.tensor(f"y{n}", "int8", shape, scale=float(quant[0] * rng.uniform(0.5, 6.0)),
                           zero_point=int(rng.integers(-128, 128)))
        batch.b.outputs.append(y)
    else:
        x = _data(batch, f"x{n}", dtype, shape)
        y = batch.output(f"y{n}", dtype, shape)
    options = fb.CumsumOptionsT()
    options.exclusive, options.reverse = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    _op(batch, BUILTIN.CUMSUM, [x, _const(batch, f"a{n}", [axis])], [y], fb.BuiltinOptions.CumsumOptions, options)


def wide_floats(shape, zeros=False):
    """Generator: signs, magnitudes 2^-30..2^30 and some over float32's whole range (subnormals
    included), exact multiples of 0.75 (remainders of 0), zeros when asked (FLOOR_MOD: NaN)."""
    def gen(rng, run):
        pick = rng.random(shape)
        exponents = np.where(pick > 0.85, rng.uniform(-148, 127, size=shape), rng.uniform(-30, 30, size=shape))
        v = rng.choice([-1.0, 1.0], size=shape) * np.exp2(exponents)
        v = np.where(pick < 0.2, rng.integers(-9, 10, size=shape) * 0.75, v)
        if zeros:
            v = np.where(pick > 0.95, 0.0, v)
        else:
            v = np.where(v == 0, 1.5, v)
        return v.astype(np.float32)
    return gen


def add_floor(code):
    def add(batch, dtype, n):
        rng = batch.rng
        out, shapes = _broadcast_shapes(rng, 4)
        x = batch.input(f"x{n}", "float32", shapes[0], wide_floats(shapes[0], zeros=True))
        if rng.random() < 0.25:
            d = batch.b.tensor(f"d{n}", "float32", shapes[1], data=wide_floats(shapes[1])(rng, 2))
        else:
            d = batch.input(f"d{n}", "float32", shapes[1], wide_floats(shapes[1], zeros=code == BUILTIN.FLOOR_MOD))
        y = batch.output(f"y{n}", "float32", out)
        _op(batch, code, [x, d], [y])
    return add


ADDERS = {"FILL": add_fill, "ZEROS_LIKE": add_zeros_like, "SHAPE": add_shape, "BROADCAST_TO": add_broadcast_to,
          "BROADCAST_ARGS": add_broadcast_args, "REVERSE_V2": add_reverse_v2, "MIRROR_PAD": add_mirror_pad,
          "GATHER_ND": add_gather_nd, "EMBEDDING_LOOKUP": add_embedding_lookup,
          "LOGICAL_AND": add_logical(BUILTIN.LOGICAL_AND), "LOGICAL_OR": add_logical(BUILTIN.LOGICAL_OR),
          "LOGICAL_NOT": add_logical(BUILTIN.LOGICAL_NOT), "DYNAMIC_UPDATE_SLICE": add_dynamic_update_slice,
          "REDUCE_ALL": add_reduce_all, "ADD_N": add_add_n, "CUMSUM": add_cumsum,
          "FLOOR_DIV": add_floor(BUILTIN.FLOOR_DIV), "FLOOR_MOD": add_floor(BUILTIN.FLOOR_MOD)}
# Every type the pinned TFLM's micro kernel of the op accepts (fill.cc, zeros_like.cc, ...).
TYPES = {"FILL": ("float32", "int32", "int8"), "ZEROS_LIKE": ("int64", "int32", "int8", "float32"),
         "SHAPE": ("int8", "int16", "float32", "int32", "bool"), "BROADCAST_TO": ("int8", "int16", "int32", "int64",
                                                                               "float32", "bool"),
         "BROADCAST_ARGS": ("int32", "int64"), "REVERSE_V2": ("int8", "int16", "int32", "int64", "float32", "bool"),
         "MIRROR_PAD": ("int8", "float32"), "GATHER_ND": ("int8", "float32"),
         "EMBEDDING_LOOKUP": (("float32", "float32"), ("int8", "int8"), ("int8", "float32")),
         "LOGICAL_AND": ("bool",), "LOGICAL_OR": ("bool",), "LOGICAL_NOT": ("bool",),
         "DYNAMIC_UPDATE_SLICE": ("float32", "int8", "int16", "int32"), "REDUCE_ALL": ("bool",),
         "ADD_N": ("int8", "float32"), "CUMSUM": ("int8", "float32"), "FLOOR_DIV": ("float32",),
         "FLOOR_MOD": ("float32",)}


def random_batch(op: str, seed: int, cases: int = CASES) -> Batch:
    """`cases` instances of `op`, types cycling through TYPES[op]."""
    batch = Batch([seed, list(ADDERS).index(op)])
    for n in range(cases):
        ADDERS[op](batch, TYPES[op][n % len(TYPES[op])], n)
    return batch


PARAMS = [(op, s) for op in ADDERS for s in range(MODELS)]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,seed", PARAMS)
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


# --- what TFLM refuses or fails on ---------------------------------------------------------------


def _single(code, inputs, out, options_type=0, options=None, version=1):
    """A model of one op: inputs [(name, dtype, shape, data or None)], out (dtype, shape)."""
    b = ModelBuilder()
    tensors = []
    for name, dtype, shape, data in inputs:
        t = b.tensor(name, dtype, shape, data=None if data is None else np.array(data, dtype).reshape(shape),
                     **QUANT.get(dtype, {}))
        tensors.append(t)
        if data is None:
            b.inputs.append(t)
    y = b.tensor("y", out[0], out[1], **QUANT.get(out[0], {}))
    b.outputs.append(y)
    b.op(b.opcode(code, version=version), tensors, [y], options_type, options)
    return b.build()


def _invoke_fails(data: bytes, inputs) -> None:
    model = read_model(data, where="m.tflite", name="m")
    with pytest.raises(HostRunError) as info:
        check_model(model, inputs=[inputs])
    assert "invoke failed" in str(info.value)


def test_run_time_errors_fail_invoke_like_tflm():
    """TFLM's Eval fails on these values; aot's invoke() returns TML_ERROR (and is bit-exact otherwise)."""
    div = _single(BUILTIN.FLOOR_DIV, [("a", "float32", [3], None), ("b", "float32", [3], None)], ("float32", [3]))
    ones = np.ones(3, np.float32)
    assert check_model(read_model(div, where="m.tflite", name="m"), inputs=[[ones, -ones]]).ok
    _invoke_fails(div, [ones, np.array([1, -0.0, 2], np.float32)])
    gather = _single(BUILTIN.GATHER_ND, [("p", "int8", [3, 4], None), ("i", "int32", [2, 2], None)], ("int8", [2]))
    params = np.arange(12, dtype=np.int8).reshape(3, 4)
    assert check_model(read_model(gather, where="m.tflite", name="m"),
                       inputs=[[params, np.array([[0, 3], [2, 0]], np.int32)]]).ok
    _invoke_fails(gather, [params, np.array([[2, 4], [0, 0]], np.int32)])  # flat start 12: past the end
    lookup = _single(BUILTIN.EMBEDDING_LOOKUP, [("i", "int32", [2], None),
                                                ("t", "float32", [3, 2], np.arange(6))], ("float32", [2, 2]))
    _invoke_fails(lookup, [np.array([0, 3], np.int32)])


@pytest.mark.parametrize("data, what", [
    (_single(BUILTIN.FLOOR_DIV, [("a", "float32", [2], None), ("b", "float32", [2], [1, 0])], ("float32", [2])),
     "constant denominator is 0"),
    (_single(BUILTIN.FLOOR_MOD, [("a", "int32", [2], None), ("b", "int32", [2], None)], ("int32", [2])), "int32"),
    (_single(BUILTIN.MIRROR_PAD, [("x", "int16", [2], None), ("p", "int32", [1, 2], [1, 1])], ("int16", [4]),
             fb.BuiltinOptions.MirrorPadOptions, fb.MirrorPadOptionsT()), "int16"),
    (_single(BUILTIN.MIRROR_PAD, [("x", "int8", [2], None), ("p", "int32", [1, 2], [2, 0])], ("int8", [4]),
             fb.BuiltinOptions.MirrorPadOptions, fb.MirrorPadOptionsT()), "too large"),
    (_single(BUILTIN.REVERSE_V2, [("x", "int8", [2, 3, 4], None), ("a", "int32", [2], [0, 2])], ("int8", [2, 3, 4])),
     "not consecutive"),
    (_single(BUILTIN.ZEROS_LIKE, [("x", "int16", [2], None)], ("int16", [2])), "int16"),
    (_single(BUILTIN.SHAPE, [("x", "int8", [2, 3], None)], ("int64", [2])), "int64"),
    (_single(BUILTIN.GATHER_ND, [("p", "int16", [3], None), ("i", "int32", [1, 1], [0])], ("int16", [1])), "int16"),
    (_single(BUILTIN.CUMSUM, [("x", "int16", [3], None), ("a", "int32", [1], [0])], ("int16", [3])), "int16"),
])
def test_what_tflm_refuses_is_refused(data, what):
    assert what in aot_op_cases.lower_error(data)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_ops_on_cortex_m4():
    """Every op and type on an emulated Cortex-M4F (QEMU mps2-an386): ADD_N's and CUMSUM's SMMULR
    rescaling, FLOOR_DIV's soft double arithmetic. The target check feeds the seeded all-minimum,
    all-maximum and random inputs, so ops whose index inputs need valid values are left out
    (GATHER_ND's and EMBEDDING_LOOKUP's run-time indices)."""
    batch = Batch(13)
    n = 0
    for op, add in ADDERS.items():
        if op in ("GATHER_ND", "EMBEDDING_LOOKUP"):
            continue
        for dtype in TYPES[op]:
            add(batch, dtype, n)
            n += 1
    report = check_on_cortex_m(batch.model(), runs=3)
    aot_op_cases.assert_exact(report)


# --- the Cortex-M4 instruction figures of the aot README -----------------------------------------


def profile_model() -> bytes:
    """One instance of every op on 1,024-element tensors (int8, bool, float32 for FLOOR_*):
    `python tests/test_aot_ops_gaps.py gaps.tflite && python bench/aot_profile.py gaps.tflite`."""
    batch = Batch(17)
    b = batch.b
    shape = [1, 8, 8, 16]

    def act(name, dtype, shape_=shape):
        return _data(batch, name, dtype, shape_)

    def out(name, dtype, shape_=shape):
        return batch.output(name, dtype, shape_)

    def const(name, values_, dtype="int32", shape_=None):
        return _const(batch, name, values_, dtype, shape_)

    _op(batch, BUILTIN.FILL, [const("dims", shape), act("value", "int8", [])], [out("fill", "int8")])
    _op(batch, BUILTIN.ZEROS_LIKE, [act("z_in", "int8")], [out("zeros_like", "int8")])
    _op(batch, BUILTIN.SHAPE, [act("s_in", "int8")], [out("shape", "int32", [4])])
    _op(batch, BUILTIN.BROADCAST_TO, [act("bt_in", "int8", [1, 1, 1, 16]), const("bt_shape", shape)],
        [out("broadcast_to", "int8")], version=2)
    _op(batch, BUILTIN.BROADCAST_ARGS, [const("ba_1", [8, 1, 16]), const("ba_2", [1, 8, 1, 1])],
        [out("broadcast_args", "int32", [4])])
    _op(batch, BUILTIN.REVERSE_V2, [act("r_in", "int8"), const("r_axis", [2])], [out("reverse_v2", "int8")],
        version=3)
    options = fb.MirrorPadOptionsT()
    _op(batch, BUILTIN.MIRROR_PAD, [act("mp_in", "int8"), const("mp_pads", [0, 0, 1, 1, 1, 1, 0, 0], shape_=[4, 2])],
        [out("mirror_pad", "int8", [1, 10, 10, 16])], fb.BuiltinOptions.MirrorPadOptions, options, version=2)
    gather_rows = np.stack([np.arange(16) % 8, (np.arange(16) * 3) % 8], -1)
    _op(batch, BUILTIN.GATHER_ND, [act("g_in", "int8", [8, 8, 16]), const("g_idx", gather_rows, shape_=[16, 2])],
        [out("gather_nd", "int8", [16, 16])])
    table = b.tensor("table", "int8", [64, 16], data=batch.rng.integers(-128, 128, (64, 16)).astype(np.int8),
                     **QUANT["int8"])
    _op(batch, BUILTIN.EMBEDDING_LOOKUP, [const("ids", (np.arange(64) * 7) % 64), table],
        [out("embedding_lookup", "int8", [64, 16])])
    _op(batch, BUILTIN.DYNAMIC_UPDATE_SLICE, [act("du_in", "int8"), act("du_update", "int8", [1, 4, 4, 16]),
                                             act("du_start", "int32", [4])], [out("dynamic_update_slice", "int8")])
    _op(batch, BUILTIN.LOGICAL_AND, [act("and_1", "bool"), act("and_2", "bool")], [out("logical_and", "bool")])
    _op(batch, BUILTIN.LOGICAL_NOT, [act("not_in", "bool")], [out("logical_not", "bool")])
    reducer = fb.ReducerOptionsT()
    _op(batch, BUILTIN.REDUCE_ALL, [act("all_in", "bool"), const("all_axis", [2])], [out("reduce_all", "bool",
                                                                                        [1, 8, 16])],
        fb.BuiltinOptions.ReducerOptions, reducer)
    _op(batch, BUILTIN.ADD_N, [act(f"n{i}", "int8") for i in range(3)], [out("add_n", "int8")])
    _op(batch, BUILTIN.CUMSUM, [act("cs_in", "int8"), const("cs_axis", [-1])], [out("cumsum", "int8")],
        fb.BuiltinOptions.CumsumOptions, fb.CumsumOptionsT())
    for code, name in ((BUILTIN.FLOOR_DIV, "floor_div"), (BUILTIN.FLOOR_MOD, "floor_mod")):
        _op(batch, code, [act(f"{name}_1", "float32"), act(f"{name}_2", "float32")], [out(name, "float32")])
    return b.build()


def test_profile_model_bit_exact():
    """The README's profiled model is bit-exact too (its random DYNAMIC_UPDATE_SLICE starts are clamped)."""
    report = check_model(read_model(profile_model(), where="gaps.tflite", name="gaps"), runs=3)
    aot_op_cases.assert_exact(report)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_bytes(profile_model())
