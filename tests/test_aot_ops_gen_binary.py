"""runtime=aot ADD, SUB and MUL on seeded generated models, bit-exact with the pinned TFLM.

Property-style: random broadcast shapes of ranks 1..5 (either side broadcast, lower-rank
operands, outputs large enough for int8 ADD/SUB's per-input tables now and then), log-uniform
scales per operand, random int8 zero points (int16: 0, as TFLM requires), and every fused
activation TFLM's kernels take; float32 (ops/_binary_f32.py) with special values in every run
(aot_op_cases.float_inputs: signed zeros, NaN, infinities, denormals, FLT_MAX, the activation
edges). Each generated model holds CASES independent ops.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from aot_op_models import fc_model
from test_aot_ops_select import broadcast_pair
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import load_model, read_model
from tinyml_build.model.schema import fb
from tinyml_build.verification.host_check import check_model, random_inputs, run_tflm

CASES = 50  # ops per generated model
SEEDS = 2  # generated models per (op, type)
RUNS = 6  # input vectors per model: all-min, all-max, 4 random
BUILTIN = fb.BuiltinOperator
ACTIVATIONS = [fb.ActivationFunctionType.NONE, fb.ActivationFunctionType.RELU, fb.ActivationFunctionType.RELU6,
               fb.ActivationFunctionType.RELU_N1_TO_1]
_OPS = {"ADD": (BUILTIN.ADD, fb.BuiltinOptions.AddOptions, fb.AddOptionsT),
        "SUB": (BUILTIN.SUB, fb.BuiltinOptions.SubOptions, fb.SubOptionsT),
        "MUL": (BUILTIN.MUL, fb.BuiltinOptions.MulOptions, fb.MulOptionsT)}


def _log_uniform(rng, lo, hi) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _shapes(rng):
    """(input 1, input 2, output) shapes: mostly small broadcasts, sometimes >= 1024 output elements."""
    if rng.random() < 0.1:
        big = [int(rng.integers(1, 3)), int(rng.integers(16, 40)), int(rng.integers(16, 40))]
        other = [1, 1, big[2]] if rng.random() < 0.5 else list(big)
        return (big, other, big) if rng.random() < 0.5 else (other, big, big)
    return broadcast_pair(rng)


def add_binary(op, b, rng, dtype, n):
    code, options_type, options_class = _OPS[op]
    s1, s2, out_shape = _shapes(rng)
    if dtype == "float32":
        return _add_binary_f32(b, rng, code, options_type, options_class(), n, (s1, s2, out_shape))
    base = _log_uniform(rng, 0.005, 0.5) if dtype == "int8" else _log_uniform(rng, 1e-4, 0.01)
    scales = [base * _log_uniform(rng, 0.1, 10.0) for _ in range(3)]
    if op == "MUL":
        # floor: TFLM refuses an activation bound (6 / scale) that overflows int32
        scales[2] = max(scales[0] * scales[1] * _log_uniform(rng, 1.0, 300.0), 1e-8)
    zero_points = [int(rng.integers(-128, 128)) if dtype == "int8" else 0 for _ in range(3)]
    x1 = b.tensor(f"a{n}", dtype, s1, scale=scales[0], zero_point=zero_points[0])
    x2 = b.tensor(f"b{n}", dtype, s2, scale=scales[1], zero_point=zero_points[1])
    y = b.tensor(f"y{n}", dtype, out_shape, scale=scales[2], zero_point=zero_points[2])
    options = options_class()
    options.fusedActivationFunction = int(rng.choice(ACTIVATIONS))
    b.op(b.opcode(code, version=4 if dtype == "int16" else 2), [x1, x2], [y], options_type, options)
    return [x1, x2], [y]


def _add_binary_f32(b, rng, code, options_type, options, n, shapes):
    x1, x2, y = (b.tensor(f"{name}{n}", "float32", shape) for name, shape in zip("aby", shapes))
    options.fusedActivationFunction = int(rng.choice(ACTIVATIONS))
    b.op(b.opcode(code, version=1), [x1, x2], [y], options_type, options)
    return [x1, x2], [y]


ADDERS = {op: (lambda b, rng, dtype, n, op=op: add_binary(op, b, rng, dtype, n)) for op in _OPS}
TYPES = {op: ("int8", "int16", "float32") for op in _OPS}
PARAMS = [(op, t, s) for op, types in TYPES.items() for t in types for s in range(SEEDS)]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    data = aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, CASES)
    if dtype == "float32":
        aot_op_cases.check_float_bytes(tmp_path, data, runs=RUNS)
    else:
        aot_op_cases.check_bytes(tmp_path, data, runs=RUNS)


def _mul_model(out_scale, activation) -> bytes:
    b = ModelBuilder()
    x1 = b.tensor("a", "int16", [4], scale=1e-5, zero_point=0)
    x2 = b.tensor("b", "int16", [4], scale=1e-5, zero_point=0)
    y = b.tensor("y", "int16", [4], scale=out_scale, zero_point=0)
    options = fb.MulOptionsT()
    options.fusedActivationFunction = activation
    b.op(b.opcode(BUILTIN.MUL, version=4), [x1, x2], [y], fb.BuiltinOptions.MulOptions, options)
    b.inputs, b.outputs = [x1, x2], [y]
    return b.build()


@pytest.mark.parametrize("data,op", [
    (_mul_model(1e-10, fb.ActivationFunctionType.RELU6), "MUL"),
    (_mul_model(1e-10, fb.ActivationFunctionType.RELU_N1_TO_1), "MUL"),
    # scales whose product is exact: the bias scale passes GetQuantizedConvolutionMultipler's check
    # (|input x weights - bias| / output scale <= 0.02), which TFLM makes before the activation range
    (fc_model(activation="RELU6", out_scale=1e-10, in_scale=0.5, w_scale=0.25), "FULLY_CONNECTED"),
], ids=["mul_relu6", "mul_relu_n1_to_1", "fc_relu6"])
def test_activation_bound_overflowing_int32_is_refused_like_tflm(tmp_path, data, op):
    """Regression (found by the generated MUL int16 cases): 6 / 1e-10 does not fit int32, TFLM's
    CalculateActivationRangeQuantized fails Prepare, and aot used to build the model anyway."""
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    model = load_model(path)
    with pytest.raises(Exception):  # noqa: B017 -- the pinned runner raises a TinyMLError, the wheel a RuntimeError
        run_tflm(model, random_inputs(model, 1, 0))
    message = aot_op_cases.lower_error(data)
    assert f"op #0 {op}" in message and "does not fit int32" in message, message


def test_all_ops_under_sanitizers(tmp_path):
    """Every op and type of this suite in one model, compiled with ASan/UBSan (signed overflow,
    out-of-bounds reads of the broadcast and table paths)."""
    model = aot_op_cases.all_ops_model(ADDERS, aot_op_cases.judged_types(TYPES), per_type=4)
    aot_op_cases.check_bytes(tmp_path, model, runs=RUNS, sanitize=True)


# ---- int32 ADD, SUB and MUL (issue 12 section 2: TF while-loop counters, shape arithmetic; ops/_binary_s32.py)

INT32_OPS = ("ADD", "SUB", "MUL")
INT32_CASES = 100  # ops per generated model: one model per op and seed
INT32_SEEDS = 2


def add_binary_s32(op, b, rng, n):
    code, options_type, options_class = _OPS[op]
    s1, s2, out_shape = broadcast_pair(rng)
    if len(out_shape) > (6 if op == "MUL" else 4) and s1 != s2:  # TFLM's int32 broadcast ranks (aot refuses above)
        s1 = s2 = out_shape
    x1, x2 = b.tensor(f"a{n}", "int32", s1), b.tensor(f"b{n}", "int32", s2)
    y = b.tensor(f"y{n}", "int32", out_shape)
    options = options_class()
    options.fusedActivationFunction = int(rng.choice(ACTIVATIONS))  # ADD ignores it, SUB and MUL clamp (TFLM)
    b.op(b.opcode(code, version=1), [x1, x2], [y], options_type, options)
    return [x1, x2], [y]


def int32_model(op: str, seed: int, cases: int = INT32_CASES) -> bytes:
    rng = np.random.default_rng([seed, 32, INT32_OPS.index(op)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = add_binary_s32(op, b, rng, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


def int32_inputs(model, runs: int, seed: int) -> list[list[np.ndarray]]:
    """Run 0 the int32 extremes and their neighbours (sums and differences wrap), then values small
    (activation clamps at -1, 0, 1, 6 matter) or over the whole range."""
    rng = np.random.default_rng(seed)
    edges = np.array([-(1 << 31), -(1 << 31) + 1, -7, -1, 0, 1, 5, 6, 7, (1 << 31) - 2, (1 << 31) - 1], np.int64)
    result = []
    for run in range(runs):
        arrays = []
        for index in model.main.inputs:
            shape = model.main.tensors[index].shape
            if run == 0:
                values = rng.choice(edges, size=shape)
            elif run % 2:
                values = rng.integers(-10, 11, size=shape)
            else:
                values = rng.integers(-(1 << 31), 1 << 31, size=shape)
            arrays.append(values.astype(np.int32))
        result.append(arrays)
    return result


INT32_PARAMS = [(op, "int32", seed) for op in INT32_OPS for seed in range(INT32_SEEDS)]
GENERATED_CASES = aot_op_cases.summed_counts(GENERATED_CASES, aot_op_cases.case_counts(INT32_PARAMS, INT32_CASES))


@pytest.mark.parametrize("op,dtype,seed", INT32_PARAMS)
def test_int32_cases_bit_exact(op, dtype, seed):
    model = read_model(int32_model(op, seed), where=f"{op}_int32.tflite", name=f"{op.lower()}_int32")
    report = check_model(model, inputs=int32_inputs(model, runs=6, seed=seed), sanitize=seed == 0)
    aot_op_cases.assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_int32_cases_on_cortex_m4():
    from tinyml_build.verification.target_check import check_on_cortex_m

    b = ModelBuilder()
    rng = np.random.default_rng(77)
    for n in range(40):
        xs, ys = add_binary_s32(INT32_OPS[n % len(INT32_OPS)], b, rng, n)
        b.inputs += xs
        b.outputs += ys
    model = read_model(b.build(), where="int32_m4.tflite", name="int32_m4")
    report = check_on_cortex_m(model, inputs=int32_inputs(model, runs=4, seed=77))
    aot_op_cases.assert_exact(report)
