"""runtime=aot PAD/PADV2, CONCATENATION, STRIDED_SLICE and MEAN bit-exact with tflite-micro."""

import numpy as np
import pytest
from aot_op_cases import assert_exact
from aot_tf_models import op_model
from conftest import shared_model
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops.mean import mean_multiplier
from tinyml_build.verification.host_check import check_model

QUANT = {"int8": (0.05, -4), "int16": (0.001, 0), "float32": (None, None)}

TF_MODELS = ["pad", "pad_channels", "concat", "concat_axis1", "mean_hw", "mean_last", "mean_outer", "strided_slice",
             "strided_slice_neg", "strided_slice_shrink"]


@pytest.mark.parametrize("int16", [False, True], ids=["int8", "16x8"])
@pytest.mark.parametrize("name", TF_MODELS)
def test_converted_model_bit_exact(name, int16):
    report = check_model(op_model(name, int16), runs=20)
    assert_exact(report)


@pytest.mark.parametrize("name", ["pad_channels", "strided_slice_neg", "mean_outer", "concat_axis1"])
def test_converted_model_under_sanitizers(name):
    report = check_model(op_model(name), runs=3, sanitize=True)
    assert_exact(report)


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["pad0.tflite", "strided_slice0.tflite"])
def test_reference_models_bit_exact(name):
    report = check_model(shared_model(name), runs=20)
    assert_exact(report)
    report = check_model(shared_model(name), runs=3, sanitize=True)
    assert_exact(report)


def _check(tmp_path, data: bytes, runs: int = 8):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    report = check_model(path, runs=runs)
    assert_exact(report)


def _lower_error(data: bytes) -> str:
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    return str(info.value)


# --- PAD / PADV2 -------------------------------------------------------------------------------


def _pad_model(dtype, in_shape, paddings, constant=None) -> bytes:
    scale, zp = QUANT[dtype]
    b = ModelBuilder()
    out_shape = [d + p + q for d, (p, q) in zip(in_shape, paddings)]
    x = b.tensor("x", dtype, in_shape, scale=scale, zero_point=zp)
    pads = b.tensor("paddings", "int32", [len(in_shape), 2], data=np.array(paddings, np.int32))
    y = b.tensor("y", dtype, out_shape, scale=scale, zero_point=zp)
    inputs = [x, pads]
    if constant is not None:
        inputs.append(b.tensor("value", dtype, [1], data=np.array([constant], dtype=dtype), scale=scale, zero_point=zp))
        b.op(b.opcode(fb.BuiltinOperator.PADV2), inputs, [y], fb.BuiltinOptions.PadV2Options, fb.PadV2OptionsT())
    else:
        b.op(b.opcode(fb.BuiltinOperator.PAD, version=2), inputs, [y], fb.BuiltinOptions.PadOptions, fb.PadOptionsT())
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("dtype,constant", [("int8", None), ("int8", 77), ("int16", None), ("int16", -1234),
                                            ("float32", None), ("float32", 2.5)])
def test_pad_types_and_constant_values(tmp_path, dtype, constant):
    _check(tmp_path, _pad_model(dtype, (2, 3, 4, 3), [[1, 0], [0, 2], [3, 1], [1, 1]], constant))


@pytest.mark.parametrize("in_shape,paddings", [((5,), [[2, 3]]),
                                               ((2, 3, 2, 3, 2), [[0, 1], [1, 0], [0, 0], [2, 0], [0, 1]]),
                                               ((3, 4), [[0, 0], [0, 0]])])
def test_pad_ranks(tmp_path, in_shape, paddings):
    _check(tmp_path, _pad_model("int8", in_shape, paddings))


def test_pad_with_non_constant_paddings_is_a_clear_error():
    b = ModelBuilder()
    x = b.tensor("x", "int8", [1, 4], scale=0.1, zero_point=0)
    pads = b.tensor("paddings", "int32", [2, 2])
    y = b.tensor("y", "int8", [1, 6], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.PAD, version=2), [x, pads], [y], fb.BuiltinOptions.PadOptions, fb.PadOptionsT())
    b.inputs, b.outputs = [x, pads], [y]
    message = _lower_error(b.build())
    assert "op #0 PAD" in message and "not constant" in message


# --- CONCATENATION -----------------------------------------------------------------------------


def _concat_model(dtype, shapes, axis, out_quant=None) -> bytes:
    scale, zp = QUANT[dtype]
    b = ModelBuilder()
    rank = len(shapes[0])
    positive = axis % rank
    out_shape = list(shapes[0])
    out_shape[positive] = sum(s[positive] for s in shapes)
    xs = [b.tensor(f"x{i}", dtype, s, scale=scale, zero_point=zp) for i, s in enumerate(shapes)]
    out_scale, out_zp = out_quant or (scale, zp)
    y = b.tensor("y", dtype, out_shape, scale=out_scale, zero_point=out_zp)
    options = fb.ConcatenationOptionsT()
    options.axis = axis
    b.op(b.opcode(fb.BuiltinOperator.CONCATENATION, version=3), xs, [y], fb.BuiltinOptions.ConcatenationOptions,
         options)
    b.inputs, b.outputs = xs, [y]
    return b.build()


CONCAT_CASES = [([(2, 3, 4), (1, 3, 4), (3, 3, 4), (1, 3, 4)], 0), ([(2, 3, 1), (2, 3, 5)], -1),
                ([(2, 1, 2, 3), (2, 4, 2, 3)], 1)]


@pytest.mark.parametrize("dtype,shapes,axis", [("int8", *c) for c in CONCAT_CASES] + [("int16", *CONCAT_CASES[0]),
                                               ("float32", *CONCAT_CASES[2])])
def test_concatenation(tmp_path, dtype, shapes, axis):
    _check(tmp_path, _concat_model(dtype, shapes, axis))


def test_concatenation_int16_ignores_scales_like_tflm(tmp_path):
    _check(tmp_path, _concat_model("int16", [(2, 3), (2, 2)], 1, out_quant=(0.004, 0)))


def test_concatenation_int8_requantization_is_a_clear_error():
    message = _lower_error(_concat_model("int8", [(2, 3), (2, 2)], 1, out_quant=(0.1, 0)))
    assert "op #0 CONCATENATION" in message and "quantized differently" in message


# --- STRIDED_SLICE -----------------------------------------------------------------------------


def _slice_model(dtype, in_shape, begin, end, strides, out_shape, begin_mask=0, end_mask=0, shrink=0) -> bytes:
    scale, zp = QUANT[dtype]
    b = ModelBuilder()
    x = b.tensor("x", dtype, in_shape, scale=scale, zero_point=zp)
    vectors = [b.tensor(n, "int32", [len(in_shape)], data=np.array(v, np.int32))
               for n, v in (("begin", begin), ("end", end), ("strides", strides))]
    y = b.tensor("y", dtype, out_shape, scale=scale, zero_point=zp)
    options = fb.StridedSliceOptionsT()
    options.beginMask, options.endMask, options.shrinkAxisMask = begin_mask, end_mask, shrink
    b.op(b.opcode(fb.BuiltinOperator.STRIDED_SLICE, version=4), [x, *vectors], [y],
         fb.BuiltinOptions.StridedSliceOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


SLICE_CASES = [
    # in_shape, begin, end, strides, out_shape, begin_mask, end_mask, shrink
    ((4, 5, 6), (1, -4, 5), (3, 100, -7), (1, 2, -1), (2, 2, 6), 0, 0, 0),  # clamped ends, reversed last axis
    ((3, 4, 5, 2), (2, 0, 1, 0), (0, 4, 5, 2), (-1, 1, 3, 1), (2, 4, 2, 2), 0, 0, 0),
    ((3, 4, 5, 2), (1, 0, 0, 1), (2, 4, 5, 2), (1, 1, 1, 1), (4, 5), 0, 0, 0b1001),  # shrink first and last
    ((6, 7), (5, 6), (0, 0), (-2, -3), (3, 2), 0, 0, 0),
    ((2, 9), (0, 3), (0, 0), (1, 2), (2, 3), 0b01, 0b11, 0),
]


@pytest.mark.parametrize("dtype,case", [("int8", c) for c in SLICE_CASES] + [("int16", SLICE_CASES[0]),
                                        ("float32", SLICE_CASES[2]), ("int16", SLICE_CASES[3])])
def test_strided_slice(tmp_path, dtype, case):
    in_shape, begin, end, strides, out_shape, begin_mask, end_mask, shrink = case
    _check(tmp_path, _slice_model(dtype, in_shape, begin, end, strides, out_shape, begin_mask, end_mask, shrink))


def test_strided_slice_rank_5_is_a_clear_error():
    message = _lower_error(_slice_model("int8", (1, 2, 2, 2, 2), (0,) * 5, (1, 2, 2, 2, 2), (1,) * 5, (1, 2, 2, 2, 2)))
    assert "op #0 STRIDED_SLICE" in message and "rank 5" in message


# --- MEAN --------------------------------------------------------------------------------------


def _mean_model(dtype, in_shape, axes, keep_dims, in_q, out_q) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, in_shape, scale=in_q[0], zero_point=in_q[1])
    axis = b.tensor("axis", "int32", [len(axes)], data=np.array(axes, np.int32))
    reduced = {a % len(in_shape) for a in axes}
    out_shape = [1 if d in reduced else n for d, n in enumerate(in_shape) if keep_dims or d not in reduced]
    y = b.tensor("y", dtype, out_shape, scale=out_q[0], zero_point=out_q[1])
    options = fb.ReducerOptionsT()
    options.keepDims = keep_dims
    b.op(b.opcode(fb.BuiltinOperator.MEAN, version=2), [x, axis], [y], fb.BuiltinOptions.ReducerOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


MEAN_QUANT = {"int8": ((0.05, -4), (0.02, 9)), "int8_wide": ((0.05, 100), (0.3, -128)),
              "int16": ((0.001, 0), (0.0004, 0))}
MEAN_CASES = [((2, 6, 5, 3), (1, 2), True), ((2, 6, 5, 3), (-3, 2), False), ((2, 6, 5, 3), (0, 3), True),
              ((4, 7), (0, 1), False), ((3, 1, 4, 5), (1, 3, 1), True), ((1, 40, 40, 3), (1, 2), True)]


@pytest.mark.parametrize("quant,in_shape,axes,keep_dims", [("int8", *c) for c in MEAN_CASES] + [
    ("int8_wide", *MEAN_CASES[1]), ("int8_wide", *MEAN_CASES[5]), ("int16", *MEAN_CASES[0]), ("int16", *MEAN_CASES[2]),
    ("int16", *MEAN_CASES[5])])
def test_mean(tmp_path, quant, in_shape, axes, keep_dims):
    dtype = quant.split("_")[0]
    in_q, out_q = MEAN_QUANT[quant]
    _check(tmp_path, _mean_model(dtype, in_shape, axes, keep_dims, in_q, out_q), runs=5)


def test_mean_multiplier_folds_count_like_tflm():
    multiplier, shift = mean_multiplier(0.05, 0.05, 30)
    # QuantizeMultiplier(1.0) = (2^30, 1); 30 elements: shift by floor(log2 30) = 4 and divide.
    assert (multiplier, shift) == ((1 << 30 << 4) // 30, 1 - 4)
