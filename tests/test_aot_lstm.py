"""runtime=aot UNIDIRECTIONAL_SEQUENCE_LSTM bit-exact with the pinned TFLM, over several invocations.

Property-style: seeded random batch sizes, time steps, input and cell sizes, time-major and
batch-major layouts, cell clipping on and off, activation, weight
and state scales (cell scales off powers of two too) and zero points, for int8 activations
(8x8 -> int16 cell) and int16 activations (16x8). Each model holds CASES independent LSTMs; one
host check runs RUNS invocations, so the hidden and cell states carry from run to run. The shared
mnist_lstm model (trained_lstm_int8) is checked over 20 invocations by test_aot_models.py, on
Cortex-M4 by test_aot_cortex_m.py.
The integer gates interpolate in TFLM's sigmoid table, read from the pinned sources: without
them these tests skip.

float32: seeded random geometry, weight scales from gates that stay in sigmoid's middle to gates
past its cut-offs, cell clipping on and off, inputs from 0.01 to 100 with signed zeros, the last
run adding infinities, 1e30, 3.4e38 and denormals to some LSTMs (FC sums that overflow: TFLM
clamps them to +-FLT_MAX); plus identity probes (one unit, every gate = the input) fed the values
around TFLM's sigmoid cut-offs (16.619047, -9) and tanh's saturation. No NaN: once two NaNs of
different signs meet in one operation (a NaN gate times a NaN gate), which one comes out is the
compiler's register choice (C and C++ leave it open; TFLM's own result changes with -O), so such
bits cannot be judged; the inputs with infinities have input size 1, so no FC sum adds +inf to -inf.
Host only: on the target expf/tanhf are newlib's (aot README).
"""

import aot_op_cases
import numpy as np
import pytest
from test_aot_ops_arith import Batch
from tflite_builder import TYPE_CODES, ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.runtimes.aot.ops.unidirectional_sequence_lstm import scaled, scaled_round, tanh_input_scaling
from tinyml_build.runtimes.aot.quantization import checked_log2, mbqm
from tinyml_build.runtimes.aot.upstream_tables import sigmoid_table_uint16

CASES = 34  # LSTMs per generated model: MODELS x 2 types x CASES >= aot_op_cases.MIN_CASES
RUNS = 4
ACT = fb.ActivationFunctionType


def needs_tflm_table() -> None:
    """Skip unless the pinned TFLM sources give the sigmoid table the integer gates need."""
    try:
        sigmoid_table_uint16("test")
    except UnsupportedOpError as err:
        pytest.skip(f"TFLM sources not available for the sigmoid table: {err.what}")


def add_lstm(b, rng, dtype, n, float_inputs=False, one_rounding=False):
    """One LSTM with random geometry and quantization; dtype is the activation type (int8, int16).
    one_rounding: gate FC multipliers below 0.5 (TFLM shifts -1 and lower; about half of them in
    [0.25, 0.5), shift -1), so every requantization of an int8 LSTM takes the kernel's one-rounding
    loop (tml_lstm_scaled); otherwise they reach 2, which takes its loop with the general path."""
    time_major = bool(rng.random() < 0.4)
    batches, steps = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    input_size, cells = int(rng.integers(1, 13)), int(rng.integers(1, 11))
    act_max = 127 if dtype == "int8" else 32767
    in_scale = float(rng.uniform(0.5, 2.0) / act_max)
    in_zp = int(rng.integers(-20, 21)) if dtype == "int8" else 0
    hidden_scale = float(rng.uniform(0.6, 1.2) / act_max)
    hidden_zp = int(rng.integers(-10, 11)) if dtype == "int8" else 0
    power = int(rng.integers(-14, -9))
    cell_scale = float(2.0 ** power * (1.0 if rng.random() < 0.7 else rng.uniform(0.7, 1.4)))
    x_shape = [steps, batches, input_size] if time_major else [batches, steps, input_size]
    x = b.tensor(f"x{n}", dtype, x_shape, scale=in_scale, zero_point=in_zp)
    inputs = [x] + [-1] * 23
    for gate, (wi_n, wr_n, bias_n) in {"f": (2, 6, 13), "i": (1, 5, 12), "c": (3, 7, 14), "o": (4, 8, 15)}.items():
        # Pre-activations of a few units (Q3.12 saturates at 8): weight scales from the fan-in.
        wi_scale = float(rng.uniform(1.0, 4.0) / (in_scale * act_max * 64 * np.sqrt(input_size)))
        wr_scale = float(rng.uniform(1.0, 4.0) / (hidden_scale * act_max * 64 * np.sqrt(cells)))
        if one_rounding:  # the multipliers in_scale * w_scale / 2^-12 themselves
            wi_scale = float(rng.uniform(0.02, 0.49) / (np.float32(in_scale) * 4096))
            wr_scale = float(rng.uniform(0.02, 0.49) / (np.float32(hidden_scale) * 4096))
        inputs[wi_n] = b.tensor(f"wi{gate}{n}", "int8", [cells, input_size], scale=wi_scale, zero_point=0,
                                data=rng.integers(-127, 128, (cells, input_size)).astype(np.int8))
        inputs[wr_n] = b.tensor(f"wr{gate}{n}", "int8", [cells, cells], scale=wr_scale, zero_point=0,
                                data=rng.integers(-127, 128, (cells, cells)).astype(np.int8))
        bias_scale = float(np.float32(in_scale) * np.float32(wi_scale))
        bias_values = rng.normal(0.0, 1.5, cells) / bias_scale
        bias_type = "int32" if dtype == "int8" else "int64"
        inputs[bias_n] = b.tensor(f"b{gate}{n}", bias_type, [cells], scale=bias_scale, zero_point=0,
                                  data=np.round(bias_values).astype(bias_type))
    inputs[18] = b.tensor(f"h{n}", dtype, [batches, cells], scale=hidden_scale, zero_point=hidden_zp)
    inputs[19] = b.tensor(f"c{n}", "int16", [batches, cells], scale=cell_scale, zero_point=0)
    b.tensors[inputs[18]].isVariable = b.tensors[inputs[19]].isVariable = True
    y_shape = x_shape[:2] + [cells]
    y = b.tensor(f"y{n}", dtype, y_shape, scale=hidden_scale, zero_point=hidden_zp)
    options = fb.UnidirectionalSequenceLSTMOptionsT()
    options.fusedActivationFunction = ACT.TANH
    options.cellClip = float(rng.uniform(0.5, 6.0)) if rng.random() < 0.5 else 0.0
    options.timeMajor = time_major
    b.op(b.opcode(fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, version=1), inputs, [y],
         fb.BuiltinOptions.UnidirectionalSequenceLSTMOptions, options)
    return [x], [y]


def add_generated_lstm(b, rng, dtype, n):
    """add_lstm for the generated suites: half the LSTMs with the int8 kernel's one-rounding multipliers."""
    return add_lstm(b, rng, dtype, n, one_rounding=bool(rng.random() < 0.5))


ADDERS = {"UNIDIRECTIONAL_SEQUENCE_LSTM": add_generated_lstm}
TYPES = {"UNIDIRECTIONAL_SEQUENCE_LSTM": ("int8", "int16")}


def _model(dtype: str, seed: int = 0, cases: int = CASES) -> bytes:
    return aot_op_cases.random_model(ADDERS, TYPES, "UNIDIRECTIONAL_SEQUENCE_LSTM", dtype, seed, cases)


MODELS = 3  # generated models (seeds) per activation type
PARAMS = [("UNIDIRECTIONAL_SEQUENCE_LSTM", t, s) for t in TYPES["UNIDIRECTIONAL_SEQUENCE_LSTM"] for s in range(MODELS)]
FLOAT_CASES = 70  # float LSTMs per generated model (12 constant buffers each; TFLM takes at most 1024)
FLOAT_PROBES = 6  # identity probes per float model (counted in FLOAT_CASES)
FLOAT_MODELS = 3
FLOAT_RUNS = 4
FLOAT_PARAMS = [("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32", s) for s in range(FLOAT_MODELS)]
GENERATED_CASES = aot_op_cases.summed_counts(aot_op_cases.case_counts(PARAMS, CASES),
                                             aot_op_cases.case_counts(FLOAT_PARAMS, FLOAT_CASES))


@pytest.mark.parametrize("dtype,seed", [(t, s) for _, t, s in PARAMS])
def test_random_lstm_bit_exact_over_invocations(tmp_path, dtype, seed):
    needs_tflm_table()
    aot_op_cases.check_bytes(tmp_path, _model(dtype, seed), runs=RUNS)


def test_lstm_under_sanitizers(tmp_path):
    needs_tflm_table()
    model = aot_op_cases.all_ops_model(ADDERS, lambda op: TYPES[op], per_type=4)
    aot_op_cases.check_bytes(tmp_path, model, runs=RUNS, sanitize=True)


def test_prepare_math():
    """CheckedLog2 rounds log2 of the cell scale; lstm_internal::Tanh's scaling follows from it."""
    assert [checked_log2(2.0 ** p)[1] for p in (-15, -12, -11, 0, 3)] == [-15, -12, -11, 0, 3]
    assert checked_log2(1.4 * 2.0 ** -11)[1] == -11 and checked_log2(1.5 * 2.0 ** -11)[1] == -10
    assert tanh_input_scaling(-12) == (3, 0)  # Q3.12 gate input
    assert tanh_input_scaling(-11) == (6, 0) and tanh_input_scaling(-13) == (3, 1)


def test_one_rounding_is_tflms_two():
    """tml_lstm_scaled's single rounding equals MultiplyByQuantizedMultiplier for every shift it takes
    (-31..-1), at the int32 extremes and around the sign change, with the smallest and largest multipliers."""
    rng = np.random.default_rng(12)
    xs = [-(1 << 31), -(1 << 31) + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1, -2, -1, 0, 1, 2, (1 << 30) - 1,
          1 << 30, (1 << 31) - 1] + [int(v) for v in rng.integers(-(1 << 31), 1 << 31, 120)] + \
        [int(v) for v in rng.integers(-5000, 5000, 60)]
    multipliers = [1 << 30, (1 << 30) + 1, (1 << 31) - 1] + [int(v) for v in rng.integers(1 << 30, 1 << 31, 3)]
    for shift in range(-31, 0):
        for m in multipliers:
            for x in xs:
                assert scaled(x, m, shift) == mbqm(x, m, shift), (x, m, shift)
    assert scaled_round(0) is None and scaled_round(-32) is None  # the kernel's other loop takes these


def test_generated_models_take_both_int8_loops():
    """The generated suites run both tml_lstm_s8 loops: one rounding (usual_shifts) and shift tests."""
    needs_tflm_table()  # int8 LSTMs interpolate in TFLM's sigmoid table too
    program = lower_model(read_model(_model("int8", 0), where="lstm.tflite", name="lstm"))
    flags = [dict(s.fields)["usual_shifts"] for s in program.structs if s.ctype == "tml_lstm_params"]
    assert flags.count("1") >= 10 and flags.count("0") >= 10, flags


def test_refused_variants_name_the_reason():
    b = ModelBuilder()
    xs, ys = add_lstm(b, np.random.default_rng(0), "int8", 0)
    b.operators[0].inputs[9] = b.tensor("peephole", "int8", [1], data=np.ones(1, np.int8), scale=0.1, zero_point=0)
    b.inputs, b.outputs = xs, ys
    assert "peephole, projection and layer-norm" in aot_op_cases.lower_error(b.build())


def test_sigmoid_table_is_tflms():
    """The parsed table is sigmoid(i / 24) in 0.16 (within 2 of it), increasing, 32768 at 0."""
    needs_tflm_table()
    table = sigmoid_table_uint16("test")
    ideal = 65536 / (1 + np.exp(-np.arange(256) / 24))
    assert table[0] == 32768 and all(a <= b for a, b in zip(table, table[1:]))
    assert np.max(np.abs(np.array(table) - np.minimum(ideal, 65535))) <= 2


def test_without_tflm_sources_the_lstm_is_refused_with_the_ways_to_get_them(tmp_path, monkeypatch):
    from tinyml_build.third_party.lock import load_lock

    dep = load_lock().get("tflite-micro")
    monkeypatch.setenv(dep.env_var, str(tmp_path / "no-such-tree"))
    try:
        message = aot_op_cases.lower_error(_model("int8", cases=1))
    finally:
        assert "op #0 UNIDIRECTIONAL_SEQUENCE_LSTM" in message and "sigmoid" in message
    assert dep.env_var in message


# float32 ---------------------------------------------------------------------------------------
SIGMOID_UPPER = np.float32(16.619047164916992188)  # reference Logistic's cut-offs (float)
SIGMOID_LOWER = np.float32(-9.0)
SPECIAL = np.array([np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0, 3.4e38, -3.4e38, 1e-40, -1e-40], np.float32)
PROBE_VALUES = np.array([SIGMOID_UPPER, np.nextafter(SIGMOID_UPPER, np.float32(0)),
                         np.nextafter(SIGMOID_UPPER, np.float32(99)), SIGMOID_LOWER,
                         np.nextafter(SIGMOID_LOWER, np.float32(0)), np.nextafter(SIGMOID_LOWER, np.float32(-99)),
                         -88.0, -104.0, 9.0, 0.0, -0.0, 1e-40, 0.5, -0.5, 20.0, -20.0], np.float32)


def float_inputs(shape, scale, specials):
    """Runs before the last: uniform in +-scale with signed zeros; the last run adds SPECIAL values
    when `specials` (after an infinity a state may stay saturated, so only then and only in some LSTMs)."""

    def gen(rng, run):
        v = rng.uniform(-scale, scale, shape).astype(np.float32)
        kind = rng.random(shape)
        v[kind < 0.05] = 0.0
        v[(kind >= 0.05) & (kind < 0.1)] = -0.0
        if specials and run == FLOAT_RUNS - 1:
            pick = kind > 0.8
            v[pick] = rng.choice(SPECIAL, int(pick.sum()))
        return v

    return gen


def probe_inputs(shape):
    """PROBE_VALUES in turn (each run starts further along), the rest random in +-20."""

    def gen(rng, run):
        count = int(np.prod(shape))
        v = rng.uniform(-20, 20, count).astype(np.float32)
        take = min(count, len(PROBE_VALUES))
        v[:take] = np.roll(PROBE_VALUES, -run * take)[:take]
        return v.reshape(shape)

    return gen


def add_lstm_f32(batch: Batch, n: int, probe: bool) -> None:
    """One float32 LSTM on `batch`: random geometry and weights, or an identity probe (one unit,
    input size 1, every gate's input weight 1 and recurrent weight 0, so each gate sees x itself)."""
    rng, b = batch.rng, batch.b
    time_major = bool(rng.random() < 0.4)
    specials = not probe and rng.random() < 0.3
    if probe:
        batches, steps, input_size, cells = int(rng.integers(1, 3)), 8, 1, 1
    else:
        batches, steps = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        input_size, cells = 1 if specials else int(rng.integers(1, 13)), int(rng.integers(1, 11))
    x_shape = [steps, batches, input_size] if time_major else [batches, steps, input_size]
    scale = float(10.0 ** rng.uniform(-2, 2))
    gen = probe_inputs(x_shape) if probe else float_inputs(x_shape, scale, specials)
    x = batch.input("float32", x_shape, gen=gen)
    inputs = [x] + [-1] * 23
    # Pre-activations around 1 up to far past the cut-offs: weight scale from the fan-in, times 0.1..30.
    gain = float(10.0 ** rng.uniform(-1, 1.5)) / scale
    for gate, (wi_n, wr_n, bias_n) in {"f": (2, 6, 13), "i": (1, 5, 12), "c": (3, 7, 14), "o": (4, 8, 15)}.items():
        if probe:
            wi, wr, bias = np.ones((1, 1)), np.zeros((1, 1)), np.zeros(1)
        else:
            wi = rng.normal(0, gain / np.sqrt(input_size), (cells, input_size))
            wr = rng.normal(0, float(10.0 ** rng.uniform(-1, 0.7)) / np.sqrt(cells), (cells, cells))
            bias = rng.normal(0, 1.0, cells)
        inputs[wi_n] = b.tensor(f"wi{gate}{n}", "float32", [cells, input_size], data=wi.astype(np.float32))
        inputs[wr_n] = b.tensor(f"wr{gate}{n}", "float32", [cells, cells], data=wr.astype(np.float32))
        inputs[bias_n] = b.tensor(f"b{gate}{n}", "float32", [cells], data=bias.astype(np.float32))
    inputs[18] = b.tensor(f"h{n}", "float32", [batches, cells])
    inputs[19] = b.tensor(f"c{n}", "float32", [batches, cells])
    b.tensors[inputs[18]].isVariable = b.tensors[inputs[19]].isVariable = True
    y = batch.output("float32", x_shape[:2] + [cells])
    options = fb.UnidirectionalSequenceLSTMOptionsT()
    options.fusedActivationFunction = ACT.TANH
    options.cellClip = float(10.0 ** rng.uniform(-0.5, 1.5)) if rng.random() < 0.5 else 0.0
    options.timeMajor = time_major
    batch.op(fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [y],
             fb.BuiltinOptions.UnidirectionalSequenceLSTMOptions, options)


def _float_batch(seed: int, cases: int = FLOAT_CASES, probes: int = FLOAT_PROBES) -> Batch:
    batch = Batch([30, seed])
    for n in range(cases):
        add_lstm_f32(batch, n, probe=n < probes)
    return batch


@pytest.mark.parametrize("seed", range(FLOAT_MODELS))
def test_random_float_lstm_bit_exact_over_invocations(seed):
    """The first model also runs under ASan/UBSan. Needs no TFLM table: float gates call expf/tanhf."""
    batch = _float_batch(seed)
    assert batch.cases == FLOAT_CASES
    batch.check(runs=FLOAT_RUNS, sanitize=seed == 0)


def test_float_lstm_refuses_mixed_types():
    """Float activations with an int16 cell state: TFLM would take its integer path on float data."""
    batch = _float_batch(0, cases=1, probes=0)
    b = batch.b
    b.tensors[b.operators[0].inputs[19]].type = TYPE_CODES["int16"]
    assert "cell state" in aot_op_cases.lower_error(b.build())
