"""Train, quantize and describe the `hello_world` sine model.

A 1 -> 16 -> 16 -> 1 dense ReLU network learns y = sin(x) from noisy samples of x in
[0, 2*pi], like TFLM's hello_world example. It is converted to a fully-integer int8 .tflite
(int8 input/output/weights, int32 biases) with a representative dataset, then checked in the
tflite-micro host interpreter -- the same reference the build uses -- and its error against
sin(x) is written into model.yaml together with the file's sha256. The same trained network is
also converted without quantization, to `hello_world_float.tflite`: the float reference model.yaml
names (`reference:`), against which a `test` measures the int8 outputs computed on the target.

Needs the optional `train` dependencies (tensorflow). Run from the repository root:

    python models/hello_world/train.py
"""

import hashlib
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# No oneDNN graph rewrites. The float matmul/convolution kernels still pick their code by the
# CPU's instruction set (oneDNN sgemm: AVX2 and AVX-512 give different bits), so a re-run gives
# the same bytes on the same kind of CPU, not on every CPU.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
from tflite_micro import runtime

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root
from tinyml_build.model.catalog import dump_model_yaml, load_model  # noqa: E402

SEED = 1234
HERE = Path(__file__).resolve().parent
TFLITE_NAME = "hello_world.tflite"
FLOAT_NAME = "hello_world_float.tflite"  # the float reference of the int8 model (same weights)
SAMPLES = 1000
NOISE_STDDEV = 0.1
EPOCHS = 500
BATCH_SIZE = 64
LEARNING_RATE = 0.01  # with Adam's default 1e-3 some seeds stall at a half-fitted curve
EVAL_POINTS = 1000


def seed_everything(seed: int) -> None:
    """Fixed seeds and deterministic kernels, so a re-run gives the same bytes."""
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)


def make_data(rng: np.random.Generator):
    """Noisy sine samples split 60/20/20 into train, validation and test."""
    x = rng.uniform(0.0, 2.0 * np.pi, SAMPLES).astype(np.float32)
    y = (np.sin(x) + NOISE_STDDEV * rng.standard_normal(SAMPLES)).astype(np.float32)
    n_train, n_val = int(0.6 * SAMPLES), int(0.2 * SAMPLES)
    split = (slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, None))
    return [(x[s, None], y[s, None]) for s in split]


def build_model() -> tf.keras.Model:
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(1,), name="x"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )


def quantize_to_int8(model: tf.keras.Model, x_train: np.ndarray) -> bytes:
    """Full-integer conversion; the training inputs calibrate the activation ranges."""

    def representative():
        for value in x_train[:500]:
            yield [value[None, :].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def float_tflite(model: tf.keras.Model) -> bytes:
    """The trained network as a float32 .tflite, no quantization: the int8 model's reference."""
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def run_in_tflm(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """Float outputs of the int8 model for float inputs, via the tflite-micro interpreter."""
    quant = quantization_of(tflite)
    in_scale, in_zero = quant["input"]["scale"], quant["input"]["zero_point"]
    out_scale, out_zero = quant["output"]["scale"], quant["output"]["zero_point"]
    interpreter = runtime.Interpreter.from_bytes(tflite)
    results = []
    for value in x:
        q = np.clip(np.round(value / in_scale) + in_zero, -128, 127).astype(np.int8)
        interpreter.set_input(q.reshape(1, 1), 0)
        interpreter.invoke()
        raw = interpreter.get_output(0).astype(np.float32)
        results.append((raw.reshape(()) - out_zero) * out_scale)
    return np.array(results, dtype=np.float32)


def quantization_of(tflite: bytes) -> dict:
    """Input and output (scale, zero_point) as stated by the model itself."""
    interpreter = runtime.Interpreter.from_bytes(tflite)
    info = {}
    for kind, details in (("input", interpreter.get_input_details(0)),
                          ("output", interpreter.get_output_details(0))):
        q = details["quantization_parameters"]
        info[kind] = {"scale": float(q["scales"][0]), "zero_point": int(q["zero_points"][0])}
    return info


def write_model_yaml(tflite: bytes, metrics: dict, quant: dict) -> None:
    meta = {
        "description": "Sine regression (TFLM hello_world style): 1->16->16->1 dense ReLU net, "
                       "full-integer int8; predicts sin(x) for x in [0, 2*pi].",
        "tflite": TFLITE_NAME,
        "sha256": hashlib.sha256(tflite).hexdigest(),
        "reference": FLOAT_NAME,
        "source": {
            "script": "models/hello_world/train.py",
            "command": "python models/hello_world/train.py",
            "framework": f"tensorflow {tf.__version__} (CPU), seed {SEED}",
            "training": f"Adam lr {LEARNING_RATE}, MSE loss, {EPOCHS} epochs, batch {BATCH_SIZE}",
        },
        "inputs": [{
            "name": "x",
            "shape": [1, 1],
            "dtype": "int8",
            "meaning": "angle x in radians, [0, 2*pi]; int8 = round(x / scale) + zero_point",
            "quantization": quant["input"],
        }],
        "outputs": [{
            "name": "y",
            "shape": [1, 1],
            "dtype": "int8",
            "meaning": "estimate of sin(x); float = (int8 - zero_point) * scale",
            "quantization": quant["output"],
        }],
        "data": f"{SAMPLES} synthetic points: x uniform in [0, 2*pi], y = sin(x) + N(0, {NOISE_STDDEV}^2); "
                "60/20/20 train/validation/test split.",
        "accuracy": metrics,
    }
    header = "Generated by models/hello_world/train.py -- edit the script, not this file."
    (HERE / "model.yaml").write_text(dump_model_yaml(meta, header))
    load_model(HERE)  # the catalog must accept what we wrote


def main() -> None:
    seed_everything(SEED)
    rng = np.random.default_rng(SEED)
    (x_train, y_train), (x_val, y_val), _ = make_data(rng)

    model = build_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE,
              validation_data=(x_val, y_val), shuffle=True, verbose=0)

    tflite = quantize_to_int8(model, x_train)
    (HERE / TFLITE_NAME).write_bytes(tflite)
    (HERE / FLOAT_NAME).write_bytes(float_tflite(model))

    grid = np.linspace(0.0, 2.0 * np.pi, EVAL_POINTS, dtype=np.float32)
    truth = np.sin(grid)
    float_pred = model.predict(grid[:, None], verbose=0).reshape(-1)
    int8_pred = run_in_tflm(tflite, grid)
    metrics = {
        "evaluated_on": f"{EVAL_POINTS} evenly spaced x in [0, 2*pi] against the noiseless sin(x)",
        "float_mae": round(float(np.mean(np.abs(float_pred - truth))), 4),
        "float_max_abs_error": round(float(np.max(np.abs(float_pred - truth))), 4),
        "int8_tflm_mae": round(float(np.mean(np.abs(int8_pred - truth))), 4),
        "int8_tflm_max_abs_error": round(float(np.max(np.abs(int8_pred - truth))), 4),
    }
    write_model_yaml(tflite, metrics, quantization_of(tflite))
    print(f"wrote {TFLITE_NAME} ({len(tflite)} bytes), sha256 {hashlib.sha256(tflite).hexdigest()}")
    for key, value in metrics.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
