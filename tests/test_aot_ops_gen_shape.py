"""runtime=aot MEAN, CONCATENATION, PAD, PADV2, STRIDED_SLICE, RESHAPE, SQUEEZE and EXPAND_DIMS on
seeded generated models, bit-exact with the pinned TFLM.

Property-style: random ranks and shapes (size-1 dimensions included), axes (negative and repeated
ones), keep_dims both ways and random int8/int16 requantization for MEAN (float32 MEAN also over
[1, 2] of 4-D inputs with keep_dims, TFLM's special case, and with aot_op_cases.float_inputs'
special values), 1..5 inputs on any axis
for CONCATENATION, random paddings and constant values, strided boxes with negative strides,
out-of-range ends, begin/end masks and shrink masks. RESHAPE/SQUEEZE/EXPAND_DIMS run after a
RELU6 so that their (aliased) input is an intermediate, as in real models. Each generated model
holds CASES independent ops.
"""

import aot_op_cases
import numpy as np
import pytest

from tinyml_build.model.schema import fb

CASES = 50  # ops per generated model
SEEDS = 2  # generated models per (op, type)
RUNS = 4  # input vectors per model: all-min, all-max, 2 random
BUILTIN = fb.BuiltinOperator
OPTIONS = fb.BuiltinOptions
QUANT = {"int8": (0.05, -4), "int16": (0.001, 0)}


def _log_uniform(rng, lo, hi) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _shape(rng, min_rank=1, max_rank=4, max_dim=5):
    return [int(v) for v in rng.integers(1, max_dim + 1, int(rng.integers(min_rank, max_rank + 1)))]


def _tensor(b, name, dtype, shape, quant=None):
    scale, zero_point = quant if quant is not None else QUANT.get(dtype, (None, None))
    return b.tensor(name, dtype, shape, scale=scale, zero_point=zero_point)


def _const(b, name, values, shape=None):
    values = np.array(values, np.int32)
    return b.tensor(name, "int32", list(values.shape) if shape is None else shape, data=values)


def _random_quant(rng, dtype):
    if dtype == "int8":
        return _log_uniform(rng, 0.005, 0.5), int(rng.integers(-128, 128))
    return _log_uniform(rng, 1e-4, 0.01), 0


def add_mean(b, rng, dtype, n):
    shape = _shape(rng, max_dim=6)
    rank = len(shape)
    axes = [int(a) for a in rng.integers(-rank, rank, int(rng.integers(1, rank + 2)))]
    keep_dims = bool(rng.random() < 0.5)
    if dtype == "float32" and rng.random() < 0.25:  # TFLM's 4-D mean over H and W (its own loop)
        shape, axes, keep_dims = _shape(rng, min_rank=4, max_dim=6), [[1, 2], [2, 1]][int(rng.integers(0, 2))], True
        rank = 4
    reduced = {a % rank for a in axes}
    out_shape = [1 if d in reduced else s for d, s in enumerate(shape) if keep_dims or d not in reduced]
    if dtype == "float32":
        in_q = out_q = (None, None)
    else:
        in_q = _random_quant(rng, dtype)
        out_q = in_q if rng.random() < 0.3 else (in_q[0] * _log_uniform(rng, 0.2, 5.0), _random_quant(rng, dtype)[1])
    x = _tensor(b, f"x{n}", dtype, shape, in_q)
    y = _tensor(b, f"y{n}", dtype, out_shape, out_q)
    options = fb.ReducerOptionsT()
    options.keepDims = keep_dims
    b.op(b.opcode(BUILTIN.MEAN, version=2), [x, _const(b, f"axis{n}", axes)], [y], OPTIONS.ReducerOptions, options)
    return [x], [y]


def add_concatenation(b, rng, dtype, n):
    shape = _shape(rng)
    axis = int(rng.integers(-len(shape), len(shape)))
    quant = QUANT.get(dtype) if dtype != "int16" else _random_quant(rng, dtype)
    xs = []
    for i in range(int(rng.integers(1, 6))):
        part = list(shape)
        part[axis] = int(rng.integers(1, 5))
        # int16: TFLM ignores the scales (zero points must be 0); int8 ones must be equal
        xs.append(_tensor(b, f"x{n}_{i}", dtype, part, _random_quant(rng, dtype) if dtype == "int16" else quant))
    out = list(shape)
    out[axis] = sum(b.tensors[x].shape[axis] for x in xs)
    y = _tensor(b, f"y{n}", dtype, out, quant)
    options = fb.ConcatenationOptionsT()
    options.axis = axis
    b.op(b.opcode(BUILTIN.CONCATENATION, version=3), xs, [y], OPTIONS.ConcatenationOptions, options)
    return xs, [y]


def _add_pad(b, rng, dtype, n, with_constant):
    shape = _shape(rng, max_rank=5, max_dim=4)
    pads = [[int(v) for v in rng.integers(0, 4, 2)] for _ in shape]
    out = [d + p + q for d, (p, q) in zip(shape, pads)]
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, out)
    inputs = [x, _const(b, f"paddings{n}", pads, [len(shape), 2])]
    if with_constant:
        value = (np.float32(rng.uniform(-10, 10)) if dtype == "float32"
                 else rng.integers(*{"int8": (-128, 128), "int16": (-32768, 32768), "int32": (-9999, 9999)}[dtype]))
        quant = QUANT.get(dtype, (None, None))
        inputs.append(b.tensor(f"value{n}", dtype, [1] if rng.random() < 0.5 else [], data=np.array([value], dtype),
                               scale=quant[0], zero_point=quant[1]))
        b.op(b.opcode(BUILTIN.PADV2), inputs, [y], OPTIONS.PadV2Options, fb.PadV2OptionsT())
    else:
        b.op(b.opcode(BUILTIN.PAD, version=2), inputs, [y], OPTIONS.PadOptions, fb.PadOptionsT())
    return [x], [y]


def _axis_bounds(rng, dim):
    """(begin, end, stride, begin masked, end masked) of one strided-slice axis, ends sometimes out of range."""
    stride = int(rng.choice([1, 1, 2, 3, -1, -2]))
    begin = int(rng.integers(-dim - 1, dim + 2))
    end = int(rng.integers(-dim - 2, dim + 3))
    return begin, end, stride, bool(rng.random() < 0.2), bool(rng.random() < 0.2)


def add_strided_slice(b, rng, dtype, n):
    """A random box; its output shape is Python's slice of range(dim), which follows the same
    clamping rules as TFLM's StartForAxis/StopForAxis (and for shrunk axes, index begin)."""
    for _ in range(100):
        shape = _shape(rng, max_rank=4, max_dim=6)
        begins, ends, strides, begin_mask, end_mask, shrink, out = [], [], [], 0, 0, 0, []
        for d, dim in enumerate(shape):
            begin, end, stride, masked_begin, masked_end = _axis_bounds(rng, dim)
            if rng.random() < 0.15:  # shrink: one index, in range, axis removed
                begin, stride, masked_begin, masked_end = int(rng.integers(-dim, dim)), 1, False, False
                end, shrink = begin + 1, shrink | (1 << d)
            begin_mask |= masked_begin << d
            end_mask |= masked_end << d
            begins.append(begin), ends.append(end), strides.append(stride)
            if not shrink & (1 << d):
                size = len(range(dim)[slice(None if masked_begin else begin, None if masked_end else end, stride)])
                out.append(size)
        if all(out):
            break
    x = _tensor(b, f"x{n}", dtype, shape)
    y = _tensor(b, f"y{n}", dtype, out)
    options = fb.StridedSliceOptionsT()
    options.beginMask, options.endMask, options.shrinkAxisMask = begin_mask, end_mask, shrink
    b.op(b.opcode(BUILTIN.STRIDED_SLICE, version=4),
         [x, _const(b, f"begin{n}", begins), _const(b, f"end{n}", ends), _const(b, f"strides{n}", strides)], [y],
         OPTIONS.StridedSliceOptions, options)
    return [x], [y]


def _relu6_first(b, n, dtype, shape):
    """graph input -> RELU6 -> intermediate (the reshaping op's input)."""
    x = _tensor(b, f"x{n}", dtype, shape)
    h = _tensor(b, f"h{n}", dtype, shape)
    b.op(b.opcode(BUILTIN.RELU6, version=2), [x], [h])
    return x, h


def add_reshape(b, rng, dtype, n):
    shape = _shape(rng)
    size = int(np.prod(shape))
    out = [int(d) for d in rng.permutation(shape)] + [1] * int(rng.integers(0, 2))
    if rng.random() < 0.3:
        out = [size]
    x, h = _relu6_first(b, n, dtype, shape)
    y = _tensor(b, f"y{n}", dtype, out)
    inputs = [h, _const(b, f"shape{n}", out)] if rng.random() < 0.7 else [h]
    options = fb.ReshapeOptionsT()
    options.newShape = out
    b.op(b.opcode(BUILTIN.RESHAPE), inputs, [y], OPTIONS.ReshapeOptions, options)
    return [x], [y]


def add_squeeze(b, rng, dtype, n):
    shape = _shape(rng, max_rank=3)
    for _ in range(int(rng.integers(1, 3))):
        shape.insert(int(rng.integers(0, len(shape) + 1)), 1)
    ones = [d for d, s in enumerate(shape) if s == 1]
    chosen = rng.choice(ones, int(rng.integers(0, len(ones) + 1)), replace=False)
    dims = [int(d) - (len(shape) if rng.random() < 0.5 else 0) for d in chosen]  # negative ones too
    removed = {d % len(shape) for d in dims} if dims else set(ones)
    x, h = _relu6_first(b, n, dtype, shape)
    y = _tensor(b, f"y{n}", dtype, [s for d, s in enumerate(shape) if d not in removed])
    options = fb.SqueezeOptionsT()
    options.squeezeDims = dims
    b.op(b.opcode(BUILTIN.SQUEEZE), [h], [y], OPTIONS.SqueezeOptions, options)
    return [x], [y]


def add_expand_dims(b, rng, dtype, n):
    shape = _shape(rng)
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    out = list(shape)
    out.insert(axis % (len(shape) + 1), 1)
    x, h = _relu6_first(b, n, dtype, shape)
    y = _tensor(b, f"y{n}", dtype, out)
    b.op(b.opcode(BUILTIN.EXPAND_DIMS), [h, _const(b, f"axis{n}", [axis])], [y], OPTIONS.ExpandDimsOptions,
         fb.ExpandDimsOptionsT())
    return [x], [y]


ADDERS = {"MEAN": add_mean, "CONCATENATION": add_concatenation,
          "PAD": lambda b, rng, dtype, n: _add_pad(b, rng, dtype, n, with_constant=False),
          "PADV2": lambda b, rng, dtype, n: _add_pad(b, rng, dtype, n, with_constant=True),
          "STRIDED_SLICE": add_strided_slice, "RESHAPE": add_reshape, "SQUEEZE": add_squeeze,
          "EXPAND_DIMS": add_expand_dims}
# The types aot lowers (mean.py, concatenation.py, pad.py, strided_slice.py); the reshaping ops
# follow a RELU6 (exact in every oracle), whose quantized types they take.
TYPES = {"MEAN": ("int8", "int16", "float32"), "CONCATENATION": ("int8", "int16", "int32", "float32"),
         "PAD": ("int8", "int16", "int32", "float32"), "PADV2": ("int8", "int16", "int32", "float32"),
         "STRIDED_SLICE": ("int8", "int16", "int32", "float32"), "RESHAPE": ("int8", "int16"),
         "SQUEEZE": ("int8", "int16"), "EXPAND_DIMS": ("int8", "int16")}
MODELS = {op: max(1, -(-aot_op_cases.MIN_CASES // (CASES * len(types)))) for op, types in TYPES.items()}
PARAMS = [(op, t, s) for op, types in TYPES.items() for t in types for s in range(max(SEEDS, MODELS[op]))]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    data = aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, CASES)
    if op == "MEAN" and dtype == "float32":
        aot_op_cases.check_float_bytes(tmp_path, data, runs=RUNS)
    else:
        aot_op_cases.check_bytes(tmp_path, data, runs=RUNS)


def test_all_ops_under_sanitizers(tmp_path):
    """Every op and type of this suite in one model, compiled with ASan/UBSan (signed overflow,
    out-of-bounds reads of the broadcast and table paths)."""
    model = aot_op_cases.all_ops_model(ADDERS, aot_op_cases.judged_types(TYPES), per_type=4)
    aot_op_cases.check_bytes(tmp_path, model, runs=RUNS, sanitize=True)
