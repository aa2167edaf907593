"""Single-op .tflite models for runtime=aot kernel checks (built with tflite_builder.ModelBuilder).

Each function returns the bytes of a tiny model exercising one op with chosen options, so
tests can sweep strides, padding, activations, per-channel scales, odd sizes... and compare
the generated C with the tflite-micro interpreter.
"""

import numpy as np
from tflite_builder import ModelBuilder

from tinyml_build.model.schema import fb

ACTIVATIONS = {
    "NONE": fb.ActivationFunctionType.NONE,
    "RELU": fb.ActivationFunctionType.RELU,
    "RELU6": fb.ActivationFunctionType.RELU6,
    "RELU_N1_TO_1": fb.ActivationFunctionType.RELU_N1_TO_1,
}
PADDINGS = {"SAME": fb.Padding.SAME, "VALID": fb.Padding.VALID}


def _out_size(padding: str, size: int, k: int, stride: int, dilation: int = 1) -> int:
    effective = (k - 1) * dilation + 1
    return (size + stride - 1) // stride if padding == "SAME" else (size + stride - effective) // stride


def softmax_model(shape=(1, 10), in_scale=0.1, in_zp=3, beta=1.0, out_dtype="int8") -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", "int8", shape, scale=in_scale, zero_point=in_zp)
    if out_dtype == "int8":
        y = b.tensor("y", "int8", shape, scale=1 / 256, zero_point=-128)
    else:
        y = b.tensor("y", "int16", shape, scale=1 / 65536, zero_point=-32768)
    options = fb.SoftmaxOptionsT()
    options.beta = beta
    b.op(b.opcode(fb.BuiltinOperator.SOFTMAX, version=2), [x], [y], fb.BuiltinOptions.SoftmaxOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def quantize_model(in_dtype="float32", out_dtype="int8", shape=(2, 5), in_scale=0.05, in_zp=0, out_scale=0.1,
                   out_zp=-7) -> bytes:
    b = ModelBuilder()
    quantized_in = in_dtype != "float32"
    x = b.tensor("x", in_dtype, shape, scale=in_scale if quantized_in else None,
                 zero_point=in_zp if quantized_in else None)
    y = b.tensor("y", out_dtype, shape, scale=out_scale, zero_point=out_zp)
    b.op(b.opcode(fb.BuiltinOperator.QUANTIZE), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def dequantize_model(in_dtype="int8", shape=(3, 4), scale=0.037, zp=-5) -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", in_dtype, shape, scale=scale, zero_point=zp)
    y = b.tensor("y", "float32", shape)
    b.op(b.opcode(fb.BuiltinOperator.DEQUANTIZE), [x], [y])
    b.inputs, b.outputs = [x], [y]
    return b.build()


def conv_model(in_shape=(1, 9, 9, 3), out_channels=4, kernel=(3, 3), stride=(1, 1), dilation=(1, 1), padding="SAME",
               activation="NONE", per_channel=True, bias=True, in_zp=-3, out_zp=5, groups=1, seed=0,
               out_scale=0.08) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, c = in_shape
    fic = c // groups
    kh, kw = kernel
    oh = _out_size(padding, h, kh, stride[0], dilation[0])
    ow = _out_size(padding, w, kw, stride[1], dilation[1])
    b = ModelBuilder()
    x = b.tensor("x", "int8", in_shape, scale=0.05, zero_point=in_zp)
    w_scales = rng.uniform(0.002, 0.02, out_channels) if per_channel else [0.01]
    weights = b.tensor("w", "int8", [out_channels, kh, kw, fic],
                       data=rng.integers(-127, 128, (out_channels, kh, kw, fic)).astype(np.int8),
                       scale=w_scales, zero_point=[0] * len(w_scales))
    inputs = [x, weights]
    if bias:
        bias_scales = [0.05 * s for s in (w_scales if per_channel else [0.01] * out_channels)]
        inputs.append(b.tensor("b", "int32", [out_channels],
                               data=rng.integers(-2000, 2000, out_channels).astype(np.int32),
                               scale=bias_scales if per_channel else bias_scales[:1],
                               zero_point=[0] * (out_channels if per_channel else 1)))
    y = b.tensor("y", "int8", [n, oh, ow, out_channels], scale=out_scale, zero_point=out_zp)
    options = fb.Conv2DOptionsT()
    options.padding = PADDINGS[padding]
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dilation
    options.fusedActivationFunction = ACTIVATIONS[activation]
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=3), inputs, [y], fb.BuiltinOptions.Conv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def depthwise_model(in_shape=(1, 9, 9, 4), multiplier=1, kernel=(3, 3), stride=(1, 1), dilation=(1, 1), padding="SAME",
                    activation="NONE", per_channel=True, in_zp=-3, out_zp=5, seed=0, out_scale=0.08) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, c = in_shape
    oc = c * multiplier
    kh, kw = kernel
    oh = _out_size(padding, h, kh, stride[0], dilation[0])
    ow = _out_size(padding, w, kw, stride[1], dilation[1])
    b = ModelBuilder()
    x = b.tensor("x", "int8", in_shape, scale=0.05, zero_point=in_zp)
    w_scales = list(rng.uniform(0.002, 0.02, oc)) if per_channel else [0.01]
    weights = b.tensor("w", "int8", [1, kh, kw, oc], data=rng.integers(-127, 128, (1, kh, kw, oc)).astype(np.int8),
                       scale=w_scales, zero_point=[0] * len(w_scales), axis=3)
    bias_scales = [0.05 * s for s in w_scales]
    bias = b.tensor("b", "int32", [oc], data=rng.integers(-2000, 2000, oc).astype(np.int32),
                    scale=bias_scales, zero_point=[0] * len(bias_scales))
    y = b.tensor("y", "int8", [n, oh, ow, oc], scale=out_scale, zero_point=out_zp)
    options = fb.DepthwiseConv2DOptionsT()
    options.padding = PADDINGS[padding]
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dilation
    options.depthMultiplier = multiplier
    options.fusedActivationFunction = ACTIVATIONS[activation]
    b.op(b.opcode(fb.BuiltinOperator.DEPTHWISE_CONV_2D, version=3), [x, weights, bias], [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def fc_model(batches=1, features=8, units=4, activation="NONE", per_channel=False, in_zp=-3, out_zp=2, out_scale=0.1,
             seed=0, in_scale=0.05, w_scale=0.02) -> bytes:
    """x[batches, features] -> FULLY_CONNECTED(units), int8; per-channel weight scales optional."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    x = b.tensor("x", "int8", [batches, features], scale=in_scale, zero_point=in_zp)
    w_scales = list(rng.uniform(0.002, 0.04, units)) if per_channel else [w_scale]
    w = b.tensor("w", "int8", [units, features], data=rng.integers(-127, 128, (units, features)).astype(np.int8),
                 scale=w_scales, zero_point=[0] * len(w_scales))
    bias = b.tensor("b", "int32", [units], data=rng.integers(-3000, 3000, units).astype(np.int32),
                    scale=[in_scale * s for s in w_scales], zero_point=[0] * len(w_scales))
    y = b.tensor("y", "int8", [batches, units], scale=out_scale, zero_point=out_zp)
    options = fb.FullyConnectedOptionsT()
    options.fusedActivationFunction = ACTIVATIONS[activation]
    b.op(b.opcode(fb.BuiltinOperator.FULLY_CONNECTED, version=4), [x, w, bias], [y],
         fb.BuiltinOptions.FullyConnectedOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


def pool_model(kind="AVERAGE_POOL_2D", in_shape=(1, 9, 9, 5), filter=(3, 3), stride=(2, 2), padding="SAME",
               activation="NONE", zp=-4) -> bytes:
    n, h, w, c = in_shape
    oh = _out_size(padding, h, filter[0], stride[0])
    ow = _out_size(padding, w, filter[1], stride[1])
    b = ModelBuilder()
    x = b.tensor("x", "int8", in_shape, scale=0.05, zero_point=zp)
    y = b.tensor("y", "int8", [n, oh, ow, c], scale=0.05, zero_point=zp)
    options = fb.Pool2DOptionsT()
    options.padding = PADDINGS[padding]
    options.strideH, options.strideW = stride
    options.filterHeight, options.filterWidth = filter
    options.fusedActivationFunction = ACTIVATIONS[activation]
    b.op(b.opcode(getattr(fb.BuiltinOperator, kind), version=2), [x], [y], fb.BuiltinOptions.Pool2DOptions, options)
    b.inputs, b.outputs = [x], [y]
    return b.build()
