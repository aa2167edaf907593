"""Unseen-model sweep: ~40 small Keras models, converted by TensorFlow in every quantization mode
TinyML users pick, pushed through both runtimes' build-time checks and aot's host check.

Why: hand-built test models (tests/tflite_builder.py) hold what we think converters write; users
bring what TensorFlow really writes. This finds the crashes, oracle mismatches and unclear or
wrong refusals before they do. It is a by-hand tool, never a test: TensorFlow is not a test
dependency, and each bug it finds gets a regression test built with tests/tflite_builder.py.

Two steps, two interpreters (TensorFlow's venv lacks the project's dependencies and the other way round):

    /tmp/tfvenv/bin/python bench/converter_sweep.py make  [--out bench/out/sweep] [--only NAME,...]
    PYTHONPATH=$PWD python bench/converter_sweep.py check [--out bench/out/sweep] [--only NAME,...] [--runs 5]

`make` writes <out>/<model>__<mode>.tflite (or <model>__<mode>.error when the converter itself
fails); `check` prints one line per file -- aot ok / refused(reason) / MISMATCH / CRASH and tflm
ok / refused(reason) -- and writes <out>/sweep.json. Where aot refuses a model runtime=tflm's build
checks accept, it also asks the pinned TFLM (the oracle) to invoke it: aot must not refuse what
TFLM runs, and a model TFLM cannot invoke shows what a tflm image would do on the target. A CRASH
is a Python traceback where the project must raise a TinyMLError; each file is checked in its own
process so one crash or hang cannot end the sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "sweep"
SEED = 7
# Quantization modes: what the converter is asked for (see convert()).
ALL_MODES = ("int8", "int8_fio", "16x8", "f32", "dynamic")
# "<mode>_nobatch": the Keras Input without batch_size, as most users write it: the converter
# writes batch -1 in shape_signature (TFLM runs batch 1; static_shapes.py checks what that changes).
NOBATCH = ("int8_nobatch", "f32_nobatch")
BATCH = [1]  # the batch the builders give keras.Input (None for the _nobatch modes)
BASIC_MODES = ("int8", "f32")


# ---------------------------------------------------------------- models (TensorFlow side)

def _models():
    """name -> (builder returning a keras.Model with batch 1, modes). Small shapes: this is about
    which graphs the converter writes, not about speed."""
    import keras
    from keras import layers as L

    def seq(shape, *layers):
        def build():
            inp = keras.Input(shape, batch_size=BATCH[0])
            x = inp
            for layer in layers:
                x = layer(x)
            return keras.Model(inp, x)
        return build

    def conv_bn(filters, kernel, **kw):
        return [L.Conv2D(filters, kernel, use_bias=False, **kw), L.BatchNormalization(), L.ReLU()]

    def resnet8():
        inp = keras.Input((16, 16, 3), batch_size=BATCH[0])
        x = L.Conv2D(8, 3, padding="same")(inp)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        for filters, stride in ((8, 1), (16, 2), (32, 2)):
            y = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
            y = L.BatchNormalization()(y)
            y = L.ReLU()(y)
            y = L.Conv2D(filters, 3, padding="same")(y)
            y = L.BatchNormalization()(y)
            if stride != 1 or x.shape[-1] != filters:
                x = L.Conv2D(filters, 1, strides=stride)(x)
            x = L.ReLU()(L.Add()([x, y]))
        x = L.AveragePooling2D(pool_size=x.shape[1:3])(x)
        x = L.Flatten()(x)
        return keras.Model(inp, L.Softmax()(L.Dense(10)(x)))

    def mobilenet_v1_025():
        inp = keras.Input((32, 32, 3), batch_size=BATCH[0])
        x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inp)
        x = L.ReLU(6.0)(L.BatchNormalization()(x))
        for filters, stride in ((16, 1), (32, 2), (32, 1), (64, 2)):
            x = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
            x = L.ReLU(6.0)(L.BatchNormalization()(x))
            x = L.Conv2D(filters, 1, use_bias=False)(x)
            x = L.ReLU(6.0)(L.BatchNormalization()(x))
        x = L.GlobalAveragePooling2D()(x)
        x = L.Dropout(0.1)(x)
        return keras.Model(inp, L.Softmax()(L.Dense(3)(x)))

    def residual_mul():
        inp = keras.Input((8, 8, 4), batch_size=BATCH[0])
        a = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
        b = L.Conv2D(4, 1, activation="sigmoid")(inp)
        return keras.Model(inp, L.Add()([L.Multiply()([a, b]), inp]))

    def concat_branches():
        inp = keras.Input((8, 8, 3), batch_size=BATCH[0])
        a = L.Conv2D(4, 1)(inp)
        b = L.Conv2D(6, 3, padding="same")(inp)
        c = L.MaxPooling2D(3, strides=1, padding="same")(inp)
        return keras.Model(inp, L.Concatenate()([a, b, c]))

    def autoencoder():
        inp = keras.Input((16, 16, 1), batch_size=BATCH[0])
        x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
        x = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
        x = L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(x)
        x = L.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")(x)
        return keras.Model(inp, x)

    def dense_autoencoder():
        return seq((32,), L.Dense(16, activation="relu"), L.Dense(8, activation="relu"),
                   L.Dense(16, activation="relu"), L.Dense(32))()

    def mha():
        inp = keras.Input((6, 8), batch_size=BATCH[0])
        x = L.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
        x = L.LayerNormalization()(L.Add()([inp, x]))
        return keras.Model(inp, x)

    def embedding():
        inp = keras.Input((6,), batch_size=BATCH[0], dtype="int32")
        x = L.Embedding(20, 8)(inp)
        x = L.GlobalAveragePooling1D()(x)
        return keras.Model(inp, L.Dense(4)(x))

    def unet_small():
        inp = keras.Input((8, 8, 2), batch_size=BATCH[0])
        d = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
        p = L.MaxPooling2D()(d)
        m = L.Conv2D(8, 3, padding="same", activation="relu")(p)
        u = L.UpSampling2D()(m)
        x = L.Concatenate()([u, d])
        return keras.Model(inp, L.Conv2D(1, 1)(x))

    def merges():
        inp = keras.Input((8, 6), batch_size=BATCH[0])
        a = L.Dense(6)(inp)
        b = L.Dense(6, activation="tanh")(inp)
        return keras.Model(inp, L.Concatenate()([L.Subtract()([a, b]), L.Maximum()([a, b]), L.Average()([a, b]),
                                                 L.Minimum()([a, inp])]))

    def attention_dot():
        inp = keras.Input((5, 8), batch_size=BATCH[0])
        q = L.Dense(8)(inp)
        v = L.Dense(8)(inp)
        return keras.Model(inp, L.Attention()([q, v]))

    def normalization():
        norm = L.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1.0])
        return seq((10, 3), norm, L.Dense(4))()

    return {
        "conv2d_groups": (seq((8, 8, 8), L.Conv2D(8, 3, groups=4, padding="same")), ALL_MODES),
        "conv2d_no_bias_relu_max": (seq((8, 8, 3), L.Conv2D(4, 3, use_bias=False), L.ReLU(max_value=3.0)),
                                    ALL_MODES),
        "cropping_permute": (seq((8, 8, 3), L.Cropping2D(((1, 2), (2, 1))), L.Permute((3, 1, 2)), L.Flatten(),
                                 L.Dense(3)), ALL_MODES),
        "standalone_bn": (seq((10, 4), L.BatchNormalization(), L.Dense(3)), ALL_MODES),
        "pool1d": (seq((20, 3), L.MaxPooling1D(2), L.AveragePooling1D(3, strides=2, padding="same")), ALL_MODES),
        "merges": (merges, ALL_MODES),
        "attention_dot": (attention_dot, ALL_MODES),
        "normalization": (normalization, ALL_MODES),
        "softmax_axis1": (seq((4, 6), L.Dense(6), L.Softmax(axis=1)), ALL_MODES),
        "repeat_vector": (seq((6,), L.Dense(4), L.RepeatVector(3), L.Dense(2)), BASIC_MODES),
        "conv_transpose_valid": (seq((5, 5, 3), L.Conv2DTranspose(4, 3, strides=2, padding="valid")), ALL_MODES),
        "depthwise_dilated": (seq((12, 12, 3), L.DepthwiseConv2D(3, dilation_rate=2, padding="same")), ALL_MODES),
        "spatial_dropout_gap1d": (seq((16, 4), L.Conv1D(8, 3, activation="relu"), L.SpatialDropout1D(0.2),
                                       L.GlobalMaxPooling1D()), BASIC_MODES),
        "conv2d_bn_relu": (seq((12, 12, 3), *conv_bn(8, 3, padding="same")), ALL_MODES),
        "conv2d_valid_stride2": (seq((13, 13, 2), L.Conv2D(6, 3, strides=2, padding="valid")), BASIC_MODES),
        "conv2d_same_stride2": (seq((12, 11, 2), L.Conv2D(6, 3, strides=2, padding="same")), BASIC_MODES),
        "conv2d_dilated": (seq((12, 12, 2), L.Conv2D(4, 3, dilation_rate=2, padding="same")), ALL_MODES + NOBATCH),
        "conv2d_5x5_relu6": (seq((10, 10, 3), L.Conv2D(4, 5, activation="relu6")), BASIC_MODES),
        "conv1d_bn": (seq((32, 4), L.Conv1D(8, 3, use_bias=False), L.BatchNormalization(), L.ReLU()),
                      ALL_MODES),
        "conv1d_stride_dilated": (seq((40, 3), L.Conv1D(6, 3, strides=1, dilation_rate=2, padding="causal")),
                                  BASIC_MODES + NOBATCH),
        "conv1d_stride2_same": (seq((33, 3), L.Conv1D(6, 5, strides=2, padding="same")), BASIC_MODES),
        "separable_conv": (seq((10, 10, 4), L.SeparableConv2D(8, 3, padding="same"), L.BatchNormalization(),
                               L.ReLU()), ALL_MODES + NOBATCH),
        "depthwise_mult2": (seq((10, 10, 3), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")),
                            BASIC_MODES),
        "depthwise_stride2_bn": (seq((11, 11, 4), L.DepthwiseConv2D(3, strides=2, use_bias=False),
                                     L.BatchNormalization(), L.ReLU(6.0)), ALL_MODES),
        "dense_stack": (seq((20,), L.Dense(16, activation="relu"), L.Dense(8, activation="relu"),
                            L.Dense(4), L.Softmax()), ALL_MODES + NOBATCH),
        "dense_3d": (seq((5, 6), L.Dense(7, activation="relu")), BASIC_MODES + NOBATCH),
        "global_avg_pool": (seq((8, 8, 4), L.Conv2D(4, 1), L.GlobalAveragePooling2D()), BASIC_MODES),
        "global_max_pool": (seq((8, 8, 4), L.Conv2D(4, 1), L.GlobalMaxPooling2D()), BASIC_MODES),
        "global_avg_pool1d": (seq((16, 4), L.Conv1D(4, 3), L.GlobalAveragePooling1D()), BASIC_MODES + NOBATCH),
        "pool_avg_max": (seq((12, 12, 3), L.AveragePooling2D(2), L.MaxPooling2D(3, strides=2, padding="same")),
                         BASIC_MODES),
        "flatten_reshape": (seq((4, 4, 3), L.Flatten(), L.Dense(12), L.Reshape((3, 4)), L.Dense(2)),
                            BASIC_MODES + NOBATCH),
        "concat_branches": (concat_branches, ALL_MODES + NOBATCH),
        "residual_mul": (residual_mul, ALL_MODES),
        "upsampling_nearest": (seq((4, 4, 3), L.UpSampling2D(2), L.Conv2D(2, 1)), BASIC_MODES),
        "upsampling_bilinear": (seq((4, 4, 3), L.UpSampling2D(2, interpolation="bilinear")), ALL_MODES + NOBATCH),
        "zero_padding": (seq((6, 6, 2), L.ZeroPadding2D(((1, 2), (0, 1))), L.Conv2D(3, 3)), ALL_MODES),
        "act_leaky_relu": (seq((16,), L.Dense(16), L.LeakyReLU(0.2)), ALL_MODES),
        "act_elu": (seq((16,), L.Dense(16), L.ELU()), ALL_MODES),
        "act_prelu": (seq((6, 6, 3), L.Conv2D(4, 1), L.PReLU(shared_axes=[1, 2])), ALL_MODES + NOBATCH),
        "act_sigmoid_tanh": (seq((16,), L.Dense(16, activation="sigmoid"), L.Dense(8, activation="tanh")),
                             ALL_MODES),
        "act_hard_swish": (seq((16,), L.Dense(16), L.Activation("hard_swish")), ALL_MODES),
        "act_gelu": (seq((16,), L.Dense(16), L.Activation("gelu")), ALL_MODES),
        "act_gelu_approx": (seq((16,), L.Dense(16), L.Activation(lambda t: keras.activations.gelu(t, True))),
                            BASIC_MODES),
        "act_swish": (seq((16,), L.Dense(16), L.Activation("swish")), BASIC_MODES),
        "softmax_3d": (seq((4, 10), L.Dense(10), L.Softmax()), BASIC_MODES + NOBATCH),
        "layer_norm": (seq((6, 8), L.Dense(8), L.LayerNormalization()), ALL_MODES + NOBATCH),
        "mha_tiny": (mha, ALL_MODES + NOBATCH),
        "embedding": (embedding, ("int8", "f32", "dynamic") + NOBATCH),
        "lstm": (seq((8, 4), L.LSTM(6)), ALL_MODES),
        "lstm_unrolled": (seq((6, 4), L.LSTM(6, unroll=True)), ALL_MODES + NOBATCH),
        "gru": (seq((8, 4), L.GRU(6)), ALL_MODES),
        "gru_unrolled": (seq((6, 4), L.GRU(6, unroll=True)), ALL_MODES + NOBATCH),
        "autoencoder_conv": (autoencoder, ALL_MODES + NOBATCH),
        "autoencoder_dense": (dense_autoencoder, ALL_MODES),
        "unet_small": (unet_small, BASIC_MODES),
        "mobilenet_v1_025": (mobilenet_v1_025, ALL_MODES + NOBATCH),
        "resnet8": (resnet8, ALL_MODES + NOBATCH),
        # The converter leaves weights under 1,024 elements float in dynamic-range mode: these are
        # big enough to come out hybrid (int8 weights, float activations).
        "wide_dense": (seq((64,), L.Dense(32, activation="relu"), L.Dense(4)), ALL_MODES),
        "wide_conv2d": (seq((6, 6, 16), L.Conv2D(16, 3, padding="same", activation="relu")), ALL_MODES),
        "wide_depthwise": (seq((6, 6, 128), L.DepthwiseConv2D(3, padding="same")), ("int8", "dynamic")),
        "wide_lstm": (seq((4, 16), L.LSTM(16)), ("int8", "dynamic")),
        "wide_conv1d": (seq((16, 16), L.Conv1D(32, 3)), ("dynamic",)),
    }


def _randomize(model, rng) -> None:
    """Untrained weights with BatchNorm at identity fold to trivial scales: give every weight,
    moving mean and variance seeded random values so folding and quantization see real ranges."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        new = []
        for w in weights:
            if "BatchNormalization" in type(layer).__name__:
                new.append(rng.uniform(0.5, 1.5, w.shape).astype(w.dtype))
            else:
                new.append(rng.normal(0.0, 0.5, w.shape).astype(w.dtype))
        layer.set_weights(new)


def convert(model, mode: str, rng) -> bytes:
    """The converter run a user would make for `mode` (int8 / int8_fio = float in and out / 16x8 /
    f32 / dynamic = dynamic-range weights), batch fixed to 1 by the model's Input."""
    import numpy as np
    import tensorflow as tf

    specs = [tf.TensorSpec(t.shape, t.dtype) for t in model.inputs]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # what users call; the batch is 1 by Input
    mode = mode.removesuffix("_nobatch")
    if mode == "f32":
        return converter.convert()
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "dynamic":
        return converter.convert()

    def sample(spec):
        shape = [1 if d is None else d for d in spec.shape]
        if spec.dtype == tf.int32:
            return rng.integers(0, 20, shape).astype(np.int32)
        return rng.uniform(-2, 2, shape).astype(np.float32)

    def representative():
        for _ in range(32):
            yield [sample(s) for s in specs]

    converter.representative_dataset = representative
    if mode == "16x8":
        int16 = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [int16]
        converter.inference_input_type = tf.int16
        converter.inference_output_type = tf.int16
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if mode == "int8":
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    return converter.convert()


def make_one(out: Path, name: str) -> int:
    """Convert one model in every mode of its spec (run in a process of its own: TensorFlow's
    converter segfaults on some graphs, e.g. a Keras GRU quantized to int8)."""
    import numpy as np
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    build, modes = _models()[name]
    for mode in modes:
        BATCH[0] = None if mode.endswith("_nobatch") else 1
        rng = np.random.default_rng(SEED)
        tf.keras.utils.set_random_seed(SEED)
        base = out / f"{name}__{mode}"
        try:
            model = build()
            _randomize(model, rng)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = convert(model, mode, rng)
        except Exception as err:  # the converter's failure is a result of the sweep, not ours
            base.with_suffix(".error").write_text(f"{type(err).__name__}: {str(err)[:400]}\n", encoding="utf-8")
            continue
        base.with_suffix(".tflite").write_bytes(data)
    return 0


def make(out: Path, only: set[str]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, (_, modes) in sorted(_models().items()):
        if only and name not in only:
            continue
        for mode in modes:
            for stale in (out / f"{name}__{mode}.tflite", out / f"{name}__{mode}.error"):
                stale.unlink(missing_ok=True)
        proc = subprocess.run([sys.executable, __file__, "make-one", name, "--out", str(out)],
                              capture_output=True, text=True)
        for mode in modes:
            base = out / f"{name}__{mode}"
            if base.with_suffix(".tflite").exists():
                print(f"{base.name:40s} {base.with_suffix('.tflite').stat().st_size} B", flush=True)
            else:
                if not base.with_suffix(".error").exists():
                    base.with_suffix(".error").write_text(f"converter process ended with status {proc.returncode}\n",
                                                          encoding="utf-8")
                print(f"{base.name:40s} converter failed", flush=True)
    return 0


# ---------------------------------------------------------------- checks (project side)

def _one_line(text: str, limit: int = 150) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _tflm_runs(model) -> str:
    """'yes', or why the oracle (the pinned TFLM built for the host) cannot invoke the model:
    runtime=tflm's build checks leave types to TFLM's Prepare and Eval, on the target."""
    from tinyml_build.errors import TinyMLError
    from tinyml_build.verification.host_check import random_inputs, run_tflm

    try:
        run_tflm(model, random_inputs(model, 1, 0))
    except TinyMLError as err:
        return _one_line(err.what)
    return "yes"


def check_one(path: Path, runs: int) -> dict:
    """Both runtimes' verdicts on one model, as `inspect` and a build reach them, plus aot's host
    check against the pinned oracle. Any exception other than TinyMLError is a CRASH."""
    import traceback

    from tinyml_build.errors import TinyMLError
    from tinyml_build.model.reader import load_model
    from tinyml_build.reports.runtime_support import runtime_support
    from tinyml_build.verification.host_check import check_model

    result = {"model": path.stem}
    try:
        model = load_model(path)
        aot, tflm = runtime_support(model)
    except TinyMLError as err:
        return {**result, "aot": "refused", "aot_reason": _one_line(err.what), "tflm": "refused",
                "tflm_reason": _one_line(err.what)}
    except Exception:
        tb = traceback.format_exc().strip().splitlines()
        return {**result, "aot": "CRASH", "aot_reason": _one_line(" | ".join(tb[-3:])), "tflm": "?"}
    result["ops"] = sorted(set(model.op_names()))
    result["tflm"] = "ok" if tflm.builds else "refused"
    result["tflm_reason"] = _one_line(tflm.reason)
    if not aot.builds:
        result.update(aot="refused", aot_reason=_one_line(aot.reason), aot_lacks=list(aot.lacks))
        if tflm.builds:  # a real gap only when TFLM runs it: ask the pinned TFLM itself
            result["tflm_runs"] = _tflm_runs(model)
        return result
    try:
        report = check_model(model, runs=runs, seed=0, timeout=120)
    except TinyMLError as err:
        return {**result, "aot": "ERROR", "aot_reason": _one_line(err.what)}
    except Exception:
        tb = traceback.format_exc().strip().splitlines()
        return {**result, "aot": "CRASH", "aot_reason": _one_line(" | ".join(tb[-3:]))}
    if report.ok:
        return {**result, "aot": "ok", "aot_reason": ""}
    return {**result, "aot": "MISMATCH", "aot_reason": _one_line(str(report).split("\n", 1)[-1], 300)}


def check(out: Path, only: set[str], runs: int) -> int:
    files = sorted(p for p in out.iterdir() if p.suffix in (".tflite", ".error"))
    results = []
    for path in files:
        name = path.stem.split("__")[0]
        if only and name not in only:
            continue
        if path.suffix == ".error":
            results.append({"model": path.stem, "aot": "n/a", "tflm": "n/a",
                            "aot_reason": "converter: " + _one_line(path.read_text(encoding="utf-8"))})
        else:
            proc = subprocess.run([sys.executable, __file__, "check-one", str(path), "--runs", str(runs)],
                                  capture_output=True, text=True, timeout=900)
            try:
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            except (IndexError, json.JSONDecodeError):
                results.append({"model": path.stem, "aot": "CRASH", "tflm": "?",
                                "aot_reason": _one_line(f"exit {proc.returncode}: {proc.stderr[-300:]}")})
        r = results[-1]
        aot = r["aot"] + (f"({r['aot_reason']})" if r.get("aot_reason") else "")
        tflm = r["tflm"] + (f"({r['tflm_reason']})" if r.get("tflm_reason") else "")
        if "tflm_runs" in r:
            tflm += f"; pinned TFLM invokes it: {r['tflm_runs']}"
        print(f"{r['model']:40s} aot {aot}\n{'':40s} tflm {tflm}", flush=True)
    counts: dict[str, int] = {}
    for r in results:
        key = f"aot {r['aot']} / tflm {r['tflm']}"
        counts[key] = counts.get(key, 0) + 1
    print("\n" + "\n".join(f"{n:4d}  {k}" for k, n in sorted(counts.items())))
    (out / "sweep.json").write_text(json.dumps({"results": results, "counts": counts}, indent=1, sort_keys=True) + "\n",
                                    encoding="utf-8")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("make", "make-one", "check", "check-one"))
    parser.add_argument("path", nargs="?", help="check-one: the .tflite; make-one: the model name")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default="", help="comma-separated model names")
    parser.add_argument("--runs", type=int, default=5, help="seeded inputs per host check")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    if args.step == "make":
        return make(args.out, only)
    if args.step == "make-one":
        return make_one(args.out, args.path)
    if args.step == "check-one":
        print(json.dumps(check_one(Path(args.path), args.runs), sort_keys=True))
        return 0
    return check(args.out, only, args.runs)


if __name__ == "__main__":
    sys.exit(main())
