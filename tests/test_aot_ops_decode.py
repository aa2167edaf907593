"""runtime=aot TFLM_DECODE (TFLM's compression) decoded at build time, bit-exact with the pinned TFLM.

Seeded models route the weights, biases or constant operands of FULLY_CONNECTED (int8 and 16x8),
CONV_2D (per-channel, first axis), DEPTHWISE_CONV_2D (per-channel, last axis: TFLM's alternate
axis) and ADD (float32, int16) through DECODE ops, encoded by the suite's own LUT (bit widths 1..7,
per-tensor and per-channel tables, strides other than 2**bits), prune (per-channel int8 zero
points) and Huffman (16- and 32-bit tables, sub-tables) encoders (tests/tflm_compression.py); some
decoded tensors are graph outputs (bool, int32, int64 too), which aot copies from flash. Each
model is one host compile; the oracle's own DECODE outputs are also compared with the build-time
decoder byte for byte. Malformed ancillary data are one ModelError each, never a crash.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder
from tflm_compression import channel_of_each, dcm, decode_op, huffman_encode, lut_encode, prune_encode

from tinyml_build.errors import ModelError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.model.tflm_decode import decode
from tinyml_build.runtimes.aot.decode_fold import decode_pairs, fold_decodes
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model, random_inputs, run_tflm
from tinyml_build.verification.oracle.select import PINNED, select_oracle

CASES = 42  # decoded consumers per generated model
METHODS = ("lut", "prune", "huffman")
SEEDS = (0, 1)
PARAMS = [("TFLM_DECODE", method, seed) for method in METHODS for seed in SEEDS]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)
BUILTIN = fb.BuiltinOperator
INT_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-50000, 50000), "int64": (-(1 << 34), 1 << 34)}


def _values(rng, method, dtype, shape, channels=1, last_axis=False, zero_points=(0,)):
    """Values `method` can encode: at most 128 distinct values per channel (LUT), some elements at their
    zero point (prune), a skewed distribution (Huffman)."""
    count = int(np.prod(shape))
    channel = channel_of_each(count, channels, last_axis)
    if dtype == "bool":
        return rng.random(count).reshape(shape) < 0.5
    if dtype == "float32":
        pool = rng.normal(0, 2, (channels, 128)).astype(np.float32)
    else:
        low, high = INT_RANGE[dtype]
        pool = rng.integers(low, high + 1, (channels, 128)).astype(dtype)
    if method == "lut":
        distinct = int(rng.integers(1, 129))
        return pool[channel, rng.integers(0, distinct, count)].reshape(shape)
    if method == "prune":
        values = pool[channel, rng.integers(0, 128, count)]
        pruned = rng.random(count) < rng.uniform(0.1, 0.9)
        zp = np.asarray(zero_points)[channel % len(zero_points)] if len(zero_points) > 1 else zero_points[0]
        values[pruned] = (zp if np.ndim(zp) == 0 else zp[pruned]) if dtype != "float32" else 0.0
        return values.reshape(shape)
    spread = int(rng.integers(1, 300))
    low, high = INT_RANGE[dtype]
    return np.clip(np.round(rng.laplace(0, spread, count)), low, high).astype(dtype).reshape(shape)


def _encode(rng, method, values, channels=1, last_axis=False, zero_points=(0,)):
    if method == "lut":
        per_channel_distinct = max(np.unique(_channel_rows(values, channels, last_axis)[c]).size
                                   for c in range(channels))
        bit_width = max(1, int(np.ceil(np.log2(max(per_channel_distinct, 2)))))
        bit_width = min(7, bit_width + int(rng.integers(0, 2)))  # sometimes wider than needed
        stride = (1 << bit_width) + int(rng.integers(0, 3)) if rng.random() < 0.3 else None
        if per_channel_distinct > 1 << bit_width:
            raise AssertionError("generator made a table too large")
        return lut_encode(values, bit_width, channels, last_axis, stride, rng)
    if method == "prune":
        return prune_encode(values, zero_points, channels, last_axis)
    wide = values.dtype != np.int8 or rng.random() < 0.4
    sign_extend = bool(rng.random() < 0.5)
    for initial_bits in range(int(rng.integers(1, 9)), 16):
        try:
            return huffman_encode(values, initial_bits, wide, rng, sign_extend)
        except ValueError:  # a sub-table too far for a 16-bit entry: a larger first table
            continue
    raise AssertionError("no Huffman table fits")


def _channel_rows(values, channels, last_axis):
    flat = values.reshape(-1)
    channel = channel_of_each(flat.size, channels, last_axis)
    return [flat[channel == c] for c in range(channels)]


def _pair(rng, method, name, dtype, shape, quant, channels=1, last_axis=False, zero_points=(0,)):
    method = "lut" if method == "huffman" and dtype not in ("int8", "int16") else method
    values = _values(rng, method, dtype, shape, channels, last_axis, zero_points)
    encoded, ancillary = _encode(rng, method, values, channels, last_axis, zero_points)
    return (name, dtype, list(shape), quant, encoded, ancillary)


def _fully_connected(b, rng, method, n):
    features, units = int(rng.integers(1, 24)), int(rng.integers(1, 9))
    x = b.tensor(f"x{n}", "int8", [1, features], scale=0.05, zero_point=int(rng.integers(-5, 6)))
    w_scale = float(rng.uniform(0.002, 0.04))
    weights = _pair(rng, method, f"w{n}", "int8", (units, features), {"scale": [w_scale], "zero_point": [0]})
    bias = _pair(rng, method, f"b{n}", "int32", (units,), {"scale": [0.05 * w_scale], "zero_point": [0]})
    w, bias_index = decode_op(b, [weights, bias]) if rng.random() < 0.5 else \
        (decode_op(b, [weights])[0], decode_op(b, [bias])[0])
    y = b.tensor(f"y{n}", "int8", [1, units], scale=float(rng.uniform(0.05, 0.5)), zero_point=int(rng.integers(-4, 5)))
    b.op(b.opcode(BUILTIN.FULLY_CONNECTED, version=4), [x, w, bias_index], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    return [x], [y]


def _fully_connected_16x8(b, rng, method, n):
    features, units = int(rng.integers(1, 20)), int(rng.integers(1, 8))
    x = b.tensor(f"x{n}", "int16", [1, features], scale=0.001, zero_point=0)
    w_scale = float(rng.uniform(0.002, 0.04))
    (w,) = decode_op(b, [_pair(rng, method, f"w{n}", "int8", (units, features),
                               {"scale": [w_scale], "zero_point": [0]})])
    (bias,) = decode_op(b, [_pair(rng, "prune" if method == "prune" else "lut", f"b{n}", "int64", (units,),
                                  {"scale": [0.001 * w_scale], "zero_point": [0]})])
    y = b.tensor(f"y{n}", "int16", [1, units], scale=float(rng.uniform(0.002, 0.02)), zero_point=0)
    b.op(b.opcode(BUILTIN.FULLY_CONNECTED, version=7), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, fb.FullyConnectedOptionsT())
    return [x], [y]


def _conv(b, rng, method, n, depthwise: bool):
    h, w, c = (int(v) for v in rng.integers(2, 6, 3))
    k = int(rng.integers(1, 4))
    oc = c if depthwise else int(rng.integers(1, 6))
    x = b.tensor(f"x{n}", "int8", [1, h, w, c], scale=0.05, zero_point=int(rng.integers(-5, 6)))
    scales = [float(s) for s in rng.uniform(0.002, 0.02, oc)]
    shape = (1, k, k, oc) if depthwise else (oc, k, k, c)
    weights = _pair(rng, method, f"w{n}", "int8", shape,
                    {"scale": scales, "zero_point": [0] * oc, "axis": 3 if depthwise else 0}, oc, depthwise)
    bias = _pair(rng, method, f"b{n}", "int32", (oc,), {"scale": [0.05 * s for s in scales], "zero_point": [0] * oc},
                 oc, oc > 1)
    wi, bi = decode_op(b, [weights, bias])
    y = b.tensor(f"y{n}", "int8", [1, h, w, oc], scale=float(rng.uniform(0.05, 0.5)),
                 zero_point=int(rng.integers(-4, 5)))
    if depthwise:
        options = fb.DepthwiseConv2DOptionsT()
        options.depthMultiplier = 1
        code, kind = BUILTIN.DEPTHWISE_CONV_2D, fb.BuiltinOptions.DepthwiseConv2DOptions
    else:
        options = fb.Conv2DOptionsT()
        code, kind = BUILTIN.CONV_2D, fb.BuiltinOptions.Conv2DOptions
    options.padding, options.strideH, options.strideW = fb.Padding.SAME, 1, 1
    b.op(b.opcode(code, version=3), [x, wi, bi], [y], kind, options)
    return [x], [y]


def _add(b, rng, method, n, dtype):
    shape = [1, int(rng.integers(1, 5)), int(rng.integers(1, 9))]
    quant = {"scale": [0.001], "zero_point": [0]} if dtype == "int16" else {}
    x = b.tensor(f"x{n}", dtype, shape, **quant)
    (c,) = decode_op(b, [_pair(rng, method, f"c{n}", dtype, shape, quant)])
    y = b.tensor(f"y{n}", dtype, shape, **({"scale": [0.002], "zero_point": [0]} if dtype == "int16" else {}))
    b.op(b.opcode(BUILTIN.ADD, version=3 if dtype == "int16" else 1), [x, c], [y],
         fb.BuiltinOptions.AddOptions, fb.AddOptionsT())
    return [x], [y]


def _output(b, rng, method, n):
    """A decoded tensor that is a graph output: aot copies it from flash, TFLM decodes it."""
    dtype = str(rng.choice(["int8", "int16"] if method == "huffman" else
                           ["int8", "int16", "int32", "int64", "bool", "float32"]))
    shape = [int(v) for v in rng.integers(1, 7, int(rng.integers(1, 4)))]
    channels, last_axis, zero_points, quant = 1, False, (0,), {}
    if dtype == "int8" and rng.random() < 0.7:
        last_axis = bool(rng.random() < 0.5)
        axis = len(shape) - 1 if last_axis else 0
        channels = shape[axis]
        zero_points = tuple(int(z) for z in rng.integers(-20, 21, channels))
        quant = {"scale": [0.1] * channels, "zero_point": list(zero_points), "axis": axis}
        last_axis = last_axis and channels > 1
    (y,) = decode_op(b, [_pair(rng, method, f"o{n}", dtype, shape, quant, channels, last_axis, zero_points)])
    return [], [y]


KINDS = (
    _fully_connected, _fully_connected_16x8,
    lambda b, rng, method, n: _conv(b, rng, method, n, depthwise=False),
    lambda b, rng, method, n: _conv(b, rng, method, n, depthwise=True),
    lambda b, rng, method, n: _add(b, rng, method, n, "float32" if method != "huffman" else "int16"),
    lambda b, rng, method, n: _add(b, rng, method, n, "int16"),
    _output,
)


def decode_model(method: str, seed: int, cases: int = CASES) -> bytes:
    rng = np.random.default_rng([seed, METHODS.index(method)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = KINDS[n % len(KINDS)](b, rng, method, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


def mixed_model(seed: int) -> bytes:
    """Every kind of case with every method, once (for one runtime=tflm image)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    for n, (method, kind) in enumerate((m, k) for m in METHODS for k in KINDS):
        xs, ys = kind(b, rng, method, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


@pytest.mark.parametrize("op,method,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, method, seed):
    data = decode_model(method, seed)
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    model = read_model(data, where=str(path), name="m")
    aot_op_cases.assert_exact(check_model(model, runs=2))
    if select_oracle().kind != PINNED:
        return  # the wheel's DECODE (if any) is not the pinned one: the outputs above were judged
    _, tflm_tensors = run_tflm(model, random_inputs(model, 1, 0))
    tensors = model.main.tensors
    pairs = [pair for op in model.main.operators if op.name == "TFLM_DECODE" for pair in decode_pairs(op, "m")]
    assert len(pairs) >= CASES
    for encoded, ancillary, out in pairs:
        ours = decode(tensors[encoded], tensors[ancillary], tensors[out], "m", f"tensor #{out}")
        assert ours == tflm_tensors[(0, out)], f"tensor #{out} '{tensors[out].name}' decodes differently"


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.qemu
def test_on_cortex_m4():
    """qemu-m4: every kind and method once (the image runtime=tflm's test builds), every op output."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = read_model(mixed_model(seed=5), where="decode_mix.tflite", name="decode_mix")
    report = check_on_cortex_m(model, runs=3)
    aot_op_cases.assert_exact(report)


def _one_decode_model(ancillary: bytes, encoded: bytes = b"\x12\x34\x56\x78", dtype="int8", shape=(2, 4),
                      quant=None) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, list(shape), scale=0.1, zero_point=0)
    (w,) = decode_op(b, [("w", dtype, list(shape), quant or {"scale": [0.1], "zero_point": [0]}, encoded,
                          ancillary)])
    y = b.tensor("y", dtype, list(shape), scale=0.2, zero_point=0)
    b.op(b.opcode(BUILTIN.ADD), [x, w], [y], fb.BuiltinOptions.AddOptions, fb.AddOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


LUT4 = dcm(0, bytes([1, 4, 16])) + bytes(range(16))
MALFORMED = {
    "truncated DCM": (dcm(0)[:9], "fewer than its 16-byte DCM header"),
    "DCM version": (dcm(0, bytes([1, 4, 16]), version=2) + bytes(16), "DCM version 2"),
    "custom type": (dcm(127), "the custom decode type (127)"),
    "unknown type": (dcm(9), "decode type 9"),
    "LUT version": (dcm(0, bytes([3, 4, 16])) + bytes(16), "LUT version 3"),
    "LUT bit width 0": (dcm(0, bytes([1, 0, 16])) + bytes(16), "LUT bit width 0"),
    "value table past the end": (LUT4[:16 + 5], "past the end of the ancillary tensor"),
    "indices past the end": (dcm(0, bytes([1, 7, 128])) + bytes(128), "need 7"),
    "prune values past the end": (dcm(2) + b"\x01", "the mask keeps"),
    "huffman 16-bit table, int16": (dcm(1, bytes([1, 0x00])) + bytes(4), "decodes int8 only"),
    "huffman table past the end": (dcm(1, bytes([1, 0x30])) + bytes(4), "past the end of the ancillary tensor"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_ancillary_is_one_model_error(case):
    ancillary, message = MALFORMED[case]
    dtype = "int16" if "int16" in case else "int8"
    data = _one_decode_model(ancillary, dtype=dtype)
    with pytest.raises(ModelError) as info:
        lower_model(read_model(data, where="compressed.tflite", name="compressed"))
    assert message in str(info.value), str(info.value)
    assert "compression tool" in info.value.fix


def test_huffman_stream_past_the_end_is_refused():
    # One symbol, 1-bit codes: 8 values need 8 bits, but the stream must hold whole 32-bit words.
    table = dcm(1, bytes([1, 0x00])) + np.array([0x8000 | (1 << 11) | 5, 0x8000 | (1 << 11) | 5], "<u2").tobytes()
    with pytest.raises(ModelError, match="the encoded tensor has 2 bytes, less than one 32-bit word"):
        lower_model(read_model(_one_decode_model(table, encoded=b"\0\0"), where="m.tflite", name="m"))


def test_unsupported_channel_axis_is_refused_like_tflm():
    quant = {"scale": [0.1, 0.1, 0.1], "zero_point": [0, 0, 0], "axis": 1}
    data = _one_decode_model(LUT4, shape=(2, 3, 4), quant=quant, encoded=bytes(12))
    with pytest.raises(ModelError, match="quantized along axis 1; TFLM decodes per-channel"):
        fold_decodes(read_model(data, where="m.tflite", name="m"))


def test_decode_disappears_and_its_outputs_are_constants():
    data = _one_decode_model(LUT4, encoded=bytes([0x01, 0x23, 0x45, 0x67]))
    model = read_model(data, where="m.tflite", name="m")
    folded = fold_decodes(model)
    assert [op.name for op in folded.main.operators] == ["ADD"]
    w = folded.main.tensors[model.main.operators[0].outputs[0]]
    assert w.array().reshape(-1).tolist() == [0, 1, 2, 3, 4, 5, 6, 7]  # 4-bit indices 0..7 into 0..15
    program = lower_model(model)
    assert [step.op_name for step in program.steps] == ["ADD"]
    assert program.operator_count == 2


def test_inspect_states_the_flash_trade_off():
    from tinyml_build.reports.runtime_support import aot_support

    support = aot_support(read_model(_one_decode_model(LUT4, encoded=bytes(4)), where="m.tflite", name="m"))
    assert support.builds
    (note,) = support.notes
    assert "flash holds the 8 B of decoded tensors where runtime=tflm keeps the 36 B" in note
    assert "arena holds none" in note


def _if_model_with_decodes(rng) -> bytes:
    """IF whose then-branch adds a decoded constant and whose else-branch returns one (a decoded
    subgraph output: copied from flash)."""
    shape = [1, 6]
    quant = {"scale": [0.1], "zero_point": [0]}
    b = ModelBuilder()
    cond = b.tensor("cond", "bool", [1])
    x = b.tensor("x", "int8", shape, **quant)
    y = b.tensor("y", "int8", shape, **quant)
    then_s = b.subgraph("then")
    tx, ty = b.tensor("x", "int8", shape, **quant), b.tensor("y", "int8", shape, **quant)
    (c,) = decode_op(b, [_pair(rng, "huffman", "c", "int8", shape, quant)])
    b.op(b.opcode(BUILTIN.ADD), [tx, c], [ty], fb.BuiltinOptions.AddOptions, fb.AddOptionsT())
    b.inputs, b.outputs = [tx], [ty]
    else_s = b.subgraph("else")
    ex = b.tensor("x", "int8", shape, **quant)
    (ey,) = decode_op(b, [_pair(rng, "lut", "e", "int8", shape, quant)])
    b.inputs, b.outputs = [ex], [ey]
    b.select(0)
    options = fb.IfOptionsT()
    options.thenSubgraphIndex, options.elseSubgraphIndex = then_s, else_s
    b.op(b.opcode(BUILTIN.IF), [cond, x], [y], fb.BuiltinOptions.IfOptions, options)
    b.inputs, b.outputs = [cond, x], [y]
    return b.build()


def test_decodes_inside_called_subgraphs(tmp_path):
    data = _if_model_with_decodes(np.random.default_rng(3))
    model = read_model(data, where=str(tmp_path / "if.tflite"), name="if")
    folded = fold_decodes(model)
    assert [op.name for op in folded.subgraphs[1].operators] == ["ADD"]
    assert [op.name for op in folded.subgraphs[2].operators] == ["TFLM_DECODE"]  # its output is the branch's
    inputs = [[np.array([flag]), np.full((1, 6), v, np.int8)] for flag, v in ((True, 3), (False, -7), (True, 127))]
    aot_op_cases.assert_exact(check_model(model, inputs=inputs))


def test_random_ancillary_bytes_decode_or_raise_model_error_only():
    """A .tflite is untrusted: 3,000 seeded random headers, tables, streams, types and channel axes
    either decode to exactly the output's bytes or raise one ModelError (never IndexError & co.)."""
    from tinyml_build.model.reader import Quantization, Tensor

    rng = np.random.default_rng(0)

    def tensor(index, dtype, shape, data=None, quantization=None):
        return Tensor(index, f"t{index}", dtype, shape, None, 0, quantization, False, data)

    outcomes = {"decoded": 0, "refused": 0}
    for _ in range(3000):
        dtype = str(rng.choice(["int8", "int16", "int32", "int64", "bool", "float32", "uint8"]))
        shape = tuple(int(v) for v in rng.integers(1, 5, int(rng.integers(1, 4))))
        quantization = None
        if rng.random() < 0.5:
            axis = int(rng.integers(0, len(shape)))
            channels = shape[axis] if rng.random() < 0.5 else 1
            quantization = Quantization((0.1,) * channels, tuple(int(z) for z in rng.integers(-3, 3, channels)), axis)
        header = bytes([int(rng.integers(0, 3)), 1, 0, 0, 1, int(rng.integers(0, 256)), int(rng.integers(0, 256))])
        ancillary = header + bytes(9) + rng.integers(0, 256, int(rng.integers(0, 80)), dtype=np.uint8).tobytes()
        if rng.random() < 0.2:
            ancillary = ancillary[:int(rng.integers(0, len(ancillary) + 1))]
        encoded = rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8).tobytes()
        output = tensor(2, dtype, shape, quantization=quantization)
        try:
            data = decode(tensor(0, "uint8", (len(encoded),), encoded),
                          tensor(1, "uint8", (len(ancillary),), ancillary), output, "m.tflite", "w")
        except ModelError:
            outcomes["refused"] += 1
            continue
        assert len(data) == output.nbytes
        outcomes["decoded"] += 1
    assert min(outcomes.values()) > 300, outcomes


def test_hybrid_weights_behind_a_decode_are_still_found():
    b = ModelBuilder()
    x = b.tensor("x", "float32", [1, 4])
    encoded, ancillary = lut_encode(np.array([[1, -2, 3, 1]], np.int8), 2)
    (w,) = decode_op(b, [("w", "int8", [1, 4], {"scale": [0.1], "zero_point": [0]}, encoded, ancillary)])
    y = b.tensor("y", "float32", [1, 1])
    b.op(b.opcode(BUILTIN.FULLY_CONNECTED), [x, w, -1], [y], fb.BuiltinOptions.FullyConnectedOptions,
         fb.FullyConnectedOptionsT())
    b.inputs, b.outputs = [x], [y]
    with pytest.raises(ModelError, match="hybrid .* op #1 FULLY_CONNECTED .* int8 weights 'w'"):
        lower_model(read_model(b.build(), where="m.tflite", name="m"))
