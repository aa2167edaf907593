"""Make the TensorFlow-exported graph models of tests/data/tf_graphs/ (control flow, state, shapes).

Why: hand-built models (tests/tflite_builder.py) exercise what we think converters write; these are
what TensorFlow's converter really writes for a `tf.Variable` in a `tf.Module` (CALL_ONCE, VAR_HANDLE,
READ_VARIABLE, ASSIGN_VARIABLE), a `tf.cond` (IF), a `tf.while_loop` (WHILE), and a dilated Keras
Conv1D with a dynamic batch (SPACE_TO_BATCH_ND whose declared batch is a placeholder: refused, see
tinyml_build/analysis/static_shapes.py). tests/test_tf_graph_models.py loads the committed files and
checks each sha256 against index.json; it never imports tensorflow.

Needs tensorflow-cpu and numpy in a separate environment (see tests/make_aot_op_models.py):

    ../venv-tf/bin/python tests/make_tf_graph_models.py
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent / "data" / "tf_graphs"
INDEX_NAME = "index.json"
SEED = 1234


def _modules():
    import tensorflow as tf

    weights = np.random.default_rng(SEED).normal(size=(8, 8)).astype(np.float32)

    class Stateful(tf.Module):
        def __init__(self):
            self.acc = tf.Variable(tf.zeros([1, 8]), name="acc")

        @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
        def __call__(self, x):
            y = tf.matmul(x, weights) + self.acc
            self.acc.assign(0.5 * self.acc + 0.25 * y)
            return tf.nn.relu(y)

    class Cond(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 6], tf.float32)])
        def __call__(self, x):
            return tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * 2.0 + 1.0, lambda: x - 3.0)

    class Loop(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            def cond(i, v):
                return tf.logical_and(i < 5, tf.reduce_max(v) < 100.0)

            def body(i, v):
                return i + 1, v * 1.5 + 0.25

            return tf.while_loop(cond, body, [tf.constant(0), x])[1]

    return {"variable_accumulator": Stateful(), "cond": Cond(), "while_loop": Loop()}


def _convert_module(module, resource_variables: bool) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.__call__.get_concrete_function()], module)
    converter.experimental_enable_resource_variables = resource_variables
    return converter.convert()


def _dilated_conv1d_dynamic_batch() -> bytes:
    """int8 Keras Conv1D with dilation 2 and no fixed batch: SPACE_TO_BATCH_ND declared [1, ...]."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED)
    layers = tf.keras.layers
    inputs = layers.Input((32, 3))
    x = layers.Conv1D(4, 3, dilation_rate=2, activation="relu")(inputs)
    model = tf.keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    rng = np.random.default_rng(SEED)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.normal(size=(1, 32, 3)).astype(np.float32)] for _ in range(8))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def convert_all() -> dict[str, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {f"{name}.tflite": _convert_module(module, name == "variable_accumulator")
                  for name, module in _modules().items()}
        models["dilated_conv1d_dynamic_batch.tflite"] = _dilated_conv1d_dynamic_batch()
    return dict(sorted(models.items()))


def main() -> int:
    import tensorflow as tf

    models = convert_all()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in models.items():
        (DATA_DIR / name).write_bytes(data)
    index = {"generated_by": "tests/make_tf_graph_models.py -- edit the script and rerun it, never this file",
             "tensorflow": tf.__version__, "numpy": np.__version__,
             "models": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                        for name, data in models.items()}}
    (DATA_DIR / INDEX_NAME).write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(models)} models to {DATA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
