"""The model catalog: `model=` values resolved to a .tflite file and its facts.

A catalog model is a folder under `models/` holding `model.yaml` next to its .tflite; the
folder name is the model's name. `model=` may also be a path to any .tflite file (or to a
catalog folder). model.yaml is read by the project's strict YAML loader (config/strict_yaml.py:
duplicate keys and syntax errors name the line) and checked by its schema (catalog_schema.py) --
unknown or missing keys, wrong types, and a sha256 that does not match the .tflite are errors that
name the file and the key -- so a stale or mistyped description never silently reaches a build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tinyml_build.config.strict_yaml import load_checked
from tinyml_build.errors import ModelError, suggest

METADATA_FILE = "model.yaml"

KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")
KERAS_CONVERSION_HINT = (
    "convert it to a fully int8-quantized .tflite first, e.g. in Python with tensorflow: "
    "c = tf.lite.TFLiteConverter.from_keras_model(tf.keras.models.load_model(PATH)); "
    "c.optimizations = [tf.lite.Optimize.DEFAULT]; c.representative_dataset = SAMPLES; "
    "c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]; "
    "c.inference_input_type = c.inference_output_type = tf.int8; open('model.tflite', 'wb').write(c.convert()) "
    "(models/hello_world/train.py does exactly this)")


@dataclass(frozen=True)
class CatalogModel:
    """A resolved `model=`: its name, .tflite path, one-line description and model.yaml facts.

    `metadata` is empty for a bare .tflite path that has no model.yaml.
    """

    name: str
    tflite: Path
    description: str
    metadata: dict = field(default_factory=dict)


def list_models(models_dir: Path) -> list[str]:
    """Names of the catalog models: sub-folders of `models_dir` that contain model.yaml."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if (p / METADATA_FILE).is_file())


def load_model(model_dir: Path, check_sha256: bool = True) -> CatalogModel:
    """Read and validate `model_dir/model.yaml`; the .tflite must exist and match its sha256."""
    model_dir = Path(model_dir)
    yaml_path = model_dir / METADATA_FILE
    where = str(yaml_path)
    if not yaml_path.is_file():
        raise ModelError(f"no {METADATA_FILE} in model folder '{model_dir}'", where,
                         f"add {METADATA_FILE} (see models/hello_world/) or pass a .tflite path")
    meta = load_checked(yaml_path, where, ModelError, _check, context={"folder": str(model_dir)})
    for i, sample in enumerate(meta.get("samples", [])):
        if not (model_dir / sample["file"]).is_file():
            raise ModelError(f"samples[{i}].file: the sample file '{sample['file']}' does not exist",
                             where, "add the file or remove the entry")
    if "reference" in meta and not (model_dir / meta["reference"]).is_file():
        raise ModelError(f"reference: the float model '{meta['reference']}' does not exist", where,
                         f"re-create it with: {meta['source']['command']} (or remove the entry)")
    tflite = model_dir / meta["tflite"]
    if not tflite.is_file():
        raise ModelError(f"tflite: the model file '{meta['tflite']}' does not exist", where,
                         f"re-create it with: {meta['source']['command']}")
    if check_sha256:
        actual = hashlib.sha256(tflite.read_bytes()).hexdigest()
        if actual != meta["sha256"]:
            raise ModelError(f"sha256 of {meta['tflite']} is {actual}, model.yaml says {meta['sha256']}",
                             where, f"the .tflite changed without its description: re-run "
                                    f"{meta['source']['command']} (or restore the file)")
    return CatalogModel(name=model_dir.name, tflite=tflite, description=meta["description"], metadata=meta)


def _check(data, shown: str, context: dict) -> None:
    from tinyml_build.model.catalog_schema import check

    check(data, shown, context["folder"])


def resolve_model(value: str, models_dir: Path, base_dir: Path | None = None) -> CatalogModel:
    """Turn a `model=` value -- a catalog name, a .tflite path or a model folder -- into a model.

    Relative paths are taken from `base_dir`: the project folder for scons (where it runs; its
    SConscript reading moves the process's current directory elsewhere), else the current directory.
    """
    value = str(value).strip()
    models_dir = Path(models_dir)
    names = list_models(models_dir)
    if not value:
        raise ModelError("model= is empty", "model=",
                         f"pass a catalog name ({', '.join(names) or 'none found'}) or a path to a .tflite")
    if value in names:
        return load_model(models_dir / value)

    looks_like_path = value.endswith(".tflite") or "/" in value or "\\" in value
    path = Path(value)
    if not path.is_absolute():
        path = Path(base_dir or Path.cwd()) / path
    if path.is_dir():
        if (path / METADATA_FILE).is_file():
            return load_model(path)
        found = sorted(p.name for p in path.glob("*.tflite"))
        hint = (f"it holds {', '.join(found[:5])}: pass one of them, e.g. model={Path(value) / found[0]}" if found
                else f"a model folder holds a .tflite and a {METADATA_FILE} (see models/hello_world/)")
        raise ModelError(f"'{value}' is a folder without {METADATA_FILE}", "model=", hint)
    if path.is_file():
        if path.suffix.lower() in KERAS_SUFFIXES:
            raise ModelError(f"'{value}' is a Keras model, not a TensorFlow Lite flatbuffer", "model=",
                             KERAS_CONVERSION_HINT)
        if path.suffix.lower() in (".pb", "") and (path.parent / "saved_model.pb").exists():
            raise ModelError(f"'{value}' belongs to a TensorFlow SavedModel, not a .tflite", "model=",
                             KERAS_CONVERSION_HINT)
        if path.suffix != ".tflite":
            raise ModelError(f"'{value}' is not a .tflite file", "model=",
                             "pass a TensorFlow Lite flatbuffer (*.tflite) or a catalog name")
        return CatalogModel(name=path.stem, tflite=path, description="", metadata={})
    if looks_like_path:
        raise ModelError(f"model file '{value}' not found", "model=",
                         f"check the path (a relative path is taken from {base_dir or 'the current directory'})")
    raise ModelError(f"unknown model '{value}'", "model=",
                     f"use a model name ({suggest(value, names, 'models')}) or a path to a .tflite file")


def dump_model_yaml(meta: dict, header: str = "") -> str:
    """model.yaml text for `meta`: keys in the given order, mappings as blocks, lists of
    scalars on one line -- so generated descriptions diff cleanly and read well."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _list(dumper, data):
        flat = all(not isinstance(item, (dict, list)) for item in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    _Dumper.add_representer(list, _list)
    text = yaml.dump(meta, Dumper=_Dumper, sort_keys=False, width=100, default_flow_style=False,
                     allow_unicode=True)
    return "".join(f"# {line}\n" for line in header.splitlines()) + text
