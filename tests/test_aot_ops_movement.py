"""runtime=aot TRANSPOSE, SLICE, SPLIT, SPLIT_V, PACK and UNPACK bit-exact with tflite-micro.

Property-style: seeded random ranks, shapes (size-1 dimensions included), permutations, boxes,
axes (negative ones too) and split sizes (SPLIT_V with a -1 entry), in every type TFLM's micro
kernel accepts. Compiling dominates, so each model holds CASES independent ops of one kind
(each with its own graph input and outputs) and one host check covers them all.
"""

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import load_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import random_inputs, run_tflm

CASES = 24  # ops per generated model
MODELS = 4  # generated models per (op, type) for int8, int16 and float32; 1 for the others
QUANT = {"int8": (0.05, -4), "int16": (0.001, 0)}
BUILTIN = fb.BuiltinOperator


def _tensor(b, name, dtype, shape, quant=None):
    scale, zp = quant if quant is not None else QUANT.get(dtype, (None, None))
    return b.tensor(name, dtype, shape, scale=scale, zero_point=zp)


def _const(b, name, values, dtype="int32"):
    return b.tensor(name, dtype, [len(values)], data=np.array(values, dtype))


def _shape(rng, rank, max_dim=5):
    return [int(rng.integers(1, max_dim + 1)) for _ in range(rank)]


# --- one random op of each kind, added to a builder --------------------------------------------


def add_transpose(b, rng, dtype, n):
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank)
    perm = [int(p) for p in rng.permutation(rank)]
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, [shape[p] for p in perm])
    b.op(b.opcode(BUILTIN.TRANSPOSE, version=2), [x, _const(b, f"perm{n}", perm)], [y],
         fb.BuiltinOptions.TransposeOptions, fb.TransposeOptionsT())
    return [x], [y]


def add_slice(b, rng, dtype, n):
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank, 6)
    begin = [int(rng.integers(0, d)) for d in shape]
    size = [int(rng.integers(1, d - s + 1)) for d, s in zip(shape, begin)]
    size = [-1 if rng.random() < 0.25 else s for s in size]
    out = [d - s if z == -1 else z for d, s, z in zip(shape, begin, size)]
    index_type = "int64" if rng.random() < 0.3 else "int32"
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, out)
    b.op(b.opcode(BUILTIN.SLICE, version=2), [x, _const(b, f"begin{n}", begin, index_type),
                                              _const(b, f"size{n}", size, index_type)], [y],
         fb.BuiltinOptions.SliceOptions, fb.SliceOptionsT())
    return [x], [y]


def add_split(b, rng, dtype, n):
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank, 4)
    axis = int(rng.integers(-rank, rank))
    parts = int(rng.integers(1, 4))
    shape[axis] *= parts
    x = _tensor(b, f"x{n}", dtype, shape)
    part_shape = list(shape)
    part_shape[axis] //= parts
    ys = [_tensor(b, f"y{n}_{i}", dtype, part_shape) for i in range(parts)]
    options = fb.SplitOptionsT()
    options.numSplits = parts
    b.op(b.opcode(BUILTIN.SPLIT, version=3), [_const(b, f"axis{n}", [axis]), x], ys, fb.BuiltinOptions.SplitOptions,
         options)
    return [x], ys


def add_split_v(b, rng, dtype, n):
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank, 4)
    axis = int(rng.integers(-rank, rank))
    parts = int(rng.integers(1, 5))
    sizes = [int(rng.integers(1, 4)) for _ in range(parts)]
    shape[axis] = sum(sizes)
    given = list(sizes)
    if rng.random() < 0.5:
        given[int(rng.integers(0, parts))] = -1
    x = _tensor(b, f"x{n}", dtype, shape)
    ys = []
    for i, size in enumerate(sizes):
        part_shape = list(shape)
        part_shape[axis] = size
        ys.append(_tensor(b, f"y{n}_{i}", dtype, part_shape))
    options = fb.SplitVOptionsT()
    options.numSplits = parts
    b.op(b.opcode(BUILTIN.SPLIT_V, version=2), [x, _const(b, f"sizes{n}", given), _const(b, f"axis{n}", [axis])], ys,
         fb.BuiltinOptions.SplitVOptions, options)
    return [x], ys


def add_pack(b, rng, dtype, n):
    rank = int(rng.integers(0, 5))  # inputs' rank; the output has one more
    shape = _shape(rng, rank)
    count = int(rng.integers(1, 5))
    axis = int(rng.integers(-(rank + 1), rank + 1))
    out = list(shape)
    out.insert(axis % (rank + 1), count)
    xs = [_tensor(b, f"x{n}_{i}", dtype, shape) for i in range(count)]
    y = _tensor(b, f"y{n}", dtype, out)
    options = fb.PackOptionsT()
    options.valuesCount, options.axis = count, axis
    b.op(b.opcode(BUILTIN.PACK, version=2), xs, [y], fb.BuiltinOptions.PackOptions, options)
    return xs, [y]


def add_unpack(b, rng, dtype, n):
    rank = int(rng.integers(1, 6))
    shape = _shape(rng, rank)
    axis = int(rng.integers(-rank, rank))
    count = shape[axis]
    out = list(shape)
    del out[axis]
    x = _tensor(b, f"x{n}", dtype, shape)
    ys = [_tensor(b, f"y{n}_{i}", dtype, out) for i in range(count)]
    options = fb.UnpackOptionsT()
    options.num, options.axis = count, axis
    b.op(b.opcode(BUILTIN.UNPACK, version=2), [x], ys, fb.BuiltinOptions.UnpackOptions, options)
    return [x], ys


ADDERS = {"TRANSPOSE": add_transpose, "SLICE": add_slice, "SPLIT": add_split, "SPLIT_V": add_split_v,
          "PACK": add_pack, "UNPACK": add_unpack}
# Every type TFLM's micro kernel of the op accepts (transpose.cc, slice.cc, split.cc, ...).
TYPES = {"TRANSPOSE": ("int8", "int16", "float32"), "SLICE": ("int8", "int16", "float32", "int32", "bool"),
         "SPLIT": ("int8", "int16", "float32", "int32"), "SPLIT_V": ("int8", "int16", "float32", "int32"),
         "PACK": ("int8", "int16", "float32", "int32", "int64"), "UNPACK": ("int8", "int16", "float32", "int32")}


PARAMS = [(op, t, s) for op in ADDERS for t in TYPES[op]
          for s in range(MODELS if t in ("int8", "int16", "float32") else 1)]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


def random_model(op: str, dtype: str, seed: int, cases: int = CASES) -> bytes:
    return aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, cases)


_check = aot_op_cases.check_bytes
_lower_error = aot_op_cases.lower_error


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    _check(tmp_path, random_model(op, dtype, seed))


def test_all_ops_under_sanitizers(tmp_path):
    model = aot_op_cases.all_ops_model(ADDERS, lambda op: ("int8", "int16", "float32"), per_type=4)
    _check(tmp_path, model, sanitize=True)


def test_ops_are_supported_by_aot():
    assert set(ADDERS) <= set(supported_ops())


def test_image_transposes(tmp_path):
    """What PyTorch exports put first and last: NCHW -> NHWC and back, and a 5-D shuffle."""
    b = ModelBuilder()
    for n, (dtype, shape, perm) in enumerate([("int8", [1, 3, 24, 20], [0, 2, 3, 1]),
                                              ("float32", [1, 20, 24, 3], [0, 3, 1, 2]),
                                              ("int16", [2, 3, 4, 5, 6], [4, 2, 0, 3, 1]),
                                              ("int8", [2, 3, 4], [0, 1, 2])]):
        x = _tensor(b, f"x{n}", dtype, shape)
        y = _tensor(b, f"y{n}", dtype, [shape[p] for p in perm])
        b.op(b.opcode(BUILTIN.TRANSPOSE, version=2), [x, _const(b, f"perm{n}", perm)], [y])
        b.inputs.append(x)
        b.outputs.append(y)
    _check(tmp_path, b.build(), runs=5)


def _transpose_model(in_q, out_q, out_dtype="int8") -> bytes:
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [2, 3], in_q)
    y = _tensor(b, "y", out_dtype, [3, 2], out_q)
    b.op(b.opcode(BUILTIN.TRANSPOSE, version=2), [x, _const(b, "perm", [1, 0])], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _split_model(out_q) -> bytes:
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [4, 6], (0.1, 3))
    ys = [_tensor(b, "y0", "int8", [4, 3], (0.1, 3)), _tensor(b, "y1", "int8", [4, 3], out_q)]
    options = fb.SplitOptionsT()
    options.numSplits = 2
    b.op(b.opcode(BUILTIN.SPLIT, version=3), [_const(b, "axis", [-1]), x], ys, fb.BuiltinOptions.SplitOptions, options)
    b.inputs, b.outputs = [x], ys
    return b.build()


@pytest.mark.parametrize("data", [_transpose_model((0.1, 3), (0.5, -7)), _split_model((0.02, -9))],
                         ids=["transpose", "split"])
def test_mismatched_quantization_copies_bytes_like_tflm(tmp_path, data):
    """TFLM's Prepare of these ops never looks at quantization and Eval copies bytes: a model
    whose output scale differs from its input's runs in TFLM, and aot gives the same bytes."""
    _check(tmp_path, data)


def _tflm_refuses(tmp_path, data: bytes) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    model = load_model(path)
    with pytest.raises(Exception):  # noqa: B017 -- the wheel raises a bare RuntimeError
        run_tflm(model, random_inputs(model, 1, 0))


def test_type_mismatch_is_refused_like_tflm(tmp_path):
    data = _transpose_model((0.1, 3), (0.001, 0), out_dtype="int16")
    _tflm_refuses(tmp_path, data)  # TransposePrepare: TF_LITE_ENSURE_TYPES_EQ
    message = _lower_error(data)
    assert "op #0 TRANSPOSE" in message and "int16" in message


def test_empty_tensor_is_refused_like_tflm(tmp_path):
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [2, 0, 3])
    ys = [_tensor(b, f"y{i}", "int8", [1, 0, 3]) for i in range(2)]
    options = fb.SplitOptionsT()
    options.numSplits = 2
    b.op(b.opcode(BUILTIN.SPLIT, version=3), [_const(b, "axis", [0]), x], ys, fb.BuiltinOptions.SplitOptions, options)
    b.inputs, b.outputs = [x], ys
    data = b.build()
    _tflm_refuses(tmp_path, data)  # the allocator: "has dynamic tensor"
    message = _lower_error(data)
    assert "op #0 SPLIT" in message and "no elements" in message


def _split_v_model(given, sizes) -> bytes:
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [3, sum(sizes)])
    ys = [_tensor(b, f"y{i}", "int8", [3, s]) for i, s in enumerate(sizes)]
    options = fb.SplitVOptionsT()
    options.numSplits = len(sizes)
    b.op(b.opcode(BUILTIN.SPLIT_V, version=2), [x, _const(b, "sizes", given), _const(b, "axis", [1])], ys,
         fb.BuiltinOptions.SplitVOptions, options)
    b.inputs, b.outputs = [x], ys
    return b.build()


def _transpose_perm_model(perm, out_shape) -> bytes:
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [2, 3])
    y = _tensor(b, "y", "int8", out_shape)
    b.op(b.opcode(BUILTIN.TRANSPOSE, version=2), [x, _const(b, "perm", perm)], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def _slice_dynamic_begin_model() -> bytes:
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [4, 4])
    begin = b.tensor("begin", "int32", [2])
    y = _tensor(b, "y", "int8", [2, 2])
    b.op(b.opcode(BUILTIN.SLICE, version=2), [x, begin, _const(b, "size", [2, 2])], [y])
    b.inputs, b.outputs = [x, begin], [y]
    return b.build()


@pytest.mark.parametrize("make,words", [
    (lambda: _split_v_model([2, 2], [1, 3]), ("op #0 SPLIT_V", "size_splits [2, 2]", "[1, 3]")),
    (lambda: _transpose_perm_model([0, 0], [2, 2]), ("op #0 TRANSPOSE", "not a permutation")),
    (lambda: _transpose_perm_model([1, 0], [2, 3]), ("op #0 TRANSPOSE", "not the permuted input shape")),
    (_slice_dynamic_begin_model, ("op #0 SLICE", "begin", "not constant")),
], ids=["split_v_sizes", "perm_duplicates", "perm_shape", "slice_dynamic_begin"])
def test_inconsistent_or_dynamic_models_are_clear_errors(make, words):
    message = _lower_error(make())
    assert all(w in message for w in words), message


def test_split_v_minus_one_is_resolved(tmp_path):
    _check(tmp_path, _split_v_model([1, -1, 2], [1, 4, 2]))


def test_chained_ops_and_an_unused_split_output(tmp_path):
    """NCHW input -> TRANSPOSE -> SPLIT (second part unused) / UNPACK -> PACK -> SLICE: every
    intermediate and the dangling output get their own arena place and match TFLM."""
    b = ModelBuilder()
    x = _tensor(b, "x", "int8", [1, 4, 3, 5])
    t = _tensor(b, "t", "int8", [1, 3, 5, 4])
    b.op(b.opcode(BUILTIN.TRANSPOSE, version=2), [x, _const(b, "perm", [0, 2, 3, 1])], [t])
    halves = [_tensor(b, f"h{i}", "int8", [1, 3, 5, 2]) for i in range(2)]
    options = fb.SplitOptionsT()
    options.numSplits = 2
    b.op(b.opcode(BUILTIN.SPLIT, version=3), [_const(b, "axis", [-1]), t], halves, fb.BuiltinOptions.SplitOptions,
         options)
    rows = [_tensor(b, f"r{i}", "int8", [1, 5, 2]) for i in range(3)]
    options = fb.UnpackOptionsT()
    options.num, options.axis = 3, 1
    b.op(b.opcode(BUILTIN.UNPACK, version=2), [halves[0]], rows, fb.BuiltinOptions.UnpackOptions, options)
    packed = _tensor(b, "p", "int8", [1, 5, 2, 3])
    options = fb.PackOptionsT()
    options.valuesCount, options.axis = 3, -1
    b.op(b.opcode(BUILTIN.PACK, version=2), rows[::-1], [packed], fb.BuiltinOptions.PackOptions, options)
    y = _tensor(b, "y", "int8", [1, 3, 2, 2])
    box = [_const(b, "begin", [0, 1, 0, 1]), _const(b, "size", [-1, 3, -1, 2])]
    b.op(b.opcode(BUILTIN.SLICE, version=2), [packed, *box], [y])
    b.inputs, b.outputs = [x], [y]
    _check(tmp_path, b.build(), runs=5)
    _check(tmp_path, b.build(), runs=2, sanitize=True)
