"""runtime=aot SOFTMAX, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, QUANTIZE and DEQUANTIZE
on seeded generated models, bit-exact with the pinned TFLM.

Property-style: random ranks and shapes, log-uniform input and output scales, random zero points,
alphas of both signs (LEAKY_RELU, where the issue's 1-LSB failures were), softmax betas, and every
requantization pair TFLM's QUANTIZE accepts. Quantization parameters are what generates the
arithmetic paths here, so each op instance gets its own; inputs are run 0 all minimum, run 1 all
maximum, then random. float32 SOFTMAX, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, RELU and RELU6
(FLOAT_MODELS models each) run aot_op_cases.float_inputs instead: the special values TFLM's float
kernels branch on (LOGISTIC's cutoffs, signed zeros, NaN, infinities) in every run, magnitudes from
1e-3 to 1e3. Each generated model holds CASES independent ops (one host compile).
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.model.schema import fb

CASES = 50  # ops per generated model
RUNS = 6  # input vectors per model: all-min, all-max, 4 random
BUILTIN = fb.BuiltinOperator
OPTIONS = fb.BuiltinOptions
INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _log_uniform(rng, lo, hi) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _shape(rng, max_rank=4, max_dim=6):
    return [int(v) for v in rng.integers(1, max_dim + 1, int(rng.integers(1, max_rank + 1)))]


def _zero_point(rng, dtype, wide=True) -> int:
    """A random zero point of `dtype` (int16/int32: 0 unless `wide`, where a small one is drawn)."""
    if dtype in ("int8", "uint8"):
        lo, hi = INT_RANGES[dtype]
        return int(rng.integers(lo, hi + 1))
    return int(rng.integers(-300, 301)) if wide and rng.random() < 0.3 else 0


def _unary(b, n, code, version, x_spec, y_spec, options_type=0, options=None):
    """One op x -> y; a spec is (dtype, shape, scale, zero_point), scale None for float32."""
    tensors = []
    for name, (dtype, shape, scale, zero_point) in (("x", x_spec), ("y", y_spec)):
        tensors.append(b.tensor(f"{name}{n}", dtype, shape, scale=scale, zero_point=zero_point))
    b.op(b.opcode(code, version=version), [tensors[0]], [tensors[1]], options_type, options)
    return [tensors[0]], [tensors[1]]


def add_softmax(b, rng, dtype, n):
    if dtype == "int16->int16":
        return _add_softmax_s16(b, rng, n)
    shape = _shape(rng)
    if rng.random() < 0.2:
        shape[-1] = int(rng.integers(20, 200))  # long rows: the sum's fixed-point headroom
    in_scale = _log_uniform(rng, 0.002, 2.0)
    out = (1 / 256, -128) if dtype == "int8" else (1 / 65536, -32768)
    options = fb.SoftmaxOptionsT()
    options.beta = float(rng.choice([1.0, _log_uniform(rng, 0.05, 4.0)]))
    return _unary(b, n, BUILTIN.SOFTMAX, 2, ("int8", shape, in_scale, _zero_point(rng, "int8")),
                  (dtype, shape, *out), OPTIONS.SoftmaxOptions, options)


def _add_softmax_s16(b, rng, n):
    """int16 -> int16 (zero points 0, output scale 1/32768, as TFLM requires): input scales and betas whose
    multiplier input_scale * beta / (10 / 65535) runs from about 0.03 (a right shift) to about 80 (a left
    shift of 7), rows up to 1000 long (the sum's normalisation)."""
    shape = _shape(rng)
    r = rng.random()
    if r < 0.25:
        shape[-1] = int(rng.integers(20, 200))
    elif r < 0.3:
        shape = [1, int(rng.integers(500, 1001))]
    options = fb.SoftmaxOptionsT()
    options.beta = float(rng.choice([1.0, _log_uniform(rng, 0.05, 4.0)]))
    in_scale = _log_uniform(rng, 1e-5, 3e-3)
    return _unary(b, n, BUILTIN.SOFTMAX, 2, ("int16", shape, in_scale, 0), ("int16", shape, 1 / 32768, 0),
                  OPTIONS.SoftmaxOptions, options)


def add_leaky_relu(b, rng, dtype, n):
    shape = _shape(rng)
    in_scale = _log_uniform(rng, 1e-4, 1.0) if dtype == "int16" else _log_uniform(rng, 0.005, 1.0)
    out_scale = in_scale * _log_uniform(rng, 0.2, 5.0)
    if dtype == "int16" and rng.random() < 0.2:
        # identity multipliers of 2^13..2^15: left shifts of 14-15, where some inputs leave the +-2^30 the
        # kernel's one-SMMULR form needs (it takes TFLM's 64-bit form then), short of int32 wrap-around
        out_scale = in_scale * _log_uniform(rng, 2.0 ** -15, 2.0 ** -13)
    options = fb.LeakyReluOptionsT()
    options.alpha = float(rng.choice([rng.uniform(0.0, 1.0), rng.uniform(-2.0, 2.0), 0.01, 0.2, 0.3]))
    return _unary(b, n, BUILTIN.LEAKY_RELU, 2, (dtype, shape, in_scale, _zero_point(rng, dtype)),
                  (dtype, shape, out_scale, _zero_point(rng, dtype)), OPTIONS.LeakyReluOptions, options)


def add_logistic(b, rng, dtype, n):
    shape = _shape(rng)
    return _unary(b, n, BUILTIN.LOGISTIC, 2, (dtype, shape, _log_uniform(rng, 0.002, 1.0), _zero_point(rng, dtype)),
                  (dtype, shape, 1 / 256, -128))


def add_tanh(b, rng, dtype, n):
    shape = _shape(rng)
    return _unary(b, n, BUILTIN.TANH, 2, (dtype, shape, _log_uniform(rng, 0.002, 1.0), _zero_point(rng, dtype)),
                  (dtype, shape, 1 / 128, 0))


def add_hard_swish(b, rng, dtype, n):
    shape = _shape(rng)
    in_scale = _log_uniform(rng, 0.002, 0.5)
    out_scale = in_scale * _log_uniform(rng, 0.02, 3.0)  # TFLM requires in/128/out <= 1
    return _unary(b, n, BUILTIN.HARD_SWISH, 1, (dtype, shape, in_scale, _zero_point(rng, dtype)),
                  (dtype, shape, out_scale, _zero_point(rng, dtype)))


def add_relu(b, rng, dtype, n):
    shape = _shape(rng)
    in_scale = _log_uniform(rng, 1e-4, 1.0)
    out_scale = in_scale * float(rng.choice([1.0, _log_uniform(rng, 0.2, 5.0)]))
    return _unary(b, n, BUILTIN.RELU, 2, (dtype, shape, in_scale, _zero_point(rng, dtype, wide=False)),
                  (dtype, shape, out_scale, _zero_point(rng, dtype, wide=False)))


def add_relu6(b, rng, dtype, n):
    shape = _shape(rng)
    lo, hi = INT_RANGES[dtype]
    scale = _log_uniform(rng, 0.03, 0.5) if dtype == "int8" else _log_uniform(rng, 3e-4, 0.01)
    six = int(np.ceil(6 / scale))
    zero_point = int(rng.integers(lo, hi - six)) if dtype == "int8" else 0  # TFLM: 6 must be representable
    return _unary(b, n, BUILTIN.RELU6, 2, (dtype, shape, scale, zero_point), (dtype, shape, scale, zero_point))


def _quantization(rng, dtype):
    if dtype == "float32":
        return None, None
    if dtype == "int32":
        return _log_uniform(rng, 1e-5, 0.01), 0
    if dtype == "int16":
        return _log_uniform(rng, 1e-4, 0.05), _zero_point(rng, dtype)
    return _log_uniform(rng, 0.005, 1.0), _zero_point(rng, dtype)


def add_quantize(b, rng, pair, n):
    src, dst = pair.split("->")
    shape = _shape(rng)
    in_q = _quantization(rng, src)
    if src == "float32":
        out_q = (_log_uniform(rng, 0.01, 0.2) if dst == "int8" else _log_uniform(rng, 1e-4, 0.01),
                 _zero_point(rng, dst))
    else:
        out_q = (in_q[0] * _log_uniform(rng, 0.05, 20.0), _quantization(rng, dst)[1])
    return _unary(b, n, BUILTIN.QUANTIZE, 1, (src, shape, *in_q), (dst, shape, *out_q))


def add_dequantize(b, rng, dtype, n):
    shape = _shape(rng)
    return _unary(b, n, BUILTIN.DEQUANTIZE, 2, (dtype, shape, *_quantization(rng, dtype)),
                  ("float32", shape, None, None))


def add_float(op, b, rng, n):
    """One float32 `op`: random shape (SOFTMAX: long rows now and then), beta / alpha as the quantized cases."""
    shape = _shape(rng)
    options_type, options = 0, None
    if op == "SOFTMAX":
        if rng.random() < 0.2:
            shape[-1] = int(rng.integers(20, 200))
        options_type, options = OPTIONS.SoftmaxOptions, fb.SoftmaxOptionsT()
        options.beta = float(rng.choice([1.0, _log_uniform(rng, 0.05, 4.0)]))
    elif op == "LEAKY_RELU":
        options_type, options = OPTIONS.LeakyReluOptions, fb.LeakyReluOptionsT()
        options.alpha = float(rng.choice([rng.uniform(0.0, 1.0), rng.uniform(-2.0, 2.0), 0.01, 0.2, 0.3]))
    spec = ("float32", shape, None, None)
    return _unary(b, n, getattr(BUILTIN, op), 1, spec, spec, options_type, options)


def _with_float(op, add_quantized):
    """op's adder: add_float for float32, add_quantized for the quantized types."""
    return lambda b, rng, dtype, n: add_float(op, b, rng, n) if dtype == "float32" else add_quantized(b, rng, dtype, n)


ADDERS = {"SOFTMAX": add_softmax, "LEAKY_RELU": add_leaky_relu, "LOGISTIC": add_logistic, "TANH": add_tanh,
          "HARD_SWISH": add_hard_swish, "RELU": add_relu, "RELU6": add_relu6, "QUANTIZE": add_quantize,
          "DEQUANTIZE": add_dequantize}
FLOAT_OPS = ("SOFTMAX", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH", "RELU", "RELU6")  # float32 too
ADDERS.update({op: _with_float(op, ADDERS[op]) for op in FLOAT_OPS})
# The types aot lowers (SOFTMAX: int8 input with int8/int16 output, and int16->int16; QUANTIZE: every pair of
# quantize_common.cc's Prepare that aot accepts); LOGISTIC/TANH int16 are not lowered (logistic.py).
TYPES = {"SOFTMAX": ("int8", "int16", "int16->int16"), "LEAKY_RELU": ("int8", "int16"), "LOGISTIC": ("int8",),
         "TANH": ("int8",), "HARD_SWISH": ("int8",), "RELU": ("int8", "int16"), "RELU6": ("int8", "int16"),
         "QUANTIZE": ("float32->int8", "float32->int16", "int8->int8", "int8->uint8", "int8->int16", "int8->int32",
                      "uint8->int8", "int16->int8", "int16->int16", "int16->int32", "int32->int8", "int32->int16"),
         "DEQUANTIZE": ("int8", "uint8", "int16")}
# Generated models per (op, type): as many as it takes each op to reach aot_op_cases.MIN_CASES with its
# quantized types alone; float32 adds FLOAT_MODELS models (float32 last: the quantized seeds stay as they were).
MODELS = {op: max(1, -(-aot_op_cases.MIN_CASES // (CASES * len(types)))) for op, types in TYPES.items()}
FLOAT_MODELS = 2
TYPES.update({op: (*TYPES[op], "float32") for op in FLOAT_OPS})
PARAMS = [(op, t, s) for op, types in TYPES.items() for t in types
          for s in range(FLOAT_MODELS if t == "float32" else MODELS[op])]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact(tmp_path, op, dtype, seed):
    data = aot_op_cases.random_model(ADDERS, TYPES, op, dtype, seed, CASES)
    if dtype == "float32":
        aot_op_cases.check_float_bytes(tmp_path, data, runs=RUNS)
    else:
        aot_op_cases.check_bytes(tmp_path, data, runs=RUNS)


def test_all_ops_under_sanitizers(tmp_path):
    """Every op and type of this suite in one model, compiled with ASan/UBSan (signed overflow,
    out-of-bounds reads of the broadcast and table paths)."""
    model = aot_op_cases.all_ops_model(ADDERS, aot_op_cases.judged_types(TYPES), per_type=4)
    aot_op_cases.check_bytes(tmp_path, model, runs=RUNS, sanitize=True)


@pytest.mark.parametrize("scale,zero_point,message", [(1 / 65536, 0, "1/32768"), (1 / 32768, 3, "zero points")])
def test_int16_softmax_refuses_the_output_quantizations_tflm_refuses(scale, zero_point, message):
    b = ModelBuilder()
    x = b.tensor("x", "int16", [2, 8], scale=1e-3, zero_point=0)
    y = b.tensor("y", "int16", [2, 8], scale=scale, zero_point=zero_point)
    b.op(b.opcode(BUILTIN.SOFTMAX, version=3), [x], [y], OPTIONS.SoftmaxOptions, fb.SoftmaxOptionsT())
    b.inputs, b.outputs = [x], [y]
    assert message in aot_op_cases.lower_error(b.build())


# int16 LEAKY_RELU and the int16/int32 QUANTIZE requantizations take SMMULR / SMLAL forms on Armv7E-M that the
# host build does not compile: their generated cases (both forms of each: narrow and wide shifted inputs,
# shifts above and below -2) run on an emulated Cortex-M4F too.
M4_TYPES = {"LEAKY_RELU": ("int16",),
            "QUANTIZE": ("int16->int8", "int16->int16", "int32->int8", "int32->int16", "int16->int32")}


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_int16_requantizing_kernels_on_cortex_m4():
    from tinyml_build.model.reader import read_model
    from tinyml_build.verification.target_check import check_on_cortex_m

    data = aot_op_cases.all_ops_model({op: ADDERS[op] for op in M4_TYPES}, M4_TYPES.get, per_type=12, seed=41)
    model = read_model(data, where="unary_m4.tflite", name="unary_m4")
    aot_op_cases.skip_blind_spots(model)  # int16 LEAKY_RELU: the wheel's multipliers are double, the pin's float32
    report = check_on_cortex_m(model, runs=RUNS)
    aot_op_cases.assert_exact(report)
