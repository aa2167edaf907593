"""Train the DS-CNN keyword spotter on the synthetic dataset and ship it as int8 .tflite.

The network has the MLPerf Tiny KWS shape: 49x10x1 MFCC input, Conv2D 64 (10x4, stride 2)
+ BN + ReLU, four depthwise-separable blocks (DW 3x3 + BN + ReLU, PW 1x1 64 + BN + ReLU),
average pool, flatten, dense 12, softmax. It is converted with full-integer int8
quantization (int8 input and output), evaluated on the held-out test voices both as the float
Keras model and as the int8 model in the tflite-micro host interpreter, and described in
model.yaml (sha256, shapes, quantization, labels, front end, accuracy, samples). The same
trained network, unquantized, is written to `kws_float.tflite`: the float reference model.yaml
names (`reference:`), against which a `test` measures the int8 outputs computed on the target.

Needs the optional `train` dependencies (tensorflow) and the dataset from make_dataset.py:

    python models/kws/make_dataset.py && python models/kws/train.py
"""

import argparse
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

import make_dataset
import mfcc

SEED = 1234
HERE = Path(__file__).resolve().parent
TFLITE_NAME = "kws.tflite"
FLOAT_NAME = "kws_float.tflite"  # the float reference of the int8 model (same weights)
EPOCHS = 24
BATCH_SIZE = 100
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4            # L2 on conv and dense kernels
SAMPLE_LABELS = ["yes", "stop", "_unknown_"]


def seed_everything(seed: int) -> None:
    """Fixed seeds and deterministic kernels, so a re-run gives the same bytes."""
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(2)


def build_model(classes: int, batch_size: int | None = None) -> tf.keras.Model:
    layers = tf.keras.layers
    l2 = tf.keras.regularizers.l2(WEIGHT_DECAY)
    inputs = tf.keras.Input(shape=(mfcc.FRAMES, mfcc.MFCC_COUNT, 1), batch_size=batch_size, name="mfcc")
    x = layers.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False,
                      kernel_regularizer=l2)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Dropout(0.2)(x)
    for _ in range(4):
        x = layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False,
                                   depthwise_regularizer=l2)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.Conv2D(64, (1, 1), use_bias=False, kernel_regularizer=l2)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Dropout(0.4)(x)
    x = layers.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, kernel_regularizer=l2)(x)
    outputs = layers.Softmax(name="probabilities")(x)
    return tf.keras.Model(inputs, outputs, name="ds_cnn_kws")


def quantize_to_int8(model: tf.keras.Model, calibration: np.ndarray) -> bytes:
    """Full-integer conversion; training features calibrate the activation ranges."""

    def representative():
        for features in calibration:
            yield [features[None, ...].astype(np.float32)]

    # A copy with a fixed batch of 1 lets the converter fold Flatten's shape arithmetic into
    # constants; with a dynamic batch it emits SHAPE/STRIDED_SLICE/PACK ops for it.
    single = build_model(model.output_shape[-1], batch_size=1)
    single.set_weights(model.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(single)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def float_tflite(model: tf.keras.Model) -> bytes:
    """The trained network as a float32 .tflite (batch 1, like the int8 one): its float reference."""
    single = build_model(model.output_shape[-1], batch_size=1)
    single.set_weights(model.get_weights())
    return tf.lite.TFLiteConverter.from_keras_model(single).convert()


def quantization_of(tflite: bytes) -> dict:
    """Input and output (scale, zero_point) as stated by the model itself."""
    interpreter = runtime.Interpreter.from_bytes(tflite)
    info = {}
    for kind, details in (("input", interpreter.get_input_details(0)),
                          ("output", interpreter.get_output_details(0))):
        q = details["quantization_parameters"]
        info[kind] = {"scale": float(q["scales"][0]), "zero_point": int(q["zero_points"][0])}
    return info


def quantize_input(features: np.ndarray, quant: dict) -> np.ndarray:
    q = np.round(features / quant["input"]["scale"]) + quant["input"]["zero_point"]
    return np.clip(q, -128, 127).astype(np.int8)


def run_in_tflm(tflite: bytes, inputs: np.ndarray) -> np.ndarray:
    """Raw int8 outputs of the model for already-quantized inputs (N, 49, 10, 1)."""
    interpreter = runtime.Interpreter.from_bytes(tflite)
    outputs = []
    for sample in inputs:
        interpreter.set_input(sample[None, ...], 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).reshape(-1).copy())
    return np.stack(outputs)


def per_class_accuracy(predicted: np.ndarray, truth: np.ndarray, names: list[str]) -> dict:
    return {name: round(float(np.mean(predicted[truth == i] == i)), 4)
            for i, name in enumerate(names)}


def write_samples(test_q: np.ndarray, test_y: np.ndarray, int8_out: np.ndarray,
                  names: list[str]) -> list[dict]:
    """A few test inputs as raw int8 files, each one the int8 model classifies correctly."""
    folder = HERE / "samples"
    folder.mkdir(exist_ok=True)
    samples = []
    for label in SAMPLE_LABELS:
        index = names.index(label)
        hits = np.nonzero((test_y == index) & (int8_out.argmax(axis=1) == index))[0]
        chosen = int(hits[0])
        file_name = f"{label.strip('_')}.int8"
        (folder / file_name).write_bytes(test_q[chosen].tobytes())
        samples.append({"file": f"samples/{file_name}", "label": label,
                        "tflm_output": [int(v) for v in int8_out[chosen]]})
    return samples


def write_model_yaml(tflite: bytes, quant: dict, names: list[str], accuracy: dict,
                     counts: dict, samples: list[dict]) -> None:
    meta = {
        "description": "Keyword spotter, DS-CNN with the MLPerf Tiny KWS shape, full-integer int8; "
                       "12 classes (10 keywords, silence, unknown) from 1 s of 16 kHz audio as MFCCs. "
                       "Trained only on synthetic espeak-ng speech, not on real recordings.",
        "tflite": TFLITE_NAME,
        "sha256": hashlib.sha256(tflite).hexdigest(),
        "reference": FLOAT_NAME,
        "source": {
            "script": "models/kws/make_dataset.py, models/kws/train.py",
            "command": "python models/kws/make_dataset.py && python models/kws/train.py",
            "framework": f"tensorflow {tf.__version__} (CPU), seeds {make_dataset.SEED} (data) "
                         f"and {SEED} (training)",
            "training": f"Adam lr {LEARNING_RATE} cosine-decayed, L2 {WEIGHT_DECAY}, "
                        f"{EPOCHS} epochs, batch {BATCH_SIZE}, sparse categorical cross-entropy",
            "architecture": "Conv2D 64 10x4 s2 + BN + ReLU; 4 x (DW 3x3 + BN + ReLU, PW 1x1 64 + BN + "
                            "ReLU); average pool 25x5; flatten; dense 12; softmax",
        },
        "inputs": [{
            "name": "mfcc",
            "shape": [1, mfcc.FRAMES, mfcc.MFCC_COUNT, 1],
            "dtype": "int8",
            "meaning": "49 frames x 10 MFCCs of a 1 s clip (front end below); "
                       "int8 = round(mfcc / scale) + zero_point",
            "quantization": quant["input"],
            "front_end": mfcc.PARAMETERS,
        }],
        "outputs": [{
            "name": "probabilities",
            "shape": [1, len(names)],
            "dtype": "int8",
            "meaning": "softmax over labels, in label order; float = (int8 - zero_point) * scale",
            "quantization": quant["output"],
        }],
        "labels": names,
        "data": "SYNTHETIC, NOT REAL RECORDINGS: keywords and other words spoken by espeak-ng "
                f"({len(make_dataset.ACCENTS)} English accents x {len(make_dataset.VARIANTS)} voice "
                "variants, random speed, pitch and amplitude), resampled to 16 kHz, randomly shifted "
                "inside 1 s, random level, mixed with white/pink/brown noise at 5-40 dB SNR; "
                "_unknown_ = other words, _silence_ = noise alone. Split by voice variant: "
                "validation and test voices never occur in training. "
                "Clips: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                + ". Accuracy on real speech (e.g. Speech Commands) is not measured and is expected to be lower.",
        "accuracy": accuracy,
        "samples": samples,
    }
    header = "Generated by models/kws/train.py -- edit the script, not this file."
    (HERE / "model.yaml").write_text(dump_model_yaml(meta, header))
    load_model(HERE)  # the catalog must accept what we wrote


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=make_dataset.DEFAULT_OUT)
    args = parser.parse_args()
    if not args.dataset.exists():
        raise SystemExit(f"{args.dataset} not found: run python models/kws/make_dataset.py first")

    seed_everything(SEED)
    data = np.load(args.dataset)
    names = [str(n) for n in data["label_names"]]
    features = data["features"][..., None]
    labels, split = data["labels"], data["split"]
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = [
        (features[split == part], labels[split == part]) for part in range(3)]
    counts = {"train": int(len(train_y)), "validation": int(len(val_y)), "test": int(len(test_y))}

    model = build_model(len(names))
    steps = EPOCHS * int(np.ceil(len(train_y) / BATCH_SIZE))
    schedule = tf.keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_x, train_y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
              validation_data=(val_x, val_y), verbose=2)

    float_pred = model.predict(test_x, batch_size=256, verbose=0).argmax(axis=1)
    float_val = model.predict(val_x, batch_size=256, verbose=0).argmax(axis=1)

    calibration = train_x[np.random.default_rng(SEED).permutation(len(train_x))[:400]]
    tflite = quantize_to_int8(model, calibration)
    (HERE / TFLITE_NAME).write_bytes(tflite)
    (HERE / FLOAT_NAME).write_bytes(float_tflite(model))

    quant = quantization_of(tflite)
    test_q = quantize_input(test_x, quant)
    int8_out = run_in_tflm(tflite, test_q)
    int8_pred = int8_out.argmax(axis=1)

    accuracy = {
        "evaluated_on": f"held-out test voices ({len(test_y)} synthetic clips, "
                        f"{len(make_dataset.TEST_VARIANTS)} espeak-ng variants unseen in training)",
        "float_validation": round(float(np.mean(float_val == val_y)), 4),
        "float_test": round(float(np.mean(float_pred == test_y)), 4),
        "int8_tflm_test": round(float(np.mean(int8_pred == test_y)), 4),
        "int8_tflm_test_per_class": per_class_accuracy(int8_pred, test_y, names),
    }
    samples = write_samples(test_q, test_y, int8_out, names)
    write_model_yaml(tflite, quant, names, accuracy, counts, samples)
    print(f"wrote {TFLITE_NAME} ({len(tflite)} bytes), sha256 {hashlib.sha256(tflite).hexdigest()}")
    for key, value in accuracy.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
