"""runtime=aot SVDF bit-exact with the pinned TFLM, over several invocations (the state carries).

Property-style: seeded random batches, input sizes, ranks, units, memory sizes, scales, zero
points and fused activations, for int8 input with int16 state (TFLM's usual), int8 state
(keyword_scrambled's) and float32. Each model holds CASES independent
SVDF ops; one host check runs RUNS invocations, so the state written by every run is read by
the next and a state that did not persist (or started from the wrong reset value) diverges.
keyword_scrambled_8bit (three int8-state SVDF layers) is checked over 20 invocations by
test_aot_models.py, on Cortex-M4 by test_aot_cortex_m.py.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import random_inputs, run_tflm

CASES = 36  # SVDF ops per generated model
RUNS = 6  # invocations per check: the state shifts through up to this many memory columns
STATE_TYPES = {"int16": (np.int16, 32767, 1024), "int8": (np.int8, 127, 127)}  # dtype, state max, time weights max
ACTIVATIONS = [fb.ActivationFunctionType.NONE, fb.ActivationFunctionType.RELU, fb.ActivationFunctionType.RELU6,
               fb.ActivationFunctionType.RELU_N1_TO_1]
# TFLM's float SVDF applies every activation the schema names (ActivationValFloat); the integer one none.
FLOAT_ACTIVATIONS = ACTIVATIONS + [fb.ActivationFunctionType.TANH, fb.ActivationFunctionType.SIGN_BIT]


def _svdf_op(b, n, x, wf, wt, bias, state, y, rank, activation):
    options = fb.SVDFOptionsT()
    options.rank, options.fusedActivationFunction = rank, activation
    b.tensors[state].isVariable = True
    b.op(b.opcode(fb.BuiltinOperator.SVDF, version=3), [x, wf, wt, bias, state], [y], fb.BuiltinOptions.SVDFOptions,
         options)


def _dims(rng):
    batches, input_size = int(rng.integers(1, 4)), int(rng.integers(1, 25))
    rank, units, memory = int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(1, 11))
    return batches, input_size, rank, units, memory


def add_quantized(b, rng, state_dtype, n):
    """int8 input, int8 feature weights, `state_dtype` state and time weights, int32 bias."""
    np_type, state_max, time_max = STATE_TYPES[state_dtype]
    batches, input_size, rank, units, memory = _dims(rng)
    filters = units * rank
    in_scale, wf_scale = float(rng.uniform(0.005, 0.05)), float(rng.uniform(0.002, 0.02))
    # a quarter of the zero points at the int8 extremes: the kernel's zero-point offsets (up to 128)
    # must still fit the int16 SIMD lanes they are added in
    in_zp = int(rng.choice([-128, 127])) if rng.random() < 0.25 else int(rng.integers(-20, 21))
    # State scale: the feature dot (~ 100 * 100 * sqrt(n) in input x weight units) lands around a
    # quarter of the state range, sometimes saturating (factor up to 4).
    dot = 1e4 * np.sqrt(input_size) * in_scale * wf_scale
    state_scale = float(dot / (state_max / 4) * np.exp(rng.uniform(-1.5, 1.4)))
    state_zp = 0 if state_dtype == "int16" else int(rng.choice([-128, 127]) if rng.random() < 0.25
                                                     else rng.integers(-30, 31))
    wt_scale = float(rng.uniform(0.001, 0.01))
    acc = (state_max / 4) * (time_max / 2) * np.sqrt(rank * memory) * state_scale * wt_scale
    out_scale = float(acc / 40 * np.exp(rng.uniform(-1.0, 1.0)))
    bias_scale = float(np.float32(state_scale) * np.float32(wt_scale))
    x = b.tensor(f"x{n}", "int8", [batches, input_size], scale=in_scale, zero_point=in_zp)
    wf = b.tensor(f"wf{n}", "int8", [filters, input_size], scale=wf_scale, zero_point=0,
                  data=rng.integers(-127, 128, (filters, input_size)).astype(np.int8))
    wt = b.tensor(f"wt{n}", state_dtype, [filters, memory], scale=wt_scale, zero_point=0,
                  data=rng.integers(-time_max, time_max + 1, (filters, memory)).astype(np_type))
    bias = b.tensor(f"bias{n}", "int32", [units], scale=bias_scale, zero_point=0,
                    data=rng.integers(-int(acc) - 1, int(acc) + 2, units).astype(np.int32))
    state = b.tensor(f"state{n}", state_dtype, [batches, memory * filters], scale=state_scale, zero_point=state_zp)
    y = b.tensor(f"y{n}", "int8", [batches, units], scale=out_scale, zero_point=int(rng.integers(-10, 11)))
    _svdf_op(b, n, x, wf, wt, bias, state, y, rank, ACTIVATIONS[int(rng.integers(0, len(ACTIVATIONS)))])
    return [x], [y]


def add_float(b, rng, dtype, n):
    batches, input_size, rank, units, memory = _dims(rng)
    filters = units * rank

    def const(name, shape):
        return b.tensor(name, "float32", shape, data=rng.standard_normal(shape).astype(np.float32))

    x = b.tensor(f"x{n}", "float32", [batches, input_size])
    wf, wt = const(f"wf{n}", [filters, input_size]), const(f"wt{n}", [filters, memory])
    bias = const(f"bias{n}", [units])
    state = b.tensor(f"state{n}", "float32", [batches, memory * filters])
    y = b.tensor(f"y{n}", "float32", [batches, units])
    _svdf_op(b, n, x, wf, wt, bias, state, y, rank, FLOAT_ACTIVATIONS[int(rng.integers(0, len(FLOAT_ACTIVATIONS)))])
    return [x], [y]


def add_large_multipliers(b, rng, state_dtype, n):
    """int8 input, `state_dtype` state: effective scales 0.3-3 (QuantizeMultiplier shifts of -1 and
    up: the kernel's general requantization, not its fast form) on sparse {-1, 0, 1} weights, so the
    sums saturate only sometimes; filters >= 4 and memory sizes of whole words (the Arm kernel's
    four-row feature pass and word-wise int8 rows) with input tails and several ranks and batches."""
    np_type = STATE_TYPES[state_dtype][0]
    batches, input_size, rank = int(rng.integers(1, 4)), int(rng.integers(1, 25)), int(rng.integers(1, 4))
    units = int(rng.integers(-(-4 // rank), 7))
    memory = int(rng.choice([1, 4, 8, 12, 5]))
    filters = units * rank
    in_scale, wf_scale, wt_scale = 0.05, 0.01, 0.02
    state_scale = in_scale * wf_scale / float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
    out_scale = state_scale * wt_scale / float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
    state_zp = 0 if state_dtype == "int16" else int(rng.integers(-30, 31))

    def sparse(shape):
        return (rng.integers(-1, 2, shape) * (rng.random(shape) < 0.25)).astype(np.int8)

    x = b.tensor(f"x{n}", "int8", [batches, input_size], scale=in_scale, zero_point=int(rng.integers(-20, 21)))
    wf = b.tensor(f"wf{n}", "int8", [filters, input_size], scale=wf_scale, zero_point=0,
                  data=sparse((filters, input_size)))
    wt = b.tensor(f"wt{n}", state_dtype, [filters, memory], scale=wt_scale, zero_point=0,
                  data=sparse((filters, memory)).astype(np_type))
    bias = b.tensor(f"bias{n}", "int32", [units], scale=float(np.float32(state_scale) * np.float32(wt_scale)),
                    zero_point=0, data=rng.integers(-60, 61, units).astype(np.int32))
    state = b.tensor(f"state{n}", state_dtype, [batches, memory * filters], scale=state_scale, zero_point=state_zp)
    y = b.tensor(f"y{n}", "int8", [batches, units], scale=out_scale, zero_point=int(rng.integers(-10, 11)))
    _svdf_op(b, n, x, wf, wt, bias, state, y, rank, fb.ActivationFunctionType.NONE)
    return [x], [y]


ADDERS = {"SVDF": lambda b, rng, dtype, n: (add_float if dtype == "float32" else add_quantized)(b, rng, dtype, n)}
LARGE_ADDERS = {"SVDF": add_large_multipliers}
LARGE_CASES = 24  # SVDFs with large multipliers per state type
TYPES = {"SVDF": ("int16", "int8", "float32")}  # state types


def _model(state_dtype: str, seed: int = 0, cases: int = CASES) -> bytes:
    return aot_op_cases.random_model(ADDERS, TYPES, "SVDF", state_dtype, seed, cases)


MODELS = 2  # generated models (seeds) per state type
PARAMS = [("SVDF", t, s) for t in TYPES["SVDF"] for s in range(MODELS)]
SPECIAL_CASES = 36  # float SVDFs of test_float_activations_on_nan_and_infinities
LARGE_PARAMS = [("SVDF", t, 0) for t in ("int16", "int8")]
GENERATED_CASES = aot_op_cases.summed_counts(aot_op_cases.case_counts(PARAMS, CASES),
                                             aot_op_cases.case_counts([("SVDF", "float32", 0)], SPECIAL_CASES),
                                             aot_op_cases.case_counts(LARGE_PARAMS, LARGE_CASES))


@pytest.mark.parametrize("state_dtype,seed", [(t, s) for _, t, s in PARAMS])
def test_random_svdf_bit_exact_over_invocations(tmp_path, state_dtype, seed):
    aot_op_cases.check_bytes(tmp_path, _model(state_dtype, seed), runs=RUNS)


def test_svdf_under_sanitizers(tmp_path):
    aot_op_cases.check_bytes(tmp_path, aot_op_cases.all_ops_model(ADDERS, lambda op: TYPES[op], per_type=4),
                             runs=RUNS, sanitize=True)


def test_state_carries_between_invocations_in_the_oracle_too(tmp_path):
    """The same input twice gives different outputs: the oracle keeps the state between runs (so the
    bit-exact checks above compare histories), and init() resets it as TFLM's allocation does."""
    model = read_model(_model("int16", seed=2, cases=4), where="svdf.tflite", name="svdf")
    first = random_inputs(model, 1, seed=3)[0]
    outputs, _ = run_tflm(model, [first, first])
    assert any(outputs[0][i].tobytes() != outputs[1][i].tobytes() for i in range(len(first)))
    program = lower_model(model)
    assert [v.fill for v in program.variables] == [0] * 4


def test_int8_state_resets_to_its_zero_point():
    model = read_model(_model("int8", seed=0, cases=3), where="svdf.tflite", name="svdf")
    states = [t for t in model.main.tensors if t.is_variable]
    assert [v.fill for v in lower_model(model).variables] == [t.quantization.zero_point[0] & 0xFF for t in states]


def test_bias_is_required_as_the_pinned_tflm_requires_it():
    """TFLM's PrepareSvdf reads the bias' scale (int8) and its float path aborts without one (TFLM #1751)."""
    for adder, dtype in ((add_quantized, "int16"), (add_float, "float32")):
        b = ModelBuilder()
        xs, ys = adder(b, np.random.default_rng(0), dtype, 0)
        b.operators[0].inputs[3] = -1
        b.inputs, b.outputs = xs, ys
        assert "bias tensor is missing" in aot_op_cases.lower_error(b.build())


@pytest.mark.parametrize("state_dtype", ["int16", "int8"])
def test_quantized_svdf_carries_only_its_weights(state_dtype):
    """The zero points are subtracted in the kernel's dot products: no per-filter tables in flash
    (they cost 8 B a filter, more than the 2 % test_aot_memory.py allows on keyword_scrambled)."""
    model = read_model(_model(state_dtype, seed=4, cases=6), where="svdf.tflite", name="svdf")
    program = lower_model(model)
    weights = sum(t.nbytes for t in model.main.tensors if t.is_constant)
    assert program.model_bytes <= weights, "\n".join(f"{a.nbytes} {a.comment}" for a in program.arrays)


def special_float_inputs(shape, kind):
    """Random in +-8 with exact zeros; from run 1 on, "nan" SVDFs get positive NaNs and "inf" ones
    one infinity per batch row (so a feature sum never adds +inf to -inf; the time sums may, which
    makes x86's default NaN). Each SVDF sees one kind of NaN only: which of two different NaNs an
    operation returns is the compiler's choice (C and C++ leave it open), so they are not mixed."""

    def gen(rng, run):
        v = rng.uniform(-8, 8, shape).astype(np.float32)
        v[rng.random(shape) < 0.1] = 0.0
        if run >= 1 and kind == "nan":
            v[rng.random(shape) < 0.2] = np.nan
        if run >= 1 and kind == "inf":
            for row in v:
                if rng.random() < 0.5:
                    row[int(rng.integers(0, row.size))] = rng.choice([np.inf, -np.inf])
        return v

    return gen


def special_float_batch(activations=FLOAT_ACTIVATIONS, cases: int = SPECIAL_CASES):
    """`cases` float SVDFs, each activation over plain, NaN and infinite inputs in turn."""
    from test_aot_ops_arith import Batch

    batch = Batch([40])
    rng = batch.rng
    for n in range(cases):
        kind = ("plain", "nan", "inf")[n % 3]
        activation = activations[(n // 3) % len(activations)]
        batches, input_size, rank, units, memory = _dims(rng)
        filters = units * rank
        x = batch.input("float32", [batches, input_size], gen=special_float_inputs([batches, input_size], kind))

        def const(name, shape):
            return batch.b.tensor(name, "float32", shape, data=rng.standard_normal(shape).astype(np.float32))

        wf, wt = const(f"wf{n}", [filters, input_size]), const(f"wt{n}", [filters, memory])
        bias = const(f"bias{n}", [units])
        state = batch.b.tensor(f"state{n}", "float32", [batches, memory * filters])
        y = batch.output("float32", [batches, units])
        _svdf_op(batch.b, n, x, wf, wt, bias, state, y, rank, activation)
        batch.cases += 1
    return batch


def test_float_activations_on_nan_and_infinities():
    """ActivationValFloat is not a clamp: RELU/RELU6/RELU_N1_TO_1 of NaN are 0/6/1 (fmax/fmin), NONE
    keeps infinities, TANH and SIGN_BIT map them."""
    batch = special_float_batch()
    assert batch.cases == SPECIAL_CASES
    batch.check(runs=RUNS)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_int8_state_on_cortex_m4_over_invocations():
    """The int8 state's row shift by words (Arm only; memmove on the host) must carry every column:
    enough invocations (INVOCATIONS > memory) that each run's new values reach the first word of a
    row, with memory sizes of whole words (the word path), longer rows and a tail."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(_model("int8", seed=4, cases=8), where="svdf.tflite", name="svdf")
    memories = {model.main.tensors[op.inputs[2]].shape[1] for op in model.main.operators}
    assert {4, 8} <= memories and any(m % 4 for m in memories)
    report = check_on_cortex_m(model, runs=12)
    aot_op_cases.assert_exact(report)


def _large_model(state_dtype: str) -> bytes:
    return aot_op_cases.random_model(LARGE_ADDERS, TYPES, "SVDF", state_dtype, 0, LARGE_CASES)


@pytest.mark.parametrize("state_dtype", ["int16", "int8"])
def test_large_multipliers_bit_exact(tmp_path, state_dtype):
    """Effective scales >= 0.25 (every shift > -2) take the general requantization on every path."""
    data = _large_model(state_dtype)
    model = read_model(data, where="svdf.tflite", name="svdf")
    program = lower_model(model)
    shifts = [int(value) for struct in program.structs if struct.ctype == "tml_svdf_s8_params"
              for field, value in struct.fields if field in ("shift1", "shift2")]
    assert shifts and min(shifts) > -2
    aot_op_cases.check_bytes(tmp_path, data, runs=RUNS)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_large_multipliers_on_cortex_m4():
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(_large_model("int8"), where="svdf.tflite", name="svdf")
    report = check_on_cortex_m(model, runs=RUNS)
    aot_op_cases.assert_exact(report)


def test_feature_layout_is_the_weights_bytes_in_four_row_groups():
    """The kernel's pass reads, per group of four rows, each input quad of rows 0..3, then the rows'
    tails; rows past the last whole group stay row-major. Same bytes, nothing added."""
    from tinyml_build.runtimes.aot.ops.svdf import FEATURE_GROUP
    from tinyml_build.runtimes.aot.ops.svdf import interleaved_rows as feature_layout

    assert FEATURE_GROUP == 4  # kernels/svdf.c TML_SVDF_GROUP

    w = np.arange(6 * 5, dtype=np.int64).reshape(6, 5).astype(np.int8)  # 6 filters, input 5: 1 quad + tail 1
    expected = [*w[0, :4], *w[1, :4], *w[2, :4], *w[3, :4], w[0, 4], w[1, 4], w[2, 4], w[3, 4], *w[4], *w[5]]
    assert feature_layout(w).tolist() == [int(v) for v in expected]
    rng = np.random.default_rng(0)
    for filters, input_size in ((1, 1), (4, 3), (5, 8), (9, 13), (12, 4)):
        weights = rng.integers(-128, 128, (filters, input_size)).astype(np.int8)
        assert sorted(feature_layout(weights).tolist()) == sorted(weights.reshape(-1).tolist())
