"""The (op, type) pairs where the tflite-micro wheel and the pinned TFLM differ are exactly the table.

Generated models -- an MLPerf anomaly-detection-shaped FC stack (int8, per-tensor), an int8
BATCH_MATMUL built to meet rounding boundaries, int16 and int8 LEAKY_RELU at several alphas and
scales, RELU and ABS between scales, SUB, and a case of every op family the aot tests cover (the
committed converter models of tests/data/aot_ops, the hand-built and the generated ones) -- run
through both oracles with every op output traced. An op is blamed when its own inputs were equal
and its output was not. The found set must equal KNOWN_WHEEL_DIFFERENCES: a new difference, or
one upstream fixed, fails here, so CI without the sources knows exactly where the wheel cannot judge.
"""

import itertools

import aot_op_cases
import numpy as np
import pytest
import test_aot_ops_gaps as gaps
import test_aot_ops_gen_binary as gen_binary
import test_aot_ops_gen_shape as gen_shape
import test_aot_ops_gen_unary as gen_unary
import test_aot_ops_generated_window as generated_window
import test_aot_ops_movement as movement
import test_aot_ops_reduce as reduce
import test_aot_ops_signal as signal_ops
import test_aot_ops_space as space
import test_tflm_signal_fft as signal_fft
from aot_op_models import (
    conv_model,
    depthwise_model,
    dequantize_model,
    fc_model,
    pool_model,
    quantize_model,
    softmax_model,
)
from aot_tf_models import DATA_DIR
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.tflm.sources import missing_reason
from tinyml_build.verification import golden
from tinyml_build.verification.oracle import pinned, pinned_oracle, wheel_oracle
from tinyml_build.verification.oracle.differences import KNOWN_WHEEL_DIFFERENCES, differing_ops

RANDOM_VECTORS = 24


def anomaly_detection_fc(seed=0) -> bytes:
    """MLPerf Tiny anomaly detection's autoencoder shape: 640 -> 128 x4 -> 8 -> 128 x4 -> 640, int8
    per-tensor weights, fused RELU except the bottleneck and the output."""
    rng = np.random.default_rng(seed)
    sizes = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    b = ModelBuilder()
    scale = 0.08
    x = b.tensor("x", "int8", [1, sizes[0]], scale=scale, zero_point=int(rng.integers(-20, 21)))
    b.inputs = [x]
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w_scale = float(rng.uniform(0.002, 0.02))
        relu = k not in (4, len(sizes) - 2)
        out_scale = float(rng.uniform(0.02, 0.2))
        w = b.tensor(f"w{k}", "int8", [n_out, n_in], data=rng.integers(-127, 128, (n_out, n_in)).astype(np.int8),
                     scale=w_scale, zero_point=0)
        bias = b.tensor(f"b{k}", "int32", [n_out], data=rng.integers(-20000, 20000, n_out).astype(np.int32),
                        scale=scale * w_scale, zero_point=0)
        zero_point = -128 if relu else int(rng.integers(-9, 9))
        y = b.tensor(f"y{k}", "int8", [1, n_out], scale=out_scale, zero_point=zero_point)
        options = fb.FullyConnectedOptionsT()
        options.fusedActivationFunction = fb.ActivationFunctionType.RELU if relu else fb.ActivationFunctionType.NONE
        b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, bias], [y],
             fb.BuiltinOptions.FullyConnectedOptions, options)
        x, scale = y, out_scale
    b.outputs = [x]
    return b.build()


def fc_dense_accumulators(units=16384) -> bytes:
    """One FC whose accumulators cover 4 M consecutive integers over the 256 int8 inputs (weights 1,
    bias steps of 256): every rounding boundary of the output range is met. The input and weight
    scales are ones whose float32 product is 6e-8 off the exact one, so the two multipliers differ."""
    in_scale, w_scale = 0.05479161813855171, 0.017887767404317856
    b = ModelBuilder()
    x = b.tensor("x", "int8", [1, 1], scale=in_scale, zero_point=0)
    w = b.tensor("w", "int8", [units, 1], data=np.ones((units, 1), np.int8), scale=w_scale, zero_point=0)
    bias = b.tensor("b", "int32", [units], data=(np.arange(units) * 256 - units * 128).astype(np.int32),
                    scale=in_scale * w_scale, zero_point=0)
    y = b.tensor("y", "int8", [1, units], scale=in_scale * w_scale * units * 128 / 127, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def batch_matmul_boundaries(depth=4096, boundaries=64, around=4) -> bytes:
    """One int8 BATCH_MATMUL whose lhs is every int8 value repeated (the vectors=0 input) and whose
    constant rhs columns are built so that the accumulators are the `around` integers next to each of
    the top `boundaries` output rounding boundaries (up to 2^24, where the two multipliers -- the scales
    of fc_dense_accumulators -- move a boundary by about one accumulator step)."""
    sa, sb = 0.05479161813855171, 0.017887767404317856
    a = np.resize(np.arange(-128, 128), depth)
    positive = [k for k in np.argsort(-a, kind="stable") if a[k] > 0]
    top = 127 * int(a[positive].sum())
    columns = []
    for level in range(127 - boundaries, 127):
        centre = int((level + 0.5) * top / 127)
        for acc in range(centre - around // 2, centre + around - around // 2):
            column, rest = np.zeros(depth, np.int64), acc
            for k in positive:  # greedy: the largest lhs values first, weights up to 127
                column[k] = min(127, rest // int(a[k]))
                rest -= int(column[k] * a[k])
            columns.append(column)
    rhs = np.stack(columns, axis=1).astype(np.int8)
    b = ModelBuilder()
    x = b.tensor("a", "int8", [1, depth], scale=sa, zero_point=0)
    w = b.tensor("b", "int8", list(rhs.shape), data=rhs, scale=sb, zero_point=0)
    y = b.tensor("y", "int8", [1, rhs.shape[1]], scale=sa * sb * top / 127, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.BATCH_MATMUL), [x, w], [y], fb.BuiltinOptions.BatchMatMulOptions,
         fb.BatchMatMulOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


def leaky_relu(dtype, alpha, in_scale, out_scale, zp=0, width=64) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, [1, width], scale=in_scale, zero_point=zp)
    y = b.tensor("y", dtype, [1, width], scale=out_scale, zero_point=zp)
    options = fb.LeakyReluOptionsT()
    options.alpha = alpha
    b.op(b.opcode(fb.BuiltinOperator.LEAKY_RELU, version=2), [x], [y], fb.BuiltinOptions.LeakyReluOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def sub(dtype, scales, zps) -> bytes:
    b = ModelBuilder()
    x1 = b.tensor("x1", dtype, [1, 4, 4, 8], scale=scales[0], zero_point=zps[0])
    x2 = b.tensor("x2", dtype, [1, 4, 4, 8], scale=scales[1], zero_point=zps[1])
    y = b.tensor("y", dtype, [1, 4, 4, 8], scale=scales[2], zero_point=zps[2])
    b.op(b.opcode(fb.BuiltinOperator.SUB, version=3 if dtype == "int16" else 2), [x1, x2], [y],
         fb.BuiltinOptions.SubOptions, fb.SubOptionsT())
    b.inputs, b.outputs = [x1, x2], [y]
    return b.build()


def rescaling_unary(op, dtype, in_scale, out_scale, width=4096) -> bytes:
    """RELU or ABS from one quantization to another (TFLM rescales by input_scale / output_scale)."""
    b = ModelBuilder()
    x = b.tensor("x", dtype, [1, width], scale=in_scale, zero_point=0)
    y = b.tensor("y", dtype, [1, width], scale=out_scale, zero_point=0)
    if op == "RELU":
        b.op(b.opcode(fb.BuiltinOperator.RELU, version=2), [x], [y])
    else:
        b.op(b.opcode(fb.BuiltinOperator.ABS), [x], [y], fb.BuiltinOptions.AbsOptions, fb.AbsOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


# scale pairs whose float32 and double ratios quantize to different multipliers (from the
# generated RELU cases of test_aot_ops_gen_unary.py), and one whose ratios agree
RESCALES = ((0.00010434528667246923, 0.00027370231691747904), (0.3934510350227356, 0.14964891970157623),
               (0.001, 0.0007))


def cases():
    """(label, model bytes, random vectors) of every generated case; 0 vectors: every value of the
    input type (single-input elementwise cases)."""
    yield "anomaly_detection_fc", anomaly_detection_fc(), RANDOM_VECTORS
    yield "fc_dense_accumulators", fc_dense_accumulators(), 0
    yield "batch_matmul_boundaries", batch_matmul_boundaries(), 0
    for dtype, alpha, (in_scale, out_scale) in itertools.product(
            ("int16", "int8"), (0.01, 0.1, 0.2, 0.3, 0.7, 1.5),
            ((1 / 4096, 1 / 4096), (0.0003, 0.0001), (0.001, 0.0007), (3.05e-5, 6.1e-5),
             (0.0002877352845007084, 0.00012225031390095305))):
        if dtype == "int8":
            in_scale, out_scale = in_scale * 256, out_scale * 256
        yield (f"leaky_relu {dtype} alpha={alpha} {in_scale:g}->{out_scale:g}",
               leaky_relu(dtype, alpha, in_scale, out_scale, width=4096), 0)
    for op, dtype, (in_scale, out_scale) in itertools.product(("RELU", "ABS"), ("int16", "int8"), RESCALES):
        yield f"{op} {dtype} {in_scale:g}->{out_scale:g}", rescaling_unary(op, dtype, in_scale, out_scale), 0
    for k, (scales, zps) in enumerate([((0.05, 0.05, 0.1), (3, -7, 2)), ((0.02, 0.07, 0.04), (-128, 10, -5)),
                                       ((0.5, 0.003, 0.3), (0, 0, 0))]):
        yield f"sub int8 #{k}", sub("int8", scales, zps), RANDOM_VECTORS
        yield f"sub int16 #{k}", sub("int16", [s / 256 for s in scales], (0, 0, 0)), RANDOM_VECTORS
    # the int16 variants of FULLY_CONNECTED, DEPTHWISE_CONV_2D, pooling and SOFTMAX: generated cases, and the
    # 16x8 boundary probes (where the per-tensor FC multiplier's float32 / double difference shows)
    for op in ("FULLY_CONNECTED", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        yield f"{op} int16", generated_window.generated(op, "int16", seed=0, cases=12), RANDOM_VECTORS
        if op in ("FULLY_CONNECTED", "DEPTHWISE_CONV_2D"):
            yield f"{op} int16 boundaries", generated_window.dense_model(op, "int16"), RANDOM_VECTORS
    yield "softmax int16", aot_op_cases.random_model(gen_unary.ADDERS, gen_unary.TYPES, "SOFTMAX", "int16->int16",
                                                     seed=0, cases=12), RANDOM_VECTORS
    yield "softmax int8", softmax_model(), RANDOM_VECTORS
    yield "softmax int16 out", softmax_model(out_dtype="int16"), RANDOM_VECTORS
    yield "quantize", quantize_model(), RANDOM_VECTORS
    yield "dequantize", dequantize_model(), RANDOM_VECTORS
    yield "conv", conv_model(), RANDOM_VECTORS
    yield "depthwise", depthwise_model(), RANDOM_VECTORS
    yield "fc per-channel", fc_model(per_channel=True, features=32, units=16), RANDOM_VECTORS
    yield "average pool", pool_model(), RANDOM_VECTORS
    yield "max pool", pool_model(kind="MAX_POOL_2D"), RANDOM_VECTORS
    for adders, types in ((movement.ADDERS, movement.TYPES), (space.ADDERS, space.TYPES),
                          (reduce.ADDERS, reduce.TYPES)):
        for op in adders:
            for dtype in types[op]:
                yield f"{op} {dtype}", aot_op_cases.random_model(adders, types, op, dtype, seed=0,
                                                                                 cases=6), RANDOM_VECTORS
    # float32 ADD/SUB/MUL, the float32 activations and SOFTMAX, MEAN (issue 12 section 2): the generated suites'
    for suite, ops in ((gen_binary, gen_binary.TYPES), (gen_unary, gen_unary.FLOAT_OPS), (gen_shape, ("MEAN",))):
        for op in ops:
            yield f"{op} float32", aot_op_cases.random_model(suite.ADDERS, suite.TYPES, op, "float32", seed=0,
                                                             cases=6), RANDOM_VECTORS
    # opsShape: the shape, data-movement, logical and integer ops (test_aot_ops_gaps.py), but those whose
    # random inputs TFLM's Eval rejects (run-time indices of GATHER_ND / EMBEDDING_LOOKUP, FLOOR_DIV's zeros)
    for op in gaps.ADDERS:
        if op not in ("GATHER_ND", "EMBEDDING_LOOKUP", "FLOOR_DIV"):
            yield op, gaps.random_batch(op, seed=0, cases=12).b.build(), RANDOM_VECTORS
    # the TFLM Signal library ops (custom ops; the wheel registers them too)
    for op in signal_ops.ADDERS:
        yield op, aot_op_cases.random_model(signal_ops.ADDERS, signal_ops.TYPES, op, signal_ops.TYPES[op][0], seed=0,
                                            cases=12), RANDOM_VECTORS
    yield "signal front end", signal_ops.front_end_model(), RANDOM_VECTORS
    if missing_reason(["SignalRfft"], "reference") is None:  # the pinned oracle has the FFTs with kissfft only
        yield "signal ffts", signal_fft.fft_model(), RANDOM_VECTORS
    for path in sorted(DATA_DIR.glob("*.tflite")):
        yield path.name, path.read_bytes(), RANDOM_VECTORS


def _inputs(model, vectors):
    specs = golden.tensor_specs(model, model.main.inputs)
    if vectors == 0:  # every value of the one input's type (repeated to fill the last row)
        (spec,) = specs
        info = np.iinfo(spec.dtype)
        every = np.arange(info.min, info.max + 1)
        rows = -(-every.size // int(np.prod(spec.shape)))
        values = np.resize(every, rows * int(np.prod(spec.shape))).astype(spec.dtype).reshape(-1, *spec.shape)
        return [[row] for row in values]
    feeds = [arrays for _, arrays in golden.edge_vectors(model, specs)]
    for k in range(vectors):
        rng = np.random.default_rng([99, k])
        feeds.append([golden.random_input(spec, rng) for spec in specs])
    return feeds


@pytest.fixture(scope="module")
def found():
    why = missing_reason(["FULLY_CONNECTED"], "reference")
    if why is not None:
        pytest.skip(f"pinned TFLM sources not resolved: {why}")
    if pinned.find_compilers() is None:
        pytest.skip("g++/gcc not on PATH")
    ours, theirs = pinned_oracle(), wheel_oracle()
    result = {}
    for label, data, vectors in cases():
        model = read_model(data, where=label, name="m")
        feeds = _inputs(model, vectors)
        for key in differing_ops(model, ours.run(model, feeds, intermediates=True),
                                 theirs.run(model, feeds, intermediates=True)):
            result.setdefault(key, []).append(label)
    return result


def test_the_wheel_differs_from_the_pinned_tflm_exactly_where_the_table_says(found):
    table = {(d.op, d.dtype) for d in KNOWN_WHEEL_DIFFERENCES}
    assert set(found) == table, f"found {found}"


def test_every_table_entry_names_its_cause():
    for d in KNOWN_WHEEL_DIFFERENCES:
        assert d.cause and d.upstream and d.op and d.dtype
