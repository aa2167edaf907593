"""runtime=aot MAXIMUM/MINIMUM, ARG_MAX/ARG_MIN and GATHER bit-exact with tflite-micro.

Property-style: seeded random shapes, broadcasts, axes and indices, many independent ops per
generated model (one host compile checks a batch of cases), inputs chosen per case (small value
ranges for ties, extremes, float NaN where TFLM's expressions define the result).
"""

import numpy as np
import pytest
from aot_op_cases import assert_exact, skip_blind_spots
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model

QUANT = {"int8": dict(scale=0.05, zero_point=-3), "int16": dict(scale=0.001, zero_point=0)}


class Batch:
    """Many single-op cases in one model; each graph input has its own value generator."""

    def __init__(self, seed: int):
        self.b = ModelBuilder()
        self.rng = np.random.default_rng(seed)
        self.generators = []  # per graph input: fn(rng, run) -> array
        self.cases = 0

    def input(self, name, dtype, shape, generator, quantized=True):
        q = QUANT.get(dtype, {}) if quantized else {}
        t = self.b.tensor(name, dtype, shape, **q)
        self.b.inputs.append(t)
        self.generators.append(generator)
        return t

    def output(self, name, dtype, shape, quantized=True):
        q = QUANT.get(dtype, {}) if quantized else {}
        t = self.b.tensor(name, dtype, shape, **q)
        self.b.outputs.append(t)
        return t

    def model(self, name="m"):
        return read_model(self.b.build(), where=f"{name}.tflite", name=name)

    def inputs(self, runs: int):
        return [[gen(self.rng, run) for gen in self.generators] for run in range(runs)]

    def check(self, runs=6, sanitize=False):
        model = self.model()
        skip_blind_spots(model)
        report = check_model(model, runs=runs, inputs=self.inputs(runs), sanitize=sanitize)
        assert_exact(report)


def values(dtype, shape, narrow=False, nan=False):
    """Generator: run 0 all minimum, run 1 all maximum, then random (narrow: few distinct values)."""

    def gen(rng, run):
        if dtype == "float32":
            lo, hi = -8.0, 8.0
            if run < 2:
                return np.full(shape, lo if run == 0 else hi, np.float32)
            v = (rng.integers(-3, 4, size=shape).astype(np.float32) * 0.5 if narrow
                 else rng.uniform(lo, hi, size=shape).astype(np.float32))
            if nan:
                v[rng.random(shape) < 0.25] = np.nan
            return v
        info = np.iinfo(dtype)
        lo, hi = (int(info.min), int(info.max)) if info.bits <= 16 else (-(1 << 20), 1 << 20)
        if run < 2:
            return np.full(shape, lo if run == 0 else hi, dtype)
        if narrow:
            choices = np.array([lo, lo + 1, -1, 0, 1, hi - 1, hi])
            return choices[rng.integers(0, len(choices), size=shape)].astype(dtype)
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)

    return gen


def random_shape(rng, rank, low=1, high=5):
    return [int(v) for v in rng.integers(low, high, rank)]


# --- MAXIMUM / MINIMUM -------------------------------------------------------------------------


def broadcast_pair(rng):
    rank = int(rng.integers(1, 6))
    dims = random_shape(rng, rank)
    s1 = [d if rng.random() < 0.6 else 1 for d in dims]
    s2 = [d if rng.random() < 0.6 else 1 for d in dims]
    s1 = s1[int(rng.integers(0, rank)):] if rng.random() < 0.3 else s1
    out = np.broadcast_shapes(tuple(s1), tuple(s2))
    return s1, s2, list(out)


MAXMIN_TYPES = ["int8", "int16", "int32", "float32"]
MAXMIN_SEEDS = 6
MAXMIN_CASES = 34  # ops per generated model, MAXIMUM and MINIMUM alternating


@pytest.mark.parametrize("dtype", MAXMIN_TYPES)
@pytest.mark.parametrize("seed", range(MAXMIN_SEEDS))
def test_maximum_minimum_random_broadcasts(dtype, seed):
    batch = Batch(seed)
    for case in range(MAXMIN_CASES):
        op = fb.BuiltinOperator.MAXIMUM if case % 2 == 0 else fb.BuiltinOperator.MINIMUM
        s1, s2, out = broadcast_pair(batch.rng)
        narrow = case % 4 < 2
        nan = dtype == "float32" and case % 3 == 0
        x1 = batch.input(f"a{case}", dtype, s1, values(dtype, s1, narrow, nan))
        x2 = batch.input(f"b{case}", dtype, s2, values(dtype, s2, narrow, nan))
        y = batch.output(f"y{case}", dtype, out)
        batch.b.op(batch.b.opcode(op, version=2), [x1, x2], [y], fb.BuiltinOptions.MaximumMinimumOptions,
                   fb.MaximumMinimumOptionsT())
    batch.check(runs=6)


def test_maximum_minimum_raw_values_with_different_scales_and_constants():
    """TFLM compares stored values without requantizing, whatever the tensors' scales; one input
    may be a constant (e.g. a clamp bound)."""
    batch = Batch(7)
    b = batch.b
    for case, (dtype, op) in enumerate([(d, o) for d in ("int8", "int16") for o in
                                        (fb.BuiltinOperator.MAXIMUM, fb.BuiltinOperator.MINIMUM)]):
        x1 = b.tensor(f"a{case}", dtype, (2, 3, 4), scale=0.02, zero_point=5 if dtype == "int8" else 0)
        b.inputs.append(x1)
        batch.generators.append(values(dtype, (2, 3, 4)))
        bound = np.array([-7, 0, 9, 100], dtype)
        x2 = b.tensor(f"c{case}", dtype, (4,), data=bound, scale=0.3, zero_point=-1 if dtype == "int8" else 0)
        y = b.tensor(f"y{case}", dtype, (2, 3, 4), scale=0.7, zero_point=2 if dtype == "int8" else 0)
        b.outputs.append(y)
        b.op(b.opcode(op, version=2), [x2, x1] if case % 2 else [x1, x2], [y],
             fb.BuiltinOptions.MaximumMinimumOptions, fb.MaximumMinimumOptionsT())
    batch.check(runs=5)


def refused(b: ModelBuilder, fix="runtime=tflm") -> str:
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(b.build(), where="m.tflite", name="m"))
    assert fix in str(info.value)
    return str(info.value)


def test_maximum_of_mixed_types_is_refused():
    b = ModelBuilder()
    x1 = b.tensor("a", "int8", (4,), **QUANT["int8"])
    x2 = b.tensor("b", "int16", (4,), **QUANT["int16"])
    y = b.tensor("y", "int8", (4,), **QUANT["int8"])
    b.op(b.opcode(fb.BuiltinOperator.MAXIMUM), [x1, x2], [y], fb.BuiltinOptions.MaximumMinimumOptions,
         fb.MaximumMinimumOptionsT())
    b.inputs, b.outputs = [x1, x2], [y]
    assert "input 2" in refused(b)


# --- ARG_MAX / ARG_MIN -------------------------------------------------------------------------

_ARG = {"ARG_MAX": (fb.BuiltinOperator.ARG_MAX, fb.BuiltinOptions.ArgMaxOptions, fb.ArgMaxOptionsT),
        "ARG_MIN": (fb.BuiltinOperator.ARG_MIN, fb.BuiltinOptions.ArgMinOptions, fb.ArgMinOptionsT)}


def add_arg(b: ModelBuilder, op: str, x: int, axis: int, out_shape, name: str, out_dtype="int32",
            axis_dtype="int32") -> int:
    code, options_type, options_class = _ARG[op]
    a = b.tensor(f"{name}_axis", axis_dtype, (1,), data=np.array([axis], axis_dtype))
    y = b.tensor(name, out_dtype, out_shape)
    options = options_class()
    options.outputType = fb.TensorType.INT64 if out_dtype == "int64" else fb.TensorType.INT32
    b.op(b.opcode(code, version=2), [x, a], [y], options_type, options)
    return y


ARG_TYPES = ["int8", "float32"]
ARG_SEEDS = 8
ARG_CASES = 26  # ops per generated model, ARG_MAX and ARG_MIN alternating


@pytest.mark.parametrize("dtype", ARG_TYPES)
@pytest.mark.parametrize("seed", range(ARG_SEEDS))
def test_arg_max_min_random_axes_with_ties(dtype, seed):
    batch = Batch(100 + seed)
    for case in range(ARG_CASES):
        op = "ARG_MAX" if case % 2 == 0 else "ARG_MIN"
        rank = int(batch.rng.integers(1, 6))
        shape = random_shape(batch.rng, rank, 1, 7)
        axis = int(batch.rng.integers(-rank, rank))
        out_shape = shape[:axis % rank] + shape[axis % rank + 1:]
        narrow = case % 4 < 3  # mostly few distinct values: ties decide the index
        nan = dtype == "float32" and case % 3 == 0
        x = batch.input(f"x{case}", dtype, shape, values(dtype, shape, narrow, nan))
        batch.b.outputs.append(add_arg(batch.b, op, x, axis, out_shape, f"y{case}"))
    batch.check(runs=8)


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("dtype, out_dtype, axis_dtype, what", [
    ("int16", "int32", "int32", "input"), ("int8", "int64", "int32", "output"), ("int8", "int32", "int64", "axis")])
def test_arg_types_tflm_lacks_are_refused(op, dtype, out_dtype, axis_dtype, what):
    """The pinned TFLM's Eval fails on these (only float32/int8 in, int32 axis and output)."""
    b = ModelBuilder()
    x = b.tensor("x", dtype, (2, 5), **QUANT.get(dtype, {}))
    y = add_arg(b, op, x, 1, (2,), "y", out_dtype, axis_dtype)
    b.inputs, b.outputs = [x], [y]
    assert what in refused(b)


def test_arg_max_with_axis_from_a_model_input_is_refused():
    b = ModelBuilder()
    x = b.tensor("x", "int8", (2, 5), **QUANT["int8"])
    a = b.tensor("axis", "int32", (1,))
    y = b.tensor("y", "int32", (2,))
    b.op(b.opcode(fb.BuiltinOperator.ARG_MAX, version=2), [x, a], [y], fb.BuiltinOptions.ArgMaxOptions,
         fb.ArgMaxOptionsT())
    b.inputs, b.outputs = [x, a], [y]
    assert "constant axis" in refused(b)


# --- GATHER --------------------------------------------------------------------------------------


def add_gather(b: ModelBuilder, x: int, idx: int, out_dtype, out_shape, axis, batch_dims, name) -> int:
    y = b.tensor(name, out_dtype, out_shape, **QUANT.get(out_dtype, {}))
    options = fb.GatherOptionsT()
    options.axis, options.batchDims = axis, batch_dims
    b.op(b.opcode(fb.BuiltinOperator.GATHER, version=1), [x, idx], [y], fb.BuiltinOptions.GatherOptions, options)
    return y


def index_values(shape, axis_size):
    return lambda rng, run: rng.integers(0, axis_size, size=shape).astype(np.int32)


def gather_case(rng):
    """(params shape, indices shape, axis, batch_dims, output shape), axis/batch_dims maybe negative."""
    rank = int(rng.integers(1, 5))
    shape = random_shape(rng, rank, 1, 6)
    axis = int(rng.integers(0, rank))
    batch_dims = int(rng.integers(0, axis + 1)) if rng.random() < 0.5 else 0
    index_shape = shape[:batch_dims] + random_shape(rng, int(rng.integers(0, 3)), 1, 5)
    out = shape[:axis] + index_shape[batch_dims:] + shape[axis + 1:]
    axis_opt = axis - rank if rng.random() < 0.4 else axis
    negative = batch_dims - len(index_shape)
    batch_opt = negative if negative < 0 and rng.random() < 0.4 else batch_dims
    return shape, index_shape, axis_opt, batch_opt, axis, out


GATHER_TYPES = ["int8", "float32"]
GATHER_SEEDS = 8
GATHER_CASES = 16


@pytest.mark.parametrize("dtype", GATHER_TYPES)
@pytest.mark.parametrize("seed", range(GATHER_SEEDS))
def test_gather_random_axes_batch_dims_and_indices(dtype, seed):
    batch = Batch(200 + seed)
    b = batch.b
    for case in range(GATHER_CASES):
        shape, index_shape, axis_opt, batch_opt, axis, out = gather_case(batch.rng)
        const_params = case % 4 == 3  # an embedding table in flash
        if const_params:
            data = (batch.rng.integers(-128, 128, size=shape).astype(np.int8) if dtype == "int8"
                    else batch.rng.standard_normal(shape).astype(np.float32))
            x = b.tensor(f"x{case}", dtype, shape, data=data, **QUANT.get(dtype, {}))
        else:
            x = batch.input(f"x{case}", dtype, shape, values(dtype, shape))
        if case % 2 == 0:  # indices computed at run time (a model input here)
            idx = batch.input(f"i{case}", "int32", index_shape, index_values(index_shape, shape[axis]))
        else:
            data = batch.rng.integers(0, shape[axis], size=index_shape).astype(np.int32)
            idx = b.tensor(f"i{case}", "int32", index_shape, data=data)
        b.outputs.append(add_gather(b, x, idx, dtype, out, axis_opt, batch_opt, f"y{case}"))
    batch.check(runs=6)


def gather_model(indices=None, index_dtype="int32", dtype="int8"):
    b = ModelBuilder()
    x = b.tensor("x", dtype, (3, 4), **QUANT.get(dtype, {}))
    idx = (b.tensor("i", index_dtype, (2,)) if indices is None
           else b.tensor("i", index_dtype, (len(indices),), data=np.array(indices, index_dtype)))
    y = add_gather(b, x, idx, dtype, (3, 2), 1, 0, "y")
    b.inputs, b.outputs = [x] + ([idx] if indices is None else []), [y]
    return b


def test_gather_constant_index_out_of_range_is_refused():
    """TFLM only asserts in debug builds (a release build reads outside params): a model error."""
    assert "constant index 4 is outside [0, 4)" in refused(gather_model([1, 4]), fix="model's indices")
    assert "constant index -1" in refused(gather_model([-1, 0]), fix="model's indices")


@pytest.mark.parametrize("index_dtype, dtype, what", [("int64", "int8", "indices"), ("int32", "int16", "params")])
def test_gather_types_tflm_lacks_are_refused(index_dtype, dtype, what):
    """The pinned TFLM's Prepare fails on these (params float32/int8, indices int32 only)."""
    assert what in refused(gather_model([0, 1], index_dtype, dtype))


@pytest.mark.parametrize("bad", [4, -1, 1 << 30])
def test_gather_run_time_index_out_of_range_fails_invoke(bad):
    from tinyml_build.verification.host_check import HostRunError

    model = read_model(gather_model().build(), where="g.tflite", name="g")
    x = np.arange(12, dtype=np.int8).reshape(3, 4)
    assert check_model(model, inputs=[[x, np.array([3, 0], np.int32)]]).ok
    with pytest.raises(HostRunError) as info:
        check_model(model, inputs=[[x, np.array([0, bad], np.int32)]])
    assert "invoke failed" in str(info.value)


def test_all_five_ops_under_sanitizers():
    """One model with every op of this file, compiled with ASan/UBSan."""
    batch = Batch(300)
    b = batch.b
    for case, dtype in enumerate(["int8", "int16", "int32", "float32"]):
        x1 = batch.input(f"a{case}", dtype, (2, 1, 5), values(dtype, (2, 1, 5), narrow=True))
        x2 = batch.input(f"b{case}", dtype, (3, 1), values(dtype, (3, 1), narrow=True))
        for op in (fb.BuiltinOperator.MAXIMUM, fb.BuiltinOperator.MINIMUM):
            y = batch.output(f"y{case}_{op}", dtype, (2, 3, 5))
            b.op(b.opcode(op, version=2), [x1, x2], [y], fb.BuiltinOptions.MaximumMinimumOptions,
                 fb.MaximumMinimumOptionsT())
    for case, dtype in enumerate(["int8", "float32"]):
        x = batch.input(f"x{case}", dtype, (3, 4, 5), values(dtype, (3, 4, 5), narrow=True))
        b.outputs.append(add_arg(b, "ARG_MAX", x, -1, (3, 4), f"amax{case}"))
        b.outputs.append(add_arg(b, "ARG_MIN", x, 1, (3, 5), f"amin{case}"))
        idx = batch.input(f"i{case}", "int32", (3, 2), index_values((3, 2), 4))
        b.outputs.append(add_gather(b, x, idx, dtype, (3, 2, 5), 1, 1, f"g{case}"))
    batch.check(runs=4, sanitize=True)


# op -> generated cases (models x ops per model), for aot_op_cases.GENERATED_SUITES
_MAXMIN_MODELS = len(MAXMIN_TYPES) * MAXMIN_SEEDS
_ARG_MODELS = len(ARG_TYPES) * ARG_SEEDS
GENERATED_CASES = {"MAXIMUM": _MAXMIN_MODELS * len(range(0, MAXMIN_CASES, 2)),
                   "MINIMUM": _MAXMIN_MODELS * len(range(1, MAXMIN_CASES, 2)),
                   "ARG_MAX": _ARG_MODELS * len(range(0, ARG_CASES, 2)),
                   "ARG_MIN": _ARG_MODELS * len(range(1, ARG_CASES, 2)),
                   "GATHER": len(GATHER_TYPES) * GATHER_SEEDS * GATHER_CASES}
