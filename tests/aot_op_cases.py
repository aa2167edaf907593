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
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model
from tinyml_build.verification.oracle.differences import KNOWN_WHEEL_DIFFERENCES
from tinyml_build.verification.oracle.select import WHEEL, select_oracle

MIN_CASES = 200  # generated cases every aot op needs, summed over its types and seeds

# aot op -> the test module generating its cases (that module's GENERATED_CASES[op] counts them).
# A new op is one line here (and its suite); test_aot_op_coverage.py checks every supported op.
GENERATED_SUITES = {
    "ABS": "test_aot_ops_arith",
    "ADD": "test_aot_ops_gen_binary",
    "ARG_MAX": "test_aot_ops_select",
    "ARG_MIN": "test_aot_ops_select",
    "BATCH_TO_SPACE_ND": "test_aot_ops_space",
    "CAST": "test_aot_ops_compare",
    "CONCATENATION": "test_aot_ops_gen_shape",
    "DEPTH_TO_SPACE": "test_aot_ops_space",
    "DEQUANTIZE": "test_aot_ops_gen_unary",
    "EQUAL": "test_aot_ops_compare",
    "EXPAND_DIMS": "test_aot_ops_gen_shape",
    "GATHER": "test_aot_ops_select",
    "GREATER": "test_aot_ops_compare",
    "GREATER_EQUAL": "test_aot_ops_compare",
    "HARD_SWISH": "test_aot_ops_gen_unary",
    "LEAKY_RELU": "test_aot_ops_gen_unary",
    "LESS": "test_aot_ops_compare",
    "LESS_EQUAL": "test_aot_ops_compare",
    "LOGISTIC": "test_aot_ops_gen_unary",
    "MAXIMUM": "test_aot_ops_select",
    "MEAN": "test_aot_ops_gen_shape",
    "MINIMUM": "test_aot_ops_select",
    "MUL": "test_aot_ops_gen_binary",
    "NEG": "test_aot_ops_arith",
    "NOT_EQUAL": "test_aot_ops_compare",
    "PACK": "test_aot_ops_movement",
    "PAD": "test_aot_ops_gen_shape",
    "PADV2": "test_aot_ops_gen_shape",
    "PRELU": "test_aot_ops_arith",
    "QUANTIZE": "test_aot_ops_gen_unary",
    "REDUCE_MAX": "test_aot_ops_reduce",
    "REDUCE_MIN": "test_aot_ops_reduce",
    "RELU": "test_aot_ops_gen_unary",
    "RELU6": "test_aot_ops_gen_unary",
    "RESHAPE": "test_aot_ops_gen_shape",
    "RESIZE_NEAREST_NEIGHBOR": "test_aot_ops_space",
    "SELECT_V2": "test_aot_ops_compare",
    "SLICE": "test_aot_ops_movement",
    "SOFTMAX": "test_aot_ops_gen_unary",
    "SPACE_TO_BATCH_ND": "test_aot_ops_space",
    "SPACE_TO_DEPTH": "test_aot_ops_space",
    "SPLIT": "test_aot_ops_movement",
    "SPLIT_V": "test_aot_ops_movement",
    "SQUARED_DIFFERENCE": "test_aot_ops_arith",
    "SQUEEZE": "test_aot_ops_gen_shape",
    "STRIDED_SLICE": "test_aot_ops_gen_shape",
    "SUB": "test_aot_ops_gen_binary",
    "SUM": "test_aot_ops_reduce",
    "TANH": "test_aot_ops_gen_unary",
    "TRANSPOSE": "test_aot_ops_movement",
    "UNPACK": "test_aot_ops_movement",
}
# Ops whose generated-case suites another change of 2026-12-06 brings (convolutions, FC, pooling,
# BATCH_MATMUL); each moves into GENERATED_SUITES when it lands, and the coverage test fails
# as soon as one of them is in both.
AWAITING_SUITES = frozenset({"AVERAGE_POOL_2D", "BATCH_MATMUL", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                             "MAX_POOL_2D", "TRANSPOSE_CONV"})


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
    assert report.ok, str(report)


def lower_error(data: bytes) -> str:
    """The UnsupportedOpError text lowering the model raises (it must raise one)."""
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    return str(info.value)
