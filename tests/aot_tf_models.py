"""Tiny single-op TFLite models built with TensorFlow, for checking aot kernels against TFLM.

Complements aot_op_models.py (hand-built with ModelBuilder): here each entry is a float
function plus input shapes, and `op_model` converts it with full-integer
quantization (int8, or 16x8: int16 activations with int8 weights) and a seeded
representative dataset, so the quantization parameters are the ones real converters
produce. Conversions are cached for the pytest session (they take ~0.3 s each, plus ~5 s
to import tensorflow once). Tests skip when tensorflow is not installed.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

_CACHE: dict[tuple[str, bool], Path] = {}


def _specs() -> dict:
    import tensorflow as tf

    rng = np.random.default_rng(1234)

    def const(*shape, scale=0.5):
        return rng.normal(0.0, scale, shape).astype(np.float32)

    filter_same = const(3, 3, 5, 4)  # conv2d_transpose filter layout: h, w, out, in
    filter_valid = const(2, 4, 6, 3)
    bias6 = const(6)
    row = const(1, 1, 1, 6)
    return {
        # elementwise binary
        "add": (lambda a, b: a + b, [(1, 4, 5, 6), (1, 4, 5, 6)]),
        "add_relu": (lambda a, b: tf.nn.relu(a + b), [(1, 4, 5, 6), (1, 4, 5, 6)]),
        "add_bcast": (lambda a, b: a + b, [(2, 3, 1, 6), (1, 1, 4, 1)]),
        "add_const_row": (lambda a: a + row, [(1, 3, 4, 6)]),
        "add_bcast5d": (lambda a, b: a + b, [(2, 1, 3, 1, 4), (1, 2, 1, 5, 4)]),
        "sub": (lambda a, b: a - b, [(1, 4, 5, 6), (1, 4, 5, 6)]),
        "sub_bcast": (lambda a, b: a - b, [(1, 4, 5, 6), (1, 1, 1, 6)]),
        "sub_scalar_first": (lambda a, b: a - b, [(1, 1, 1, 1), (1, 3, 4, 5)]),
        "mul": (lambda a, b: a * b, [(1, 4, 5, 6), (1, 4, 5, 6)]),
        "mul_bcast": (lambda a, b: a * b, [(3, 1, 5), (1, 4, 1)]),
        "mul_relu6": (lambda a, b: tf.nn.relu6(a * b), [(2, 8), (2, 8)]),
        # elementwise unary
        "logistic": (lambda x: tf.sigmoid(x), [(1, 256)]),
        "tanh": (lambda x: tf.tanh(x), [(1, 256)]),
        "relu": (lambda x: tf.nn.relu(x), [(1, 16, 16)]),
        "relu6": (lambda x: tf.nn.relu6(x), [(1, 16, 16)]),
        "leaky_relu": (lambda x: tf.nn.leaky_relu(x, alpha=0.2), [(1, 16, 16)]),
        "hard_swish": (lambda x: x * tf.nn.relu6(x + 3.0) / 6.0, [(1, 256)]),
        # data movement and reductions
        "pad": (lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), [(1, 4, 5, 3)]),
        "pad_channels": (lambda x: tf.pad(x, [[0, 1], [1, 0], [0, 0], [2, 3]]), [(1, 3, 4, 2)]),
        "concat": (lambda a, b: tf.concat([a, b], axis=3), [(1, 3, 4, 2), (1, 3, 4, 5)]),
        "concat_axis1": (lambda a, b, c: tf.concat([a, b, c], axis=1), [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
        "mean_hw": (lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True), [(1, 5, 7, 6)]),
        "mean_last": (lambda x: tf.reduce_mean(x, axis=[-1]), [(2, 3, 10)]),
        "mean_outer": (lambda x: tf.reduce_mean(x, axis=[0, 2]), [(3, 4, 5, 2)]),
        "strided_slice": (lambda x: x[:, 1:5:2, ::3, 1:], [(1, 6, 7, 4)]),
        "strided_slice_neg": (lambda x: x[:, ::-1, 2:-1, :], [(1, 4, 6, 3)]),
        "strided_slice_shrink": (lambda x: x[:, 2, 1:, ::2], [(2, 4, 5, 6)]),
        # transpose convolution
        "transpose_conv": (lambda x: tf.nn.conv2d_transpose(x, filter_same, (1, 9, 11, 5), strides=2, padding="SAME"),
                           [(1, 5, 6, 4)]),
        "transpose_conv_valid_bias": (
            lambda x: tf.nn.conv2d_transpose(x, filter_valid, (1, 5, 9, 6), strides=(1, 2), padding="VALID") + bias6,
            [(1, 4, 3, 3)]),
    }



def convert(name: str, int16: bool = False, seed: int = 0) -> bytes:
    """The .tflite bytes of model `name`, fully integer quantized (int8, or 16x8 when int16)."""
    import tensorflow as tf

    fn, shapes = _specs()[name]
    rng = np.random.default_rng(seed)
    concrete = tf.function(fn).get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in shapes])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative():
        for _ in range(32):
            yield [rng.uniform(-4, 4, s).astype(np.float32) for s in shapes]

    converter.representative_dataset = representative
    if int16:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int16 if int16 else tf.int8
    converter.inference_output_type = tf.int16 if int16 else tf.int8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "statistics for quantized inputs were expected": not needed here
        return converter.convert()


def op_model(tmp_path_factory, name: str, int16: bool = False) -> Path:
    """Path of the converted model, converted once per session; skips without tensorflow."""
    pytest.importorskip("tensorflow", reason="tensorflow builds the per-op test models")
    key = (name, int16)
    if key not in _CACHE:
        path = tmp_path_factory.mktemp("aot_op_models") / f"{name}{'_16x8' if int16 else ''}.tflite"
        path.write_bytes(convert(name, int16))
        _CACHE[key] = path
    return _CACHE[key]
