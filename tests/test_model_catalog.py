"""The model catalog: listing, strict model.yaml validation and `model=` resolution."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from tinyml_build.errors import ModelError, TinyMLError
from tinyml_build.model.catalog import CatalogModel, list_models, load_model, resolve_model

REPO_MODELS = Path(__file__).resolve().parents[1] / "models"
TFLITE_BYTES = b"\x1c\x00\x00\x00TFL3" + bytes(range(64))  # content only matters for the sha256


def _model_yaml(tflite_bytes: bytes = TFLITE_BYTES, **changes) -> dict:
    meta = {
        "description": "A tiny test model.",
        "tflite": "tiny.tflite",
        "sha256": hashlib.sha256(tflite_bytes).hexdigest(),
        "source": {"script": "make_tiny.py", "command": "python make_tiny.py"},
        "inputs": [{"name": "x", "shape": [1, 1], "dtype": "int8", "meaning": "input"}],
        "outputs": [{"name": "y", "shape": [1, 2], "dtype": "int8", "meaning": "scores"}],
        "data": "none",
        "labels": ["a", "b"],
    }
    meta.update(changes)
    return meta


def _write_model(models_dir: Path, name: str, meta: dict | str, tflite_bytes: bytes = TFLITE_BYTES) -> Path:
    folder = models_dir / name
    folder.mkdir(parents=True)
    (folder / "tiny.tflite").write_bytes(tflite_bytes)
    text = meta if isinstance(meta, str) else yaml.safe_dump(meta, sort_keys=False)
    (folder / "model.yaml").write_text(text)
    return folder


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    _write_model(root, "tiny", _model_yaml())
    _write_model(root, "kws_small", _model_yaml())
    (root / "not_a_model").mkdir()
    return root


def test_lists_only_folders_with_model_yaml(models_dir):
    assert list_models(models_dir) == ["kws_small", "tiny"]
    assert list_models(models_dir / "absent") == []


def test_resolves_catalog_name(models_dir):
    model = resolve_model("tiny", models_dir)
    assert isinstance(model, CatalogModel)
    assert model.name == "tiny"
    assert model.tflite == models_dir / "tiny" / "tiny.tflite"
    assert model.description == "A tiny test model."
    assert model.metadata["labels"] == ["a", "b"]


def test_unknown_name_suggests_closest(models_dir):
    with pytest.raises(ModelError) as info:
        resolve_model("tinny", models_dir)
    assert info.value.what == "unknown model 'tinny'"
    assert info.value.where == "model="
    assert "closest: tiny" in info.value.fix and "path to a .tflite" in info.value.fix


def test_path_to_any_tflite(models_dir, tmp_path):
    loose = tmp_path / "elsewhere" / "my_net.tflite"
    loose.parent.mkdir()
    loose.write_bytes(TFLITE_BYTES)
    model = resolve_model(str(loose), models_dir)
    assert (model.name, model.tflite, model.metadata) == ("my_net", loose, {})
    relative = resolve_model("elsewhere/my_net.tflite", models_dir, base_dir=tmp_path)
    assert relative.tflite == loose


def test_path_to_model_folder(models_dir, tmp_path):
    model = resolve_model("models/tiny", models_dir, base_dir=tmp_path)
    assert model.name == "tiny" and model.metadata["data"] == "none"


def test_missing_tflite_path(models_dir, tmp_path):
    with pytest.raises(ModelError, match="model file 'nets/gone.tflite' not found"):
        resolve_model("nets/gone.tflite", models_dir, base_dir=tmp_path)


def test_non_tflite_file_is_refused(models_dir, tmp_path):
    (tmp_path / "weights.onnx").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a .tflite"):
        resolve_model("weights.onnx", models_dir, base_dir=tmp_path)


def test_tflite_named_in_yaml_is_missing(models_dir):
    (models_dir / "tiny" / "tiny.tflite").unlink()
    with pytest.raises(ModelError) as info:
        load_model(models_dir / "tiny")
    assert info.value.what.startswith("tflite: ")
    assert info.value.where.endswith("model.yaml")
    assert "python make_tiny.py" in info.value.fix


def test_malformed_yaml_names_file_and_line(tmp_path):
    folder = _write_model(tmp_path, "broken", "description: [unclosed\ntflite: x.tflite\n")
    with pytest.raises(ModelError) as info:
        load_model(folder)
    assert "malformed YAML" in info.value.what
    assert info.value.where.startswith(str(folder / "model.yaml") + ":")


def test_empty_yaml(tmp_path):
    folder = _write_model(tmp_path, "empty", "")
    with pytest.raises(ModelError, match="is empty"):
        load_model(folder)


def test_unknown_key_is_named_with_suggestion(tmp_path):
    folder = _write_model(tmp_path, "typo", _model_yaml(lables=["a"]))
    with pytest.raises(ModelError) as info:
        load_model(folder)
    assert info.value.what == "lables: unknown key"
    assert info.value.where == str(folder / "model.yaml")
    assert "'labels'" in info.value.fix


def test_nested_unknown_key_has_its_path(tmp_path):
    bad_input = [{"name": "x", "shape": [1], "dtype": "int8", "meaning": "m", "scale": 0.5}]
    folder = _write_model(tmp_path, "nested", _model_yaml(inputs=bad_input))
    with pytest.raises(ModelError, match=r"inputs\[0\]\.scale: unknown key"):
        load_model(folder)


def test_missing_key_is_named(tmp_path):
    meta = _model_yaml()
    del meta["description"]
    folder = _write_model(tmp_path, "nodesc", meta)
    with pytest.raises(ModelError, match="description: missing required key"):
        load_model(folder)


@pytest.mark.parametrize("change, message", [
    ({"inputs": "x"}, "inputs: expected a list"),
    ({"outputs": []}, r"outputs: expected a list of tensors \(at least one\), got an empty list"),
    ({"sha256": "ABC"}, "sha256: must be 64 lowercase hex digits"),
    ({"inputs": [{"name": "x", "shape": [1, 0], "dtype": "int8", "meaning": "m"}]}, "shape"),
    ({"inputs": [{"name": "x", "shape": [1], "dtype": "int4", "meaning": "m"}]}, "dtype"),
    ({"labels": ["a", 2]}, r"labels\[1\]"),
    ({"tflite": "../elsewhere/tiny.tflite"}, "tflite: must be a file name"),
    ({"tflite": "tiny.onnx"}, "tflite: must be a file name ending in .tflite"),
    ({"samples": [{"file": "samples/none.int8", "label": "a"}]}, "sample file"),
])
def test_wrong_values_are_refused(tmp_path, change, message):
    folder = _write_model(tmp_path, "wrong", _model_yaml(**change))
    with pytest.raises(ModelError, match=message):
        load_model(folder)


def test_sha256_mismatch(models_dir):
    (models_dir / "tiny" / "tiny.tflite").write_bytes(TFLITE_BYTES + b"changed")
    with pytest.raises(ModelError) as info:
        resolve_model("tiny", models_dir)
    assert "sha256" in info.value.what
    assert hashlib.sha256(TFLITE_BYTES + b"changed").hexdigest() in info.value.what
    assert "python make_tiny.py" in info.value.fix


def test_errors_are_user_errors_not_tracebacks(models_dir):
    with pytest.raises(TinyMLError) as info:
        resolve_model("", models_dir)
    assert "model= is empty" in str(info.value)


@pytest.mark.parametrize("name", ["hello_world", "kws"])
def test_shipped_models_are_valid(name):
    if not (REPO_MODELS / name / "model.yaml").is_file():
        pytest.skip(f"models/{name}/model.yaml not present in this checkout")
    model = resolve_model(name, REPO_MODELS)
    assert model.tflite.read_bytes()[4:8] == b"TFL3"
    assert model.metadata["inputs"][0]["dtype"] == "int8"
    assert model.metadata["outputs"][0]["dtype"] == "int8"


def test_shipped_kws_labels_and_samples():
    folder = REPO_MODELS / "kws"
    if not (folder / "model.yaml").is_file():
        pytest.skip("models/kws/model.yaml not present in this checkout")
    meta = load_model(folder).metadata
    assert meta["labels"][-2:] == ["_silence_", "_unknown_"] and len(meta["labels"]) == 12
    input_bytes = 1
    for dim in meta["inputs"][0]["shape"]:
        input_bytes *= dim
    for sample in meta["samples"]:
        assert (folder / sample["file"]).stat().st_size == input_bytes
        assert sample["label"] in meta["labels"]


def _tflm_runtime():
    return pytest.importorskip("tflite_micro", reason="tflite-micro host interpreter not installed").runtime


def test_shipped_hello_world_computes_sine():
    runtime = _tflm_runtime()
    if not (REPO_MODELS / "hello_world" / "model.yaml").is_file():
        pytest.skip("models/hello_world not present in this checkout")
    model = load_model(REPO_MODELS / "hello_world")
    quant_in = model.metadata["inputs"][0]["quantization"]
    quant_out = model.metadata["outputs"][0]["quantization"]
    interpreter = runtime.Interpreter.from_bytes(model.tflite.read_bytes())
    errors = []
    for x in np.linspace(0.0, 2.0 * np.pi, 50):
        q = np.clip(np.round(x / quant_in["scale"]) + quant_in["zero_point"], -128, 127)
        interpreter.set_input(np.array([[q]], dtype=np.int8), 0)
        interpreter.invoke()
        y = (int(interpreter.get_output(0).reshape(())) - quant_out["zero_point"]) * quant_out["scale"]
        errors.append(abs(y - np.sin(x)))
    assert max(errors) < 0.2, f"worst error {max(errors):.3f}"


def test_shipped_kws_samples_give_recorded_outputs():
    runtime = _tflm_runtime()
    if not (REPO_MODELS / "kws" / "model.yaml").is_file():
        pytest.skip("models/kws not present in this checkout")
    model = load_model(REPO_MODELS / "kws")
    shape = model.metadata["inputs"][0]["shape"]
    interpreter = runtime.Interpreter.from_bytes(model.tflite.read_bytes())
    for sample in model.metadata["samples"]:
        data = np.fromfile(REPO_MODELS / "kws" / sample["file"], dtype=np.int8).reshape(shape)
        interpreter.set_input(data, 0)
        interpreter.invoke()
        output = interpreter.get_output(0).reshape(-1)
        assert output.tolist() == sample["tflm_output"]
        assert model.metadata["labels"][int(output.argmax())] == sample["label"]


def test_project_code_never_imports_tensorflow():
    """Only the training scripts under models/ may need tensorflow (the optional `train` extra)."""
    package = Path(__file__).resolve().parents[1] / "tinyml_build"
    offenders = [str(p.relative_to(package.parent)) for p in sorted(package.rglob("*.py"))
                 if re.search(r"^\s*(import|from)\s+tensorflow\b", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_a_folder_without_model_yaml_names_its_tflite_files(tmp_path, models_dir):
    folder = tmp_path / "exported"
    folder.mkdir()
    (folder / "net.tflite").write_bytes(b"x")
    with pytest.raises(ModelError) as info:
        resolve_model(str(folder), models_dir)
    assert "is a folder without model.yaml" in info.value.what and "not found" not in info.value.what
    assert "net.tflite" in info.value.fix
    (folder / "net.tflite").unlink()
    with pytest.raises(ModelError) as info:
        resolve_model(str(folder), models_dir)
    assert "models/hello_world" in info.value.fix


@pytest.mark.parametrize("name", ["model.h5", "model.keras", "model.hdf5"])
def test_a_keras_file_gets_the_conversion_recipe(tmp_path, models_dir, name):
    (tmp_path / name).write_bytes(b"\x89HDF")
    with pytest.raises(ModelError) as info:
        resolve_model(str(tmp_path / name), models_dir)
    assert "is a Keras model" in info.value.what
    assert "TFLiteConverter.from_keras_model" in info.value.fix and "TFLITE_BUILTINS_INT8" in info.value.fix
