"""Accuracy against a float reference: the metrics on hand-made arrays, the dataset and reference
checks, the scoring of reported target outputs, and what the build plan accepts."""

from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_DIR

from tinyml_build.errors import ModelError, TinyMLError
from tinyml_build.model.reader import load_model
from tinyml_build.verification import accuracy, float_reference

HELLO = PROJECT_DIR / "models" / "hello_world"
HELLO_INT8, HELLO_FLOAT = HELLO / "hello_world.tflite", HELLO / "hello_world_float.tflite"


# ---- metrics ----------------------------------------------------------------------------------


def test_identical_outputs_have_no_error():
    x = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    m = accuracy.metrics(x, x.copy())
    assert m == {"mae": 0.0, "rmse": 0.0, "max_abs_error": 0.0, "cosine_similarity": 1.0, "relative_l2": 0.0,
                 "top1_agreement": 1.0}


def test_metrics_by_hand():
    got = np.array([[1.0, 0.0], [0.0, 3.0]])
    want = np.array([[1.0, 1.0], [0.0, 1.0]])
    # errors 0, -1, 0, 2: |e| mean 0.75, e^2 mean 1.25, max 2; ||want|| = sqrt(3)
    m = accuracy.metrics(got, want, labels=np.array([0, 0]))
    assert m["mae"] == 0.75 and m["rmse"] == round(np.sqrt(1.25), 6) and m["max_abs_error"] == 2.0
    assert m["relative_l2"] == round(np.sqrt(5) / np.sqrt(3), 6)
    assert m["cosine_similarity"] == round(4 / (np.sqrt(10) * np.sqrt(3)), 6)
    # argmax: got [0, 1], want [0, 1] (the tie [1, 1] resolves to the first) -> agreement 1
    assert m["top1_agreement"] == 1.0
    assert m["accuracy"] == 0.5 and m["reference_accuracy"] == 0.5


def test_top1_disagreement_and_labels():
    got = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    want = np.array([[0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.4, 0.6]])
    m = accuracy.metrics(got, want, labels=np.array([0, 1, 1, 1]))
    assert m["top1_agreement"] == 0.75  # sample 1 flips
    assert m["accuracy"] == 0.75 and m["reference_accuracy"] == 0.5


def test_regression_outputs_have_no_top1():
    m = accuracy.metrics(np.array([[0.5], [1.0]]), np.array([[0.5], [0.5]]), labels=np.array([0, 0]))
    assert "top1_agreement" not in m and "accuracy" not in m
    assert m["max_abs_error"] == 0.5


def test_zero_reference_edge_cases():
    zero = np.zeros((2, 3))
    assert accuracy.metrics(zero, zero)["cosine_similarity"] == 1.0
    m = accuracy.metrics(np.ones((2, 3)), zero)
    assert m["cosine_similarity"] == 0.0 and m["relative_l2"] == float("inf")


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="cannot be compared"):
        accuracy.metrics(np.zeros((2, 3)), np.zeros((2, 4)))


def test_quantize_rounds_saturates_and_dequantize_inverts():
    q = accuracy.quantize(np.array([0.0, 0.26, -0.26, 100.0, -100.0]), 0.5, -1, np.int8)
    assert q.dtype == np.int8 and q.tolist() == [-1, 0, -2, 127, -128]
    assert accuracy.dequantize(np.array([-1, 0, 127], np.int8), 0.5, -1).tolist() == [0.0, 0.5, 64.0]
    assert accuracy.dequantize(np.array([1.5], np.float32), 0.0, 0).tolist() == [1.5]  # float: as it is


# ---- datasets, the float reference, scoring ------------------------------------------------------


def test_dataset_float_inputs_are_quantized_with_the_models_input(tmp_path):
    model = load_model(HELLO_INT8)
    q = model.main.tensors[model.main.inputs[0]].quantization
    x = np.linspace(0.0, 6.0, 5, dtype=np.float32).reshape(5, 1)
    np.save(tmp_path / "x.npy", x)
    data = float_reference.load_dataset(tmp_path / "x.npy", model)
    assert data.total == 5 and len(data.quantized) == 5 and data.labels is None
    expected = accuracy.quantize(x, q.scale[0], q.zero_point[0], np.int8)
    assert [d.tolist() for d in data.quantized] == [e.reshape(1, 1).tolist() for e in expected]
    assert data.quantized[0].dtype == np.int8 and data.real[0].dtype == np.float32


def test_dataset_npz_with_labels_and_quantized_inputs(tmp_path):
    model = load_model(HELLO_INT8)
    np.savez(tmp_path / "d.npz", inputs=np.array([[-128], [0], [127]], np.int8), labels=np.array([0, 1, 2]))
    data = float_reference.load_dataset(tmp_path / "d.npz", model)
    assert [d.item() for d in data.quantized] == [-128, 0, 127]
    assert data.labels.tolist() == [0, 1, 2]
    q = model.main.tensors[model.main.inputs[0]].quantization
    assert data.real[0].item() == pytest.approx(0.0) and data.real[1].item() == pytest.approx(128 * q.scale[0])


def test_dataset_is_capped_to_the_budget(tmp_path):
    model = load_model(HELLO_INT8)
    np.save(tmp_path / "x.npy", np.zeros((100, 1), np.float32))
    data = float_reference.load_dataset(tmp_path / "x.npy", model, budget=20)  # 2 bytes per vector
    assert len(data.quantized) == 10 and data.total == 100


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: np.save(d / "bad.npy", np.zeros((4, 3), np.float32)), "dataset inputs are float32 [4, 3]"),
    (lambda d: np.save(d / "bad.npy", np.zeros((4, 1), np.int16)), "dataset inputs are int16"),
    (lambda d: np.savez(d / "bad.npz", images=np.zeros((4, 1))), "no 'inputs' (or 'x') array"),
    (lambda d: np.savez(d / "bad.npz", x=np.zeros((4, 1), np.float32), y=np.zeros(3)), "3 labels for 4 inputs"),
    (lambda d: (d / "bad.npy").write_bytes(b"not numpy"), "cannot read the dataset"),
])
def test_a_dataset_that_does_not_fit_is_refused(tmp_path, make, message):
    make(tmp_path)
    path = next(tmp_path.glob("bad.*"))
    with pytest.raises(ModelError) as err:
        float_reference.load_dataset(path, load_model(HELLO_INT8))
    assert message in str(err.value)


def test_the_reference_must_match_the_models_shapes_in_float():
    int8, ref = load_model(HELLO_INT8), load_model(HELLO_FLOAT)
    float_reference.check_reference(ref, int8)  # the shipped pair matches
    with pytest.raises(ModelError, match="not float32"):
        float_reference.check_reference(int8, int8)
    kws = load_model(PROJECT_DIR / "models" / "kws" / "kws.tflite")
    with pytest.raises(ModelError, match=r"inputs are \[\(1, 1\)\]"):
        float_reference.check_reference(ref, kws)


def test_kws_ships_its_float_reference_and_it_classifies_the_samples():
    """models/kws is a pair made by one train.py run: the float model has the int8 model's shapes, and
    on model.yaml's three samples (dequantized with the int8 input's scale) it picks each sample's label."""
    import yaml

    folder = PROJECT_DIR / "models" / "kws"
    meta = yaml.safe_load((folder / "model.yaml").read_text())
    assert meta["reference"] == "kws_float.tflite"
    int8, ref = load_model(folder / "kws.tflite"), load_model(folder / meta["reference"])
    float_reference.check_reference(ref, int8)
    q = meta["inputs"][0]["quantization"]
    inputs = [(np.fromfile(folder / s["file"], np.int8).astype(np.float32) - q["zero_point"]) * q["scale"]
              for s in meta["samples"]]
    outputs = float_reference.reference_outputs(ref, [x.reshape(1, 49, 10, 1) for x in inputs])
    assert [meta["labels"][int(np.argmax(o[0]))] for o in outputs] == [s["label"] for s in meta["samples"]]


def test_the_float_reference_runs_in_tflite_micro():
    """hello_world's float model learned sin(x): its outputs on a few angles are close to sin."""
    x = np.array([0.5, 1.5, 3.0, 4.5], np.float32)
    outputs = float_reference.reference_outputs(load_model(HELLO_FLOAT), [v.reshape(1, 1) for v in x])
    assert np.allclose([o[0].item() for o in outputs], np.sin(x), atol=0.15)


def _section(float_outputs, labels=None, first=2):
    return {"reference": "f.tflite", "interpreter": "tflite-micro test", "inputs": "d.npz", "first_vector": first,
            "samples": len(float_outputs), "available": 9, "labels": labels,
            "outputs": [{"dtype": "int8", "scale": 0.5, "zero_point": -128}], "float_outputs": float_outputs}


def test_target_outputs_are_dequantized_and_scored():
    # int8 -128 + k  ->  0.5 * k: vector 2 says [0.0, 1.0], vector 3 says [1.5, 0.5]
    reported = {(2, 0): "8082", (3, 0): "8381", (0, 0): "ffff"}
    section = _section([[[0.0, 1.0]], [[0.5, 1.0]]], labels=[1, 1])
    figures = float_reference.target_accuracy(section, reported)
    assert figures["max_abs_error"] == 1.0 and figures["mae"] == 0.375  # errors 0, 0, 1, -0.5
    assert figures["top1_agreement"] == 0.5 and figures["accuracy"] == 0.5 and figures["reference_accuracy"] == 1.0
    assert figures["samples"] == 2 and figures["available"] == 9 and figures["reference"] == "f.tflite"


def test_a_missing_target_output_is_named():
    figures = float_reference.target_accuracy(_section([[[0.0]]]), {})
    assert figures["error"] == "vector 2 output 0 not reported"


# ---- the build plan --------------------------------------------------------------------------------


def _plan(tmp_path, models=("hello_world",), **options):
    from tinyml_build.config.build_config import resolve
    from tinyml_build.config.options import OptionValues, collect, declared_options
    from tinyml_build.image.plan import plan_firmware

    values = OptionValues.from_given(collect(options, [], declared_options()), declared_options())
    config = resolve(PROJECT_DIR, "qemu-m4", ",".join(models), runtime="aot", build_dir=str(tmp_path))
    return plan_firmware(config, PROJECT_DIR, values)


def test_model_yaml_reference_needs_inputs_to_measure(tmp_path):
    assert _plan(tmp_path).models[0].accuracy is None  # hello_world: a reference, but no samples
    np.save(tmp_path / "x.npy", np.zeros((3, 1), np.float32))
    plan = _plan(tmp_path, dataset=str(tmp_path / "x.npy"))
    assert plan.models[0].accuracy == float_reference.AccuracyRequest(HELLO_FLOAT, tmp_path / "x.npy")
    assert set(plan.models[0].golden_inputs) == {HELLO_FLOAT, tmp_path / "x.npy"}


def test_kws_is_measured_against_its_shipped_reference_on_its_samples(tmp_path):
    plan = _plan(tmp_path, models=("kws",))
    assert plan.models[0].accuracy == float_reference.AccuracyRequest(
        PROJECT_DIR / "models" / "kws" / "kws_float.tflite", None)


@pytest.mark.parametrize(("options", "models", "message"), [
    ({"reference": "no/such.tflite"}, ("hello_world",), "reference=no/such.tflite: no such file"),
    ({"reference": str(HELLO_FLOAT)}, ("hello_world",), "reference= needs inputs"),
    ({"dataset": "DATA"}, ("hello_world", "kws"), "dataset= applies to one model"),
])
def test_the_plan_refuses_what_cannot_be_measured(tmp_path, options, models, message):
    np.save(tmp_path / "x.npy", np.zeros((3, 1), np.float32))
    options = {k: v.replace("DATA", str(tmp_path / "x.npy")) for k, v in options.items()}
    with pytest.raises(TinyMLError) as err:
        _plan(tmp_path, models, **options)
    assert message in str(err.value)


def test_a_dataset_without_any_reference_is_refused(tmp_path):
    from tinyml_build.image.plan import _accuracy_request

    with pytest.raises(TinyMLError, match="dataset= needs a float reference"):
        _accuracy_request(None, Path("x.npy"), (), False)


def test_the_plan_still_imports_no_numpy():
    """Every scons run imports the plan while reading the build description: the accuracy glue
    (numpy) is imported by the golden step only."""
    import subprocess
    import sys

    code = "import sys, tinyml_build.image.plan; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_DIR, check=True)
    assert result.stdout.strip() == "False"
