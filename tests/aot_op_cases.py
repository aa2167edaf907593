"""Helpers of the generated-case aot op tests (test_aot_ops_movement.py, test_aot_ops_space.py, ...):
many seeded cases of one op in one model, checked against the oracle in one host compile.

GENERATED_SUITES says which test module generates the cases of each aot op; each such module
exports GENERATED_CASES ({op: cases}) computed from its own parametrization, and
test_aot_op_coverage.py fails when an op of supported_ops() has no suite or fewer than MIN_CASES.
"""

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import Model, read_model
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model, compile_program, run_program, run_tflm
from tinyml_build.verification.oracle.differences import KNOWN_WHEEL_DIFFERENCES
from tinyml_build.verification.oracle.select import WHEEL, select_oracle

MIN_CASES = 200  # generated cases every aot op needs, summed over its types and seeds

# aot op -> the test module generating its cases (that module's GENERATED_CASES[op] counts them).
# A new op is one line here (and its suite); test_aot_op_coverage.py checks every supported op.
GENERATED_SUITES = {
    "ABS": "test_aot_ops_arith",
    "ADD": "test_aot_ops_gen_binary",
    "ADD_N": "test_aot_ops_gaps",
    "ARG_MAX": "test_aot_ops_select",
    "ARG_MIN": "test_aot_ops_select",
    "ASSIGN_VARIABLE": "test_aot_ops_subgraphs",
    "AVERAGE_POOL_2D": "test_aot_ops_generated_window",
    "BATCH_MATMUL": "test_aot_ops_generated_window",  # test_aot_ops_reduce adds cases of other shapes
    "BATCH_TO_SPACE_ND": "test_aot_ops_space",
    "BROADCAST_ARGS": "test_aot_ops_gaps",
    "BROADCAST_TO": "test_aot_ops_gaps",
    "CALL_ONCE": "test_aot_ops_subgraphs",
    "CAST": "test_aot_ops_compare",
    "CEIL": "test_aot_ops_math",
    "CIRCULAR_BUFFER": "test_aot_ops_circular_buffer",  # stateful, stops invokes (TML_NOT_READY; circ)
    "CONCATENATION": "test_aot_ops_gen_shape",
    "CONV_2D": "test_aot_ops_generated_window",
    "COS": "test_aot_ops_math",
    "CUMSUM": "test_aot_ops_gaps",
    "DEPTHWISE_CONV_2D": "test_aot_ops_generated_window",
    "DEPTH_TO_SPACE": "test_aot_ops_space",
    "DEQUANTIZE": "test_aot_ops_gen_unary",
    "DIV": "test_aot_ops_math",
    "DYNAMIC_UPDATE_SLICE": "test_aot_ops_gaps",
    "ELU": "test_aot_ops_math",
    "EMBEDDING_LOOKUP": "test_aot_ops_gaps",
    "EQUAL": "test_aot_ops_compare",
    "EXP": "test_aot_ops_math",
    "EXPAND_DIMS": "test_aot_ops_gen_shape",
    "FILL": "test_aot_ops_gaps",
    "FLOOR": "test_aot_ops_math",
    "FLOOR_DIV": "test_aot_ops_gaps",
    "FLOOR_MOD": "test_aot_ops_gaps",
    "FULLY_CONNECTED": "test_aot_ops_generated_window",
    "GATHER": "test_aot_ops_select",
    "GATHER_ND": "test_aot_ops_gaps",
    "GREATER": "test_aot_ops_compare",
    "GREATER_EQUAL": "test_aot_ops_compare",
    "HARD_SWISH": "test_aot_ops_gen_unary",
    "IF": "test_aot_ops_subgraphs",
    "L2_NORMALIZATION": "test_aot_ops_math",
    "L2_POOL_2D": "test_aot_ops_math",
    "LEAKY_RELU": "test_aot_ops_gen_unary",
    "LESS": "test_aot_ops_compare",
    "LESS_EQUAL": "test_aot_ops_compare",
    "LOG": "test_aot_ops_math",
    "LOGICAL_AND": "test_aot_ops_gaps",
    "LOGICAL_NOT": "test_aot_ops_gaps",
    "LOGICAL_OR": "test_aot_ops_gaps",
    "LOGISTIC": "test_aot_ops_gen_unary",
    "LOG_SOFTMAX": "test_aot_ops_math",
    "MAXIMUM": "test_aot_ops_select",
    "MAX_POOL_2D": "test_aot_ops_generated_window",
    "MEAN": "test_aot_ops_gen_shape",
    "MINIMUM": "test_aot_ops_select",
    "MIRROR_PAD": "test_aot_ops_gaps",
    "MUL": "test_aot_ops_gen_binary",
    "NEG": "test_aot_ops_arith",
    "NOT_EQUAL": "test_aot_ops_compare",
    "PACK": "test_aot_ops_movement",
    "PAD": "test_aot_ops_gen_shape",
    "PADV2": "test_aot_ops_gen_shape",
    "PRELU": "test_aot_ops_arith",
    "QUANTIZE": "test_aot_ops_gen_unary",
    "READ_VARIABLE": "test_aot_ops_subgraphs",
    "REDUCE_ALL": "test_aot_ops_gaps",
    "REDUCE_MAX": "test_aot_ops_reduce",
    "REDUCE_MIN": "test_aot_ops_reduce",
    "RELU": "test_aot_ops_gen_unary",
    "RELU6": "test_aot_ops_gen_unary",
    "RESHAPE": "test_aot_ops_gen_shape",
    "RESIZE_BILINEAR": "test_aot_ops_math",
    "RESIZE_NEAREST_NEIGHBOR": "test_aot_ops_space",
    "REVERSE_V2": "test_aot_ops_gaps",
    "ROUND": "test_aot_ops_math",
    "RSQRT": "test_aot_ops_math",
    "SELECT_V2": "test_aot_ops_compare",
    "SHAPE": "test_aot_ops_gaps",
    "SIN": "test_aot_ops_math",
    "SLICE": "test_aot_ops_movement",
    "SOFTMAX": "test_aot_ops_gen_unary",
    "SPACE_TO_BATCH_ND": "test_aot_ops_space",
    "SPACE_TO_DEPTH": "test_aot_ops_space",
    "SPLIT": "test_aot_ops_movement",
    "SPLIT_V": "test_aot_ops_movement",
    "SQRT": "test_aot_ops_math",
    "SQUARE": "test_aot_ops_math",
    "SQUARED_DIFFERENCE": "test_aot_ops_arith",
    "SQUEEZE": "test_aot_ops_gen_shape",
    "STRIDED_SLICE": "test_aot_ops_gen_shape",
    "SUB": "test_aot_ops_gen_binary",
    "SUM": "test_aot_ops_reduce",
    "SVDF": "test_aot_svdf",
    # TFLM Signal library (custom ops of the audio front end)
    "SignalEnergy": "test_aot_ops_signal",
    "SignalFftAutoScale": "test_aot_ops_signal",
    "SignalFilterBank": "test_aot_ops_signal",
    "SignalFilterBankLog": "test_aot_ops_signal",
    "SignalFilterBankSquareRoot": "test_aot_ops_signal",
    "SignalPCAN": "test_aot_ops_signal",
    "SignalWindow": "test_aot_ops_signal",
    "TANH": "test_aot_ops_gen_unary",
    # TFLM's compression, decoded at build time (LUT, prune, Huffman; decode)
    "TFLM_DECODE": "test_aot_ops_decode",
    "TRANSPOSE": "test_aot_ops_movement",
    "TRANSPOSE_CONV": "test_aot_ops_generated_window",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "test_aot_lstm",
    "UNPACK": "test_aot_ops_movement",
    "VAR_HANDLE": "test_aot_ops_subgraphs",
    "WHILE": "test_aot_ops_subgraphs",
    "ZEROS_LIKE": "test_aot_ops_gaps",
    # TFLM Signal library, stateful ops (state across invokes; sigB)
    "SignalDelay": "test_aot_ops_signal_state",
    "SignalFilterBankSpectralSubtraction": "test_aot_ops_signal_state",
    "SignalFramer": "test_aot_ops_signal_state",
    "SignalOverlapAdd": "test_aot_ops_signal_state",
    "SignalStacker": "test_aot_ops_signal_state",
    # SSD post-processing custom op (box decode + NMS; detpp)
    "TFLite_Detection_PostProcess": "test_aot_ops_detection",
    # TFLM Signal library FFT (kissfft v130 arithmetic; aotfft)
    "SignalIrfft": "test_aot_ops_signal_fft",
    "SignalRfft": "test_aot_ops_signal_fft",
}


def random_model(adders: dict, types: dict, op: str, dtype: str, seed: int, cases: int) -> bytes:
    """`cases` independent instances of `op` (adders[op](builder, rng, dtype, n) -> (inputs, outputs))."""
    rng = np.random.default_rng([seed, list(adders).index(op), list(types[op]).index(dtype)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = adders[op](b, rng, dtype, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


def all_ops_model(adders: dict, dtypes_of, per_type: int, seed: int = 7) -> bytes:
    """One model with `per_type` instances of every op in every type dtypes_of(op) lists (for the
    sanitizer runs: every kernel variant in one host compile)."""
    b = ModelBuilder()
    rng = np.random.default_rng(seed)
    n = 0
    for op, add in adders.items():
        for dtype in dtypes_of(op):
            for _ in range(per_type):
                xs, ys = add(b, rng, dtype, n)
                b.inputs += xs
                b.outputs += ys
                n += 1
    return b.build()


def case_counts(params, cases: int) -> dict[str, int]:
    """{op: generated cases} of a suite parametrized by `params` ((op, type, seed) tuples), `cases`
    op instances per generated model."""
    counts: dict[str, int] = {}
    for op, *_ in params:
        counts[op] = counts.get(op, 0) + cases
    return counts


def summed_counts(*counts: dict[str, int]) -> dict[str, int]:
    """{op: cases} over several parametrizations of one module (each counted by case_counts), for
    modules whose tests generate an op in more than one way (types with their own test, say)."""
    total: dict[str, int] = {}
    for count in counts:
        for op, cases in count.items():
            total[op] = total.get(op, 0) + cases
    return total


def skip_blind_spots(model) -> None:
    """Skip when the oracle is the wheel and `model` (a Model or a .tflite path) uses an (op, type)
    the wheel computes differently from the pinned TFLM (oracle/differences.py): the wheel cannot
    judge those, and no tolerance stands in for it."""
    oracle = select_oracle()
    if not isinstance(model, Model):
        model = read_model(model.read_bytes(), where=model.name, name=model.stem)
    blind = oracle.blind_spots(model)
    if blind:
        pytest.skip(f"{oracle.name} cannot judge " + "; ".join(d.describe() for d in blind))


def assert_exact(report) -> None:
    """Bit-exact with the oracle (a host_check or target_check report); with the wheel as the oracle, a difference
    that starts at an (op, type) its known-differences table names is a skip (the wheel cannot judge it), never a
    pass or a tolerance."""
    unjudged = report.unjudged_difference()
    if unjudged is not None:
        pytest.skip(f"the oracle ({select_oracle().name}) cannot judge {unjudged}")
    assert report.ok, str(report)


def judged_types(types: dict):
    """op -> the types of types[op] the oracle can judge (with the wheel, not its known differences),
    for models that mix many ops (all_ops_model)."""
    oracle = select_oracle()
    blind = {(d.op, d.dtype) for d in KNOWN_WHEEL_DIFFERENCES} if oracle.kind == WHEEL else set()
    return lambda op: [t for t in types[op] if (op, t) not in blind]


def check_bytes(tmp_path, data: bytes, runs: int = 3, sanitize: bool = False) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    skip_blind_spots(path)
    report = check_model(path, runs=runs, sanitize=sanitize)
    assert_exact(report)


def run_sequence(tmp_path, data: bytes, make_inputs, sanitize: bool = False):
    """Lower, compile and run `data` on the host and in the oracle over make_inputs(model) (per run,
    one array per input) in order: (model, program, (aot outputs, aot trace), (tflm outputs, tflm trace)).
    For suites of stateful ops that compare runs themselves."""
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    skip_blind_spots(path)
    model = read_model(data, where=str(path), name="m")
    program = lower_model(model)
    exe = compile_program(tmp_path, render(program), program, sanitize)
    inputs = make_inputs(model)
    return model, program, run_program(exe, tmp_path, model, inputs), run_tflm(model, inputs)


def lower_error(data: bytes) -> str:
    """The UnsupportedOpError text lowering the model raises (it must raise one)."""
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    return str(info.value)


# ---- float32 inputs of the generated suites (issue 12 section 2: float32 elementwise ops) --------

# Values where TFLM's float kernels branch or round specially: signed zeros, NaN, infinities,
# denormals, FLT_MAX, RELU6 / HARD_SWISH / fused-activation edges (0, +-1, +-3, 6), LOGISTIC's
# cutoffs (-9, 16.619047164916992) and just beyond them, where expf overflows and underflows.
FLOAT_SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 3.4028235e38, -3.4028235e38,
                           1.0, -1.0, 3.0, -3.0, 6.0, 6.0000005, -9.0, -9.000001, 16.619047164916992, 16.62,
                           88.8, -104.0, 0.5, -2.5], np.float32)


def float_inputs(model, runs: int, seed: int, finite: bool = False) -> list[list[np.ndarray]]:
    """Per run, one float32 array per graph input (every input of the model must be float32): run 0
    FLOAT_SPECIALS repeated, then uniform in +-scale (scale log-uniform in 1e-3..1e3 per input and
    run) with a tenth of the elements drawn from FLOAT_SPECIALS. `finite`: no NaN or infinities
    (for targets whose NaN sign differs from the host's, see the aot README)."""
    specials = FLOAT_SPECIALS[np.isfinite(FLOAT_SPECIALS)] if finite else FLOAT_SPECIALS
    rng = np.random.default_rng(seed)
    result = []
    for run in range(runs):
        arrays = []
        for index in model.main.inputs:
            tensor = model.main.tensors[index]
            if tensor.dtype != "float32":
                raise ValueError(f"input #{index} is {tensor.dtype}: float_inputs makes float32 inputs only")
            count = int(np.prod(tensor.shape, dtype=np.int64))
            if run == 0:
                values = np.resize(np.roll(specials, len(arrays)), count)
            else:
                scale = float(10.0 ** rng.uniform(-3, 3))
                values = rng.uniform(-scale, scale, count).astype(np.float32)
                special = rng.random(count) < 0.1
                values[special] = rng.choice(specials, int(special.sum()))
            arrays.append(values.astype(np.float32).reshape(tensor.shape))
        result.append(arrays)
    return result


def check_float_bytes(tmp_path, data: bytes, runs: int = 4, sanitize: bool = False) -> None:
    """check_bytes with float_inputs: the special values TFLM's float kernels branch on, every run."""
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    skip_blind_spots(path)
    model = read_model(data, where=str(path), name="m")
    report = check_model(path, inputs=float_inputs(model, runs, seed=0), sanitize=sanitize)
    assert_exact(report)
