"""TFLM's reference-kernel limits (analysis/reference_limits.py): the table against the pinned TFLM,
and the build's and `inspect`'s refusal of what bench/converter_sweep.py found (an int16
RESIZE_BILINEAR, an int32 SELECT_V2, a FILL with run-time dims: images that built, then stopped on
the device).

The cross-check builds one one-op model per judged op and dtype combination (tests/tflite_builder.py)
and asks the pinned host oracle whether AllocateTensors + Invoke succeed: the table's verdict must be
the oracle's. Every model runs in its own runner process (a kernel that crashes is one verdict, not a
lost test run). The quantization rules (analysis/reference_quant_limits.py) are checked the same way on
QUANT_CASES: each refused case breaks one ENSURE (the oracle must stop at that kernel file), each
accepted one sits next to a limit.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import PROJECT_DIR
from tflite_builder import TYPE_CODES, ModelBuilder
from tflm_testlib import needs_sources

from tinyml_build.analysis import op_inventory, reference_limits, reference_quant_limits
from tinyml_build.errors import ModelError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.reports.runtime_support import runtime_support
from tinyml_build.runtimes.aot.lower import TFLM_FIX

FULL = os.environ.get("TINYML_FULL_MATRIX") == "1"
DTYPES = ("float32", "int8", "int16", "int32", "uint8", "int64", "bool")
S = (1, 2, 2, 2)
_QUANT = {"int8": (0.05, 0), "int16": (0.05, 0), "uint8": (0.05, 128)}


def _np(dtype: str):
    return np.bool_ if dtype == "bool" else np.dtype(dtype)


def x(dtype, shape=S):
    """A graph input of `dtype`."""
    return (dtype, tuple(shape), None, None)


def c(dtype, values, shape=None, quant=None):
    """A constant (quant: (scale, zero point) instead of _QUANT's)."""
    data = np.array(values, dtype=_np(dtype))
    return (dtype, tuple(data.shape if shape is None else shape), data, quant)


def i32(*values):
    return c("int32", list(values))


def _options(name: str, **fields):
    options = getattr(fb, f"{name}T")()
    for key, value in fields.items():
        setattr(options, key, value)
    return getattr(fb.BuiltinOptions, name), options


def _weights_bias(din, dw, shape, units):
    """Weights of `dw` and the bias TFLM pairs with `din` (scale: input's times weights')."""
    bias = {"float32": "float32", "int16": "int64"}.get(din, "int32")
    return c(dw, np.ones(shape)), c(bias, [0] * units, quant=(0.05 * 0.05, 0))


# Output quantizations some kernels require (TFLM's Prepare checks them).
_LOGISTIC_OUT = {"int8": (1 / 256, -128), "int16": (1 / 32768, 0)}
_SOFTMAX_OUT = {("int8", "int8"): (1 / 256, -128), ("int8", "int16"): (1 / 65536, -32768),
                ("int16", "int16"): (1 / 32768, 0)}


# op -> f(*dtypes of the table's positions) -> (inputs, outputs, options): one use of the op.
_UNARY = ("ABS", "RSQRT", "SIN", "COS", "LOG", "SQRT", "SQUARE", "LOGICAL_NOT", "CEIL", "FLOOR", "ROUND", "EXP",
          "NEG", "RELU", "RELU6", "ELU", "HARD_SWISH", "LOGISTIC", "TANH", "L2_NORMALIZATION", "LOG_SOFTMAX",
          "ZEROS_LIKE")
_BINARY = {"ADD": ("AddOptions",), "SUB": ("SubOptions",), "MUL": ("MulOptions",), "DIV": ("DivOptions",),
           "SQUARED_DIFFERENCE": (), "MAXIMUM": (), "MINIMUM": (), "FLOOR_DIV": (), "FLOOR_MOD": (),
           "ADD_N": ()}
_COMPARE = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
_REDUCE = ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_ALL")
_POOL = ("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")
_PADS = [[0, 0], [1, 1], [0, 0], [0, 0]]
SPECS = {
    **{op: (lambda d: ([x(d)], [(d, S)], None)) for op in _UNARY},
    "LOGISTIC": lambda d: ([x(d)], [(d, S, _LOGISTIC_OUT.get(d))], None),
    "TANH": lambda d: ([x(d)], [(d, S, {"int16": (1 / 32768, 0)}.get(d))], None),
    "LOG_SOFTMAX": lambda d: ([x(d)], [(d, S, {"int8": (16 / 256, 127)}.get(d))], None),
    **{op: (lambda d, o=o: ([x(d), x(d)], [(d, S)], _options(*o) if o else None)) for op, o in _BINARY.items()},
    **{op: (lambda d: ([x(d), x(d)], [("bool", S)], None)) for op in _COMPARE},
    **{op: (lambda d: ([x(d), i32(1, 2)], [(d, (1, 1, 1, 2))], _options("ReducerOptions", keepDims=True)))
       for op in _REDUCE},
    **{op: (lambda d: ([x(d)], [(d, (1, 1, 1, 2))], _options("Pool2DOptions", padding=1, strideH=2, strideW=2,
                                                             filterHeight=2, filterWidth=2))) for op in _POOL},
    "LEAKY_RELU": lambda d: ([x(d)], [(d, S)], _options("LeakyReluOptions", alpha=0.2)),
    "PRELU": lambda d: ([x(d), c("int8" if d == "int16" else d, np.ones(S))], [(d, S)], None),
    "SOFTMAX": lambda di, do: ([x(di)], [(do, S, _SOFTMAX_OUT.get((di, do)))],
                               _options("SoftmaxOptions", beta=1.0)),
    "CUMSUM": lambda d: ([x(d), c("int32", 3, ())], [(d, S)], None),
    "SELECT_V2": lambda d: ([x("bool"), x(d), x(d)], [(d, S)], None),
    "CAST": lambda di, do: ([x(di)], [(do, S)], None),
    "QUANTIZE": lambda di, do: ([x(di)], [(do, S, (0.05, 0) if do == "int32" else None)], None),
    "DEQUANTIZE": lambda di, do: ([x(di)], [(do, S)], None),
    "CONCATENATION": lambda d: ([x(d), x(d)], [(d, (1, 2, 2, 4))], _options("ConcatenationOptions", axis=3)),
    "PACK": lambda d: ([x(d), x(d)], [(d, (2, *S))], _options("PackOptions", valuesCount=2, axis=0)),
    "UNPACK": lambda d: ([x(d, (2, 4))], [(d, (4,)), (d, (4,))], _options("UnpackOptions", num=2, axis=0)),
    "SPLIT": lambda d: ([c("int32", 3, ()), x(d)], [(d, (1, 2, 2, 1))] * 2, _options("SplitOptions", numSplits=2)),
    "SPLIT_V": lambda d: ([x(d), i32(1, 1), c("int32", 3, ())], [(d, (1, 2, 2, 1))] * 2,
                          _options("SplitVOptions", numSplits=2)),
    "EXPAND_DIMS": lambda d: ([x(d), c("int32", 0, ())], [(d, (1, *S))], None),
    "TRANSPOSE": lambda d: ([x(d), i32(0, 2, 1, 3)], [(d, S)], None),
    "PAD": lambda d: ([x(d), c("int32", _PADS)], [(d, (1, 4, 2, 2))], None),
    "PADV2": lambda d: ([x(d), c("int32", _PADS), c(d, 0, ())], [(d, (1, 4, 2, 2))], None),
    "MIRROR_PAD": lambda d: ([x(d), c("int32", _PADS)], [(d, (1, 4, 2, 2))], _options("MirrorPadOptions", mode=0)),
    "SLICE": lambda d: ([x(d), i32(0, 0, 0, 0), i32(1, 1, 2, 2)], [(d, (1, 1, 2, 2))], None),
    "STRIDED_SLICE": lambda d: ([x(d), i32(0, 0, 0, 0), i32(1, 1, 2, 2), i32(1, 1, 1, 1)], [(d, (1, 1, 2, 2))],
                                _options("StridedSliceOptions")),
    "REVERSE_V2": lambda d: ([x(d), i32(1)], [(d, S)], None),
    "GATHER": lambda d, di: ([x(d), c(di, [0])], [(d, S)], _options("GatherOptions", axis=0)),
    "GATHER_ND": lambda d, di: ([x(d), c(di, [[0]])], [(d, S)], None),
    "EMBEDDING_LOOKUP": lambda d: ([i32(0), x(d, (3, 4))], [(d, (1, 4))], None),
    "DYNAMIC_UPDATE_SLICE": lambda d: ([x(d), x(d, (1, 1, 2, 2)), i32(0, 0, 0, 0)], [(d, S)], None),
    "FILL": lambda d: ([i32(*S), x(d, ())], [(d, S)], None),
    "BROADCAST_TO": lambda d: ([x(d, (1, 2)), i32(2, 2)], [(d, (2, 2))], None),
    "BROADCAST_ARGS": lambda d: ([x(d, (2,)), x(d, (2,))], [(d, (2,))], None),
    "SHAPE": lambda d: ([x("float32")], [(d, (4,))], _options("ShapeOptions", outType=TYPE_CODES[d])),
    "DEPTH_TO_SPACE": lambda d: ([x(d, (1, 1, 1, 4))], [(d, (1, 2, 2, 1))], _options("DepthToSpaceOptions",
                                                                                    blockSize=2)),
    "SPACE_TO_DEPTH": lambda d: ([x(d, (1, 2, 2, 1))], [(d, (1, 1, 1, 4))], _options("SpaceToDepthOptions",
                                                                                    blockSize=2)),
    "BATCH_TO_SPACE_ND": lambda d: ([x(d, (4, 1, 1, 1)), i32(2, 2), c("int32", [[0, 0], [0, 0]])],
                                    [(d, (1, 2, 2, 1))], None),
    "SPACE_TO_BATCH_ND": lambda d: ([x(d, (1, 2, 2, 1)), i32(2, 2), c("int32", [[0, 0], [0, 0]])],
                                    [(d, (4, 1, 1, 1))], None),
    "RESIZE_BILINEAR": lambda d: ([x(d), i32(4, 4)], [(d, (1, 4, 4, 2))], _options("ResizeBilinearOptions")),
    "RESIZE_NEAREST_NEIGHBOR": lambda d: ([x(d), i32(4, 4)], [(d, (1, 4, 4, 2))],
                                          _options("ResizeNearestNeighborOptions")),
    "ARG_MAX": lambda di, do: ([x(di), c("int32", 3, ())], [(do, (1, 2, 2))],
                               _options("ArgMaxOptions", outputType=TYPE_CODES[do])),
    "ARG_MIN": lambda di, do: ([x(di), c("int32", 3, ())], [(do, (1, 2, 2))],
                               _options("ArgMinOptions", outputType=TYPE_CODES[do])),
    "CONV_2D": lambda di, dw: ([x(di), *_weights_bias(di, dw, (2, 1, 1, 2), 2)], [(di, S)],
                               _options("Conv2DOptions", padding=1, strideH=1, strideW=1, dilationHFactor=1,
                                        dilationWFactor=1)),
    "DEPTHWISE_CONV_2D": lambda di, dw: ([x(di), *_weights_bias(di, dw, (1, 1, 1, 2), 2)], [(di, S)],
                                         _options("DepthwiseConv2DOptions", padding=1, strideH=1, strideW=1,
                                                  depthMultiplier=1, dilationHFactor=1, dilationWFactor=1)),
    "FULLY_CONNECTED": lambda di, dw: ([x(di, (1, 4)), *_weights_bias(di, dw, (3, 4), 3)], [(di, (1, 3))],
                                       _options("FullyConnectedOptions")),
    "BATCH_MATMUL": lambda d: ([x(d, (1, 2, 2)), x(d, (1, 2, 2))], [(d, (1, 2, 2))], _options("BatchMatMulOptions")),
    "SVDF": lambda di, dwf, dwt, ds: _svdf(di, dwf, dwt, ds),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lambda da, dw, dc: _lstm(da, dw, dc),
    "TRANSPOSE_CONV": lambda di, dw: _transpose_conv(di, c(dw, np.ones((2, 1, 1, 2)))),
}


VARIABLE = "variable"  # as an input's data: a variable tensor


def _lstm(da, dw, dc):
    """A plain LSTM (no peephole, projection or layer norm: TFLM takes no other), 2 cells, 2 inputs, 1 step."""
    bias = c({"float32": "float32", "int16": "int64"}.get(da, "int32"), [0, 0], quant=(0.05 * 0.05, 0))
    inputs = [x(da, (1, 1, 2))] + [c(dw, np.ones((2, 2)))] * 8 + [None] * 3 + [bias] * 4 + [None] * 2
    inputs += [(da, (1, 2), VARIABLE, None), (dc, (1, 2), VARIABLE, (2.0 ** -11, 0))] + [None] * 4
    return inputs, [(da, (1, 1, 2))], _options("UnidirectionalSequenceLSTMOptions",
                                                 fusedActivationFunction=fb.ActivationFunctionType.TANH)


def _svdf(di, dwf, dwt, ds, bias_scale=0.05 * 0.05):
    """SVDF, rank 1: input (1, 2), weights_feature, weights_time (2 filters, memory 2), bias, state."""
    return ([x(di, (1, 2)), c(dwf, np.ones((2, 2))), c(dwt, np.ones((2, 2))),
             c("float32" if di == "float32" else "int32", [0, 0], quant=(bias_scale, 0)),
             (ds, (1, 4), VARIABLE, None)], [(di, (1, 2))], _options("SVDFOptions", rank=1))


def _transpose_conv(di, weights, bias_quant=(0.05 * 0.05, 0)):
    """TRANSPOSE_CONV: output shape, filter, input (of `di`), bias; stride 1, SAME."""
    bias = c({"float32": "float32", "int16": "int64"}.get(di, "int32"), [0, 0], quant=bias_quant)
    return ([i32(*S), weights, x(di), bias], [(di, S)],
            _options("TransposeConvOptions", padding=0, strideH=1, strideW=1))


# --- quantization parameters (analysis/reference_quant_limits.py) -----------------------------------------

def q(dtype, shape=S, quant=None):
    """A graph input of `dtype` with quantization `quant` ((scale, zero point[, axis]))."""
    return (dtype, tuple(shape), None, quant)


_NONE = (None, None)  # no quantization parameters
_POOL_OPTIONS = _options("Pool2DOptions", padding=1, strideH=2, strideW=2, filterHeight=2, filterWidth=2)
_CONV = _options("Conv2DOptions", padding=0, strideH=1, strideW=1, dilationHFactor=1, dilationWFactor=1)
_DW = _options("DepthwiseConv2DOptions", padding=0, strideH=1, strideW=1, depthMultiplier=1, dilationHFactor=1,
               dilationWFactor=1)
_BIAS3 = c("int32", [0, 0, 0], quant=(0.05 * 0.05, 0))
_BIAS2 = c("int32", [0, 0], quant=(0.05 * 0.05, 0))


def _fc(weights_quant, bias_scale):
    return ([x("int8", (1, 4)), c("int8", np.ones((3, 4)), quant=weights_quant),
             c("int32", [0] * 3, quant=(bias_scale, 0))], [("int8", (1, 3))], _options("FullyConnectedOptions"))


# name -> (op, (inputs, outputs, options), what the refusal says or None when TFLM takes it). The refused ones
# break one TF_LITE_ENSURE each; the accepted ones sit next to a limit (within a tolerance, per-channel along
# the dimension TFLM reads).
QUANT_CASES = {
    "logistic_int8_out_zp": ("LOGISTIC", ([x("int8")], [("int8", S, (1 / 256, 0))], None), "zero point -128"),
    "logistic_int16_in_zp": ("LOGISTIC", ([q("int16", quant=(0.05, 3))], [("int16", S, (1 / 32768, 0))], None),
                             "input 0 'in0' has zero point 3"),
    "logistic_int16_out_scale": ("LOGISTIC", ([x("int16")], [("int16", S, (1 / 16384, 0))], None), "2^-15"),
    "tanh_int16_out_scale": ("TANH", ([x("int16")], [("int16", S, (0.01, 0))], None), "2^-15"),
    "tanh_int16_out_zp": ("TANH", ([x("int16")], [("int16", S, (1 / 32768, 1))], None), "zero point 0"),
    "relu_int16_in_zp": ("RELU", ([q("int16", quant=(0.05, 1))], [("int16", S)], None), "zero point 0"),
    "softmax_int8_scale": ("SOFTMAX", ([x("int8")], [("int8", S, (1 / 255, -128))], _options("SoftmaxOptions",
                                                                                               beta=1.0)), "1/256"),
    "softmax_int8_int16_zp": ("SOFTMAX", ([x("int8")], [("int16", S, (1 / 65536, 0))],
                                          _options("SoftmaxOptions", beta=1.0)), "zero point -32768"),
    "softmax_int16_scale": ("SOFTMAX", ([x("int16")], [("int16", S, (1 / 30000, 0))],
                                        _options("SoftmaxOptions", beta=1.0)), "1/32768"),
    "softmax_int16_scale_near": ("SOFTMAX", ([x("int16")], [("int16", S, (1.0005 / 32768, 0))],
                                             _options("SoftmaxOptions", beta=1.0)), None),
    "log_softmax_int8": ("LOG_SOFTMAX", ([x("int8")], [("int8", S, (16 / 256, 0))], None), "zero point 127"),
    "mul_int16_zp": ("MUL", ([x("int16"), q("int16", quant=(0.05, 2))], [("int16", S)], _options("MulOptions")),
                     "input 1 'in1' has zero point 2"),
    "squared_difference_int16_zp": ("SQUARED_DIFFERENCE", ([x("int16"), x("int16")], [("int16", S, (0.05, 1))],
                                                           None), "output 0 'out0' has zero point 1"),
    "batch_matmul_int16_zp": ("BATCH_MATMUL", ([q("int16", (1, 2, 2), (0.05, 1)), x("int16", (1, 2, 2))],
                                               [("int16", (1, 2, 2))], _options("BatchMatMulOptions")),
                              "zero point 0"),
    "concatenation_int8_scale": ("CONCATENATION", ([x("int8"), q("int8", quant=(0.1, 0))], [("int8", (1, 2, 2, 4))],
                                                   _options("ConcatenationOptions", axis=3)), "output 0's scale"),
    "concatenation_int8_shared": ("CONCATENATION", ([q("int8", quant=(0.1, 3)), q("int8", quant=(0.1, 3))],
                                                    [("int8", (1, 2, 2, 4), (0.1, 3))],
                                                    _options("ConcatenationOptions", axis=3)), None),
    "concatenation_int16_zp": ("CONCATENATION", ([q("int16", quant=(0.05, 1)), x("int16")],
                                                 [("int16", (1, 2, 2, 4), (0.05, 1))],
                                                 _options("ConcatenationOptions", axis=3)), "zero point 0"),
    "add_n_int8": ("ADD_N", ([x("int8"), q("int8", quant=(0.05, 1))], [("int8", S)], None), "input 0's zero point"),
    "padv2_int8_value": ("PADV2", ([x("int8"), c("int32", _PADS), c("int8", 0, (), quant=(0.1, 0))],
                                   [("int8", (1, 4, 2, 2))], None), "output 0's scale"),
    "average_pool_int8_scale": ("AVERAGE_POOL_2D", ([x("int8")], [("int8", (1, 1, 1, 2), (0.06, 0))], _POOL_OPTIONS),
                                "output 0's scale"),
    "max_pool_int16_zp": ("MAX_POOL_2D", ([x("int16")], [("int16", (1, 1, 1, 2), (0.05, 1))], _POOL_OPTIONS),
                          "output 0's zero point"),
    "max_pool_int8_scale_near": ("MAX_POOL_2D", ([x("int8")], [("int8", (1, 1, 1, 2), (0.05 + 5e-7, 0))],
                                                 _POOL_OPTIONS), None),
    "reduce_max_int8_scale": ("REDUCE_MAX", ([x("int8"), i32(1, 2)], [("int8", (1, 1, 1, 2), (0.1, 0))],
                                             _options("ReducerOptions", keepDims=True)), "output 0's scale"),
    "reduce_min_int8_zp": ("REDUCE_MIN", ([x("int8"), i32(1, 2)], [("int8", (1, 1, 1, 2), (0.05, 1))],
                                          _options("ReducerOptions", keepDims=True)), "output 0's zero point"),
    "conv_per_channel_axis3": ("CONV_2D", ([x("int8"), c("int8", np.ones((3, 1, 1, 2)), quant=([0.05] * 2, [0] * 2, 3)),
                                            _BIAS3], [("int8", (1, 2, 2, 3))], _CONV), "along dimension 0"),
    "conv_per_channel_axis0": ("CONV_2D", ([x("int8"), c("int8", np.ones((3, 1, 1, 2)), quant=([0.05] * 3, [0] * 3, 0)),
                                            _BIAS3], [("int8", (1, 2, 2, 3))], _CONV), None),
    "conv_filter_unquantized": ("CONV_2D", ([x("int8"), c("int8", np.ones((3, 1, 1, 2)), quant=_NONE), _BIAS3],
                                            [("int8", (1, 2, 2, 3))], _CONV), "no quantization parameters"),
    "conv_input_unquantized": ("CONV_2D", ([q("int8", quant=_NONE), c("int8", np.ones((3, 1, 1, 2))), _BIAS3],
                                           [("int8", (1, 2, 2, 3))], _CONV), "input 0 'in0' has no quantization"),
    "depthwise_per_channel_axis1": ("DEPTHWISE_CONV_2D", ([x("int8"), c("int8", np.ones((1, 3, 1, 2)),
                                                                        quant=([0.05] * 3, [0] * 3, 1)), _BIAS2],
                                                          [("int8", S)], _DW), "along dimension 3"),
    "depthwise_per_channel_axis3": ("DEPTHWISE_CONV_2D", ([x("int8"), c("int8", np.ones((1, 3, 1, 2)),
                                                                        quant=([0.05] * 2, [0] * 2, 3)), _BIAS2],
                                                          [("int8", S)], _DW), None),
    "fully_connected_bias_scale": ("FULLY_CONNECTED", _fc((0.05, 0), 0.01), "input scale x weights scale"),
    "fully_connected_bias_near": ("FULLY_CONNECTED", _fc((0.05, 0), 0.05 * 0.05 + 0.0009), None),
    "fully_connected_per_channel": ("FULLY_CONNECTED", _fc(([0.05, 0.1, 0.2], [0] * 3, 0), 0.01), None),
    "svdf_int8_bias_scale": ("SVDF", _svdf("int8", "int8", "int16", "int16", bias_scale=0.003),
                             "activation state scale x weights_time scale"),
    "svdf_int8_bias_scale_near": ("SVDF", _svdf("int8", "int8", "int8", "int8", bias_scale=0.05 * 0.05 + 9e-6), None),
    "transpose_conv_filter_unquantized": ("TRANSPOSE_CONV", _transpose_conv("int8", c("int8", np.ones((2, 1, 1, 2)),
                                                                                    quant=_NONE)),
                                          "input 1 'in1' has no quantization"),
    "transpose_conv_per_channel": ("TRANSPOSE_CONV", _transpose_conv("int8", c("int8", np.ones((2, 1, 1, 2)),
                                                                             quant=([0.05, 0.1], [0, 0], 0))), None),
}


def one_op_model(op: str, inputs, outputs, options) -> bytes:
    b = ModelBuilder()
    add_op(b, op, inputs, outputs, options)
    return b.build()


def add_op(b: ModelBuilder, op: str, inputs, outputs, options) -> None:
    """One use of `op` with its own tensors; graph inputs and outputs appended to b's."""
    ins, outs = [], []
    for k, spec in enumerate(inputs):
        if spec is None:  # an omitted optional input
            ins.append(-1)
            continue
        dtype, shape, data, quant = spec
        q = quant or _QUANT.get(dtype, (None, None))
        variable = isinstance(data, str)  # VARIABLE: a variable tensor (SVDF's state)
        index = b.tensor(f"in{k}", dtype, shape, data=None if variable else data, scale=q[0], zero_point=q[1],
                         axis=(*q, 0)[2])
        ins.append(index)
        if variable:
            b.tensors[index].isVariable = True
        elif data is None:
            b.inputs.append(index)
    for k, (dtype, shape, *quant) in enumerate(outputs):
        q = quant[0] if quant and quant[0] else _QUANT.get(dtype, (None, None))
        outs.append(b.tensor(f"out{k}", dtype, shape, scale=q[0], zero_point=q[1]))
    b.outputs += outs
    options_type, options = options or (0, None)
    b.op(b.opcode(getattr(fb.BuiltinOperator, op)), ins, outs, options_type, options)


def cases(full: bool = FULL):
    """(op, dtypes of its table positions) to judge: every op of SPECS with each of DTYPES at its first
    position; at a second position (CAST's output, CONV_2D's weights) the default run takes the dtypes
    the table accepts there, the full matrix all of DTYPES."""
    for op in sorted(SPECS):
        limit = reference_limits.limit_of(op)
        columns = [DTYPES]
        for k in range(1, len(limit.positions)):
            seen = {d for combo in limit.combos for d in combo[k].split("|")}
            columns.append(DTYPES if full else tuple(d for d in DTYPES if d in seen))
        yield from ((op, dtypes) for dtypes in itertools.product(*columns))


def _feeds(model):
    return [[np.ones(model.main.tensors[i].shape, dtype=_np(model.main.tensors[i].dtype))
             for i in model.main.inputs]]


def _oracle_runs(runner, data: bytes) -> str | None:
    """None when the pinned TFLM prepares and invokes the model, else why not (its last message)."""
    from tinyml_build.verification.oracle import pinned

    model = read_model(data, where="<case>")
    try:
        pinned.run(runner, model, _feeds(model), timeout=60)
    except ModelError as err:
        lines = (err.details or err.what).strip().splitlines()
        return next((line for line in lines if "was not true" in line or "support" in line or ".cc:" in line),
                    lines[-1])
    return None


def all_in_one_model(specs) -> bytes:
    """One model holding one use of each (op, dtypes): one oracle run judges every accepted case."""
    b = ModelBuilder()
    for op, dtypes in specs:
        add_op(b, op, *SPECS[op](*dtypes))
    return b.build()


def test_every_judged_op_has_a_spec():
    """What the table says is what the cross-check below checks, every entry."""
    assert sorted(SPECS) == reference_limits.judged_ops()
    assert set(reference_limits.judged_ops()) <= set(op_inventory.OPS)  # the build looks their kernels up there
    assert reference_limits.limit_of("RESHAPE") is None  # no type check in TFLM's reshape.cc: not judged
    assert reference_limits.limit_of("SOFTMAX").describe() == (
        "input 0 float32 with output 0 float32; input 0 int8 with output 0 int8/int16; "
        "input 0 int16 with output 0 int16")


@pytest.mark.tflm_sources
@needs_sources
def test_each_entry_names_a_kernel_file_of_the_pinned_tree():
    from tinyml_build.runtimes.tflm import sources

    tree = sources.resolve_sources(["ADD"], "reference").trees[sources.TFLM]
    files = {reference_limits.limit_of(op).file for op in reference_limits.judged_ops()}
    assert not [f for f in sorted(files) if not (tree / "tensorflow/lite/micro/kernels" / f).is_file()]


@pytest.fixture(scope="module")
def runner():
    from tinyml_build.verification.oracle import pinned

    if pinned.find_compilers() is None:
        pytest.skip("no host g++/gcc to build the pinned TFLM oracle")
    return pinned.build_runner(pinned.plan_build())


@pytest.mark.tflm_sources
@needs_sources
def test_the_table_says_what_the_pinned_tflm_prepares_and_invokes(runner):
    """Every judged op's spec in each dtype combination: the table's verdict is the oracle's. The uses
    the table accepts run as one model (one AllocateTensors + Invoke); each refused one alone, two at
    a time. ~830 cases, ~40 s (the runner zeroes a 64 MiB arena per run); TINYML_FULL_MATRIX=1: ~3,900."""
    accepted, refused = [], {}
    for op, dtypes in cases():
        data = one_op_model(op, *SPECS[op](*dtypes))
        sg = read_model(data, where="<case>").main
        reason = reference_limits.check_use(sg.operators[0], sg)
        if reason is None:
            accepted.append((op, dtypes))
        else:
            refused[(op, dtypes)] = (reason, data)
    assert len(accepted) > 200 and len(refused) > 300  # the matrix is what it claims to be
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        verdicts = dict(zip(refused, pool.map(lambda case: _oracle_runs(runner, refused[case][1]), refused)))
    wrong = [f"{op}{dtypes}: table: {refused[(op, dtypes)][0]}; but the oracle runs it"
             for (op, dtypes), verdict in verdicts.items() if verdict is None]
    if _oracle_runs(runner, all_in_one_model(accepted)) is not None:  # name the ones that fail alone
        wrong += [f"{op}{dtypes}: table accepts; oracle: {why}" for op, dtypes in accepted
                  if (why := _oracle_runs(runner, one_op_model(op, *SPECS[op](*dtypes)))) is not None]
    assert not wrong, "\n".join(wrong)


@pytest.mark.tflm_sources
@needs_sources
def test_the_quantization_rules_say_what_the_pinned_tflm_prepares_and_invokes(runner):
    """Each quantization case: the refusal names what the case breaks, and the oracle stops on each
    refused case alone and runs the accepted ones (one model). ~35 cases, ~3 s."""
    accepted, wrong = ModelBuilder(), []
    refused = {}
    for name, (op, spec, says) in sorted(QUANT_CASES.items()):
        data = one_op_model(op, *spec)
        sg = read_model(data, where=name).main
        reason = reference_limits.check_use(sg.operators[0], sg)
        if (reason is None) != (says is None) or (says and says not in reason):
            wrong.append(f"{name}: table: {reason}; expected {says or 'accepted'}")
        if says is None:
            add_op(accepted, op, *spec)
        else:
            refused[name] = data
    assert sorted(reference_quant_limits.judged_ops()) == sorted({op for op, _s, says in QUANT_CASES.values()
                                                                   if says})  # every rule has a refused case
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        verdicts = dict(zip(refused, pool.map(lambda name: _oracle_runs(runner, refused[name]), refused)))
    wrong += [f"{name}: table refuses; but the oracle runs it" for name, why in verdicts.items() if why is None]
    wrong += [f"{name}: the oracle stops elsewhere: {why}" for name, why in verdicts.items()  # the ENSURE named
              if why is not None and not re.search(r"/(kernel_util|" + _kernel_file(name) + r")\.cc:\d+ ", why)]
    if (why := _oracle_runs(runner, accepted.build())) is not None:
        wrong += [f"{name}: table accepts; oracle: {why}" for name, (op, spec, says) in sorted(QUANT_CASES.items())
                  if says is None and _oracle_runs(runner, one_op_model(op, *spec)) is not None]
    assert not wrong, "\n".join(wrong)


def test_a_quantization_refusal_names_the_tensor_escaped_once():
    """The tensor name comes from the model: the refusal carries it as it is, and the error and
    `inspect` escape it where they print (escape.terminal), once."""
    from tinyml_build.errors import TinyMLError

    b = ModelBuilder()
    add_op(b, "LOGISTIC", [x("int8")], [("int8", S, (1 / 256, 0))], None)
    b.tensors[b.outputs[0]].name = "y\x1b[2J"
    sg = read_model(b.build(), where="m.tflite").main
    reason = reference_limits.check_use(sg.operators[0], sg)
    assert "output 0 'y\x1b[2J' has zero point 0" in reason, reason
    shown = str(TinyMLError(reason))
    assert "\x1b" not in shown and "output 0 'y\\x1b[2J' has zero point 0" in shown, shown


def _kernel_file(name: str) -> str:
    """The kernel file a refused case's reason names ('logistic_common' of '... reference logistic_common.cc')."""
    op, spec, _says = QUANT_CASES[name]
    sg = read_model(one_op_model(op, *spec), where=name).main
    return re.search(r"reference (\w+)\.cc", reference_limits.check_use(sg.operators[0], sg)).group(1)


# --- what bench/converter_sweep.py found: images that built, then stopped on the device ----------------

def _resize_bilinear_int16() -> bytes:
    """A 16x8-converted UpSampling2D(bilinear): int16 RESIZE_BILINEAR (TFLM's Eval takes float32/int8)."""
    return one_op_model("RESIZE_BILINEAR", *SPECS["RESIZE_BILINEAR"]("int16"))


def _select_v2_int32() -> bytes:
    """Keras 3's Embedding without a fixed batch wraps negative ids with an int32 SELECT_V2."""
    return one_op_model("SELECT_V2", *SPECS["SELECT_V2"]("int32"))


def _fill_runtime_dims() -> bytes:
    """LSTM/GRU(unroll=True) without a fixed batch: the zero state's FILL takes dims from SHAPE."""
    b = ModelBuilder()
    xs = b.tensor("x", "float32", [1, 4])
    b.tensors[xs].shapeSignature = [-1, 4]
    dims = b.tensor("dims", "int32", [2])
    zero = b.tensor("zero", "float32", [], np.array(0, np.float32))
    state = b.tensor("state", "float32", [1, 4])
    b.op(b.opcode(fb.BuiltinOperator.SHAPE), [xs], [dims], *_options("ShapeOptions", outType=TYPE_CODES["int32"]))
    b.op(b.opcode(fb.BuiltinOperator.FILL), [dims, zero], [state])
    b.inputs, b.outputs = [xs], [state]
    return b.build()


FOUND = {"resize_bilinear_int16": (_resize_bilinear_int16, "op #0 RESIZE_BILINEAR (subgraph 0): input 0 int16; "
                                   "TFLM's reference resize_bilinear.cc takes float32 or int8 there"),
         "select_v2_int32": (_select_v2_int32, "op #0 SELECT_V2 (subgraph 0): input 1 int32; TFLM's reference "
                             "select.cc takes float32 or int8 or int16 there"),
         "fill_runtime_dims": (_fill_runtime_dims, "op #1 FILL (subgraph 0): input 0 is computed at run time; "
                               "TFLM's reference fill.cc requires it to be a constant of the model")}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_inspect_says_tflm_cannot_run_what_the_sweep_found(name):
    make, reason = FOUND[name]
    aot, tflm = runtime_support(read_model(make(), where=f"{name}.tflite"))
    assert not tflm.builds and tflm.reason == f"runtime=tflm cannot run this model: {reason}"
    assert tflm.fix.startswith("use runtime=aot") if aot.builds else "re-export the model" in tflm.fix
    if not aot.builds:  # aot's refusal does not send the user to runtime=tflm either
        assert TFLM_FIX not in aot.fix and aot.fix.startswith("runtime=tflm refuses it too (op #"), aot.fix


@pytest.mark.tflm_sources
@needs_sources
def test_the_build_refuses_them_with_one_message(tmp_path):
    """scons runtime=tflm: one error naming op, index, subgraph, types and TFLM's kernel, no traceback;
    the three builds are one scons run each (configuration only: the refusal comes before any compile)."""
    for name, (make, reason) in sorted(FOUND.items()):
        model = tmp_path / f"{name}.tflite"
        model.write_bytes(make())
        result = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", f"model={model}",
                                 "runtime=tflm", f"build_dir={tmp_path / 'b'}"], capture_output=True, text=True,
                                cwd=PROJECT_DIR)
        text = result.stdout + result.stderr
        assert result.returncode != 0 and "Traceback" not in text and 'File "' not in text, text[-2000:]
        assert text.count("scons: ***") == 1 and f"runtime=tflm cannot run this model: {reason}" in text, text[-2000:]
        assert "fix:" in text


def test_auto_builds_aot_when_it_can_and_a_library_kernel_is_not_judged():
    """runtime=auto falls back to aot only when aot builds every model; runtime=tflm refuses naming
    runtime=aot then; an op whose kernel the build's library replaces is not judged by this table."""
    from types import SimpleNamespace

    from tinyml_build.config.build_config import _check_reference_refusals
    from tinyml_build.errors import TinyMLError

    reason = "op #2 TRANSPOSE (subgraph 0): input 1 is computed at run time; TFLM's reference transpose.cc ..."
    facts = SimpleNamespace(reference_refusals=(("TRANSPOSE", reason),), aot_kernels=("transpose",))
    models = [SimpleNamespace(facts=facts, tflite="m.tflite")]
    assert _check_reference_refusals(models, "reference", "auto", "tflm", "TFLM sources resolve") == (
        "aot", "TFLM's reference kernels cannot run op #2 TRANSPOSE (subgraph 0): input 1 is computed at run time")
    with pytest.raises(TinyMLError) as caught:
        _check_reference_refusals(models, "reference", "tflm", "tflm", "runtime=tflm")
    assert caught.value.what == f"runtime=tflm cannot run this model: {reason}"
    assert caught.value.fix.startswith("use runtime=aot") and caught.value.where == "m.tflite"
    assert _check_reference_refusals(models, "cmsis-nn", "tflm", "tflm", "x") == ("tflm", "x")  # cmsis_nn/transpose.cc
    refused_by_aot = [SimpleNamespace(facts=SimpleNamespace(reference_refusals=facts.reference_refusals,
                                                            aot_kernels=None), tflite="m.tflite")]
    with pytest.raises(TinyMLError) as caught:
        _check_reference_refusals(refused_by_aot, "reference", "auto", "tflm", "TFLM sources resolve")
    assert caught.value.fix.startswith("re-export the model")
