"""Make the tiny single-op TFLite models of tests/data/aot_ops/ with TensorFlow.

Each spec below is a float function plus input shapes; `convert` turns it into a .tflite with
full-integer quantization (int8, or 16x8: int16 activations with int8 weights) and a seeded
representative dataset, so the quantization parameters are the ones real converters produce.
The tests (through tests/aot_tf_models.py) load the committed files and check each one's
sha256 against tests/data/aot_ops/index.json; they never import tensorflow.

Needs tensorflow-cpu and numpy, which are not project dependencies: keep them in a separate
environment, e.g. `python3 -m venv ../venv-tf && ../venv-tf/bin/pip install tensorflow-cpu numpy`.
Run from anywhere:

    ../venv-tf/bin/python tests/make_aot_op_models.py           # rewrite the files and the index
    ../venv-tf/bin/python tests/make_aot_op_models.py --check   # convert again, compare with the index

Conversions are seeded, so a rerun with the same tensorflow and numpy versions gives the same
bytes (`--check` verifies this); another tensorflow version may produce different bytes, and
the index records the version used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain kernels: same numbers on every CPU

import numpy as np  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent / "data" / "aot_ops"
INDEX_NAME = "index.json"
COMMAND = "python tests/make_aot_op_models.py"
SPEC_SEED = 1234  # constants inside the specs (filters, biases, rows)
DATASET_SEED = 0  # representative dataset of every conversion
DATASET_SAMPLES = 32
# Specs converted to int8 only; every other spec is converted to int8 and to 16x8.
INT8_ONLY = {
    "hard_swish": "the converter cannot quantize HARD_SWISH to 16x8",
    "logistic": "runtime=aot has no int16 LOGISTIC (a clear error, tested with a hand-built model)",
    "tanh": "runtime=aot has no int16 TANH (a clear error, tested with a hand-built model)",
}


def specs() -> dict:
    import tensorflow as tf

    rng = np.random.default_rng(SPEC_SEED)

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


def file_name(name: str, int16: bool) -> str:
    """Kept in step with tests/aot_tf_models.py."""
    return f"{name}{'_16x8' if int16 else ''}.tflite"


def convert(spec, int16: bool = False, seed: int = DATASET_SEED) -> bytes:
    """The .tflite bytes of one spec, fully integer quantized (int8, or 16x8 when int16)."""
    import tensorflow as tf

    fn, shapes = spec
    rng = np.random.default_rng(seed)
    concrete = tf.function(fn).get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in shapes])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative():
        for _ in range(DATASET_SAMPLES):
            yield [rng.uniform(-4, 4, s).astype(np.float32) for s in shapes]

    converter.representative_dataset = representative
    if int16:
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int16 if int16 else tf.int8
    converter.inference_output_type = tf.int16 if int16 else tf.int8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "statistics for quantized inputs were expected": not needed here
        return converter.convert()


def convert_all() -> dict[str, tuple[str, bool, bytes]]:
    """file name -> (spec name, int16, bytes) for every spec and quantization, in a fixed order."""
    out = {}
    for name, spec in specs().items():
        for int16 in (False,) if name in INT8_ONLY else (False, True):
            out[file_name(name, int16)] = (name, int16, convert(spec, int16))
    return out


def index(models: dict[str, tuple[str, bool, bytes]]) -> dict:
    import tensorflow as tf

    return {
        "generated_by": "tests/make_aot_op_models.py -- edit the script and rerun it, never this file",
        "command": COMMAND + "   (from the repository root, in an environment with tensorflow-cpu and numpy)",
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "seeds": {"spec_constants": SPEC_SEED, "representative_dataset": DATASET_SEED,
                  "representative_samples": DATASET_SAMPLES},
        "deterministic": "rerunning with the same tensorflow and numpy versions gives the same bytes "
                         "(`--check` converts again and compares); another tensorflow version may not",
        "int8_only": INT8_ONLY,
        "models": {file: {"spec": name, "quantization": "16x8" if int16 else "int8", "bytes": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()}
                   for file, (name, int16, data) in models.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="convert again and compare with the committed files instead of writing")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output folder (default {DATA_DIR})")
    args = parser.parse_args(argv)
    models = convert_all()
    if args.check:
        committed = json.loads((args.out / INDEX_NAME).read_text())
        fresh = index(models)
        differ = sorted(f for f in fresh["models"].keys() | committed["models"].keys()
                        if fresh["models"].get(f, {}).get("sha256") != committed["models"].get(f, {}).get("sha256"))
        print(f"tensorflow {fresh['tensorflow']} (index: {committed['tensorflow']}), {len(models)} models, "
              f"{len(differ)} differ{': ' + ', '.join(differ) if differ else ''}")
        return 1 if differ else 0
    args.out.mkdir(parents=True, exist_ok=True)
    stale = {p.name for p in args.out.glob("*.tflite")} - models.keys()
    for name in stale:
        (args.out / name).unlink()
    for file, (_, _, data) in models.items():
        (args.out / file).write_bytes(data)
    (args.out / INDEX_NAME).write_text(json.dumps(index(models), indent=1) + "\n")
    total = sum(len(data) for _, _, data in models.values())
    print(f"wrote {len(models)} models ({total} bytes) and {INDEX_NAME} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
