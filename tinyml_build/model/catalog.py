"""The model catalog: `model=` values resolved to a .tflite file and its facts.

A catalog model is a folder under `models/` holding `model.yaml` next to its .tflite; the
folder name is the model's name. `model=` may also be a path to any .tflite file (or to a
catalog folder). model.yaml is checked strictly -- unknown or missing keys, wrong types, and a
sha256 that does not match the .tflite are errors that name the file and the key -- so a stale
or mistyped description never silently reaches a build.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tinyml_build.errors import ModelError, closest_names, suggest

METADATA_FILE = "model.yaml"

# key -> (required, expected type) for the top level of model.yaml
TOP_LEVEL_KEYS = {
    "description": (True, str),
    "tflite": (True, str),
    "sha256": (True, str),
    "source": (True, dict),
    "inputs": (True, list),
    "outputs": (True, list),
    "data": (True, str),
    "accuracy": (False, dict),
    "labels": (False, list),
    "samples": (False, list),
}
SOURCE_KEYS = {"script": (True, str), "command": (True, str),
               "framework": (False, str), "training": (False, str), "architecture": (False, str)}
TENSOR_KEYS = {"name": (True, str), "shape": (True, list), "dtype": (True, str),
               "meaning": (True, str), "quantization": (False, dict), "front_end": (False, dict)}
SAMPLE_KEYS = {"file": (True, str), "label": (True, str), "tflm_output": (False, list)}
DTYPES = {"int8", "uint8", "int16", "int32", "float32"}
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
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
    try:
        meta = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no {METADATA_FILE} in model folder '{model_dir}'", where,
                         f"add {METADATA_FILE} (see models/hello_world/) or pass a .tflite path")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"{yaml_path}:{mark.line + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ModelError(f"{METADATA_FILE} is not valid YAML: {problem}", where,
                         "fix the YAML syntax (indentation, quoting, ':' after keys)")
    _check_mapping(meta, TOP_LEVEL_KEYS, where, "")
    _check_mapping(meta["source"], SOURCE_KEYS, where, "source.")
    for kind in ("inputs", "outputs"):
        if not meta[kind]:
            raise ModelError(f"key '{kind}' lists no tensors", where, f"describe each of the model's {kind}")
        for i, tensor in enumerate(meta[kind]):
            _check_tensor(tensor, where, f"{kind}[{i}].")
    for i, label in enumerate(meta.get("labels", [])):
        if not isinstance(label, str):
            raise ModelError(f"key 'labels[{i}]' must be a string, got {label!r}", where,
                             "write each label as a string")
    for i, sample in enumerate(meta.get("samples", [])):
        _check_mapping(sample, SAMPLE_KEYS, where, f"samples[{i}].")
        if not (model_dir / sample["file"]).is_file():
            raise ModelError(f"sample file '{sample['file']}' (key 'samples[{i}].file') does not exist",
                             where, "add the file or remove the entry")
    if not SHA256_PATTERN.fullmatch(meta["sha256"]):
        raise ModelError("key 'sha256' must be 64 lowercase hex digits", where,
                         f"set it to the output of: sha256sum {model_dir / meta['tflite']}")

    if Path(meta["tflite"]).name != meta["tflite"] or not meta["tflite"].endswith(".tflite"):
        raise ModelError(f"key 'tflite' must be a file name ending in .tflite, got '{meta['tflite']}'",
                         where, "put the .tflite next to model.yaml and give only its name")
    tflite = model_dir / meta["tflite"]
    if not tflite.is_file():
        raise ModelError(f"the model file '{meta['tflite']}' (key 'tflite') does not exist", where,
                         f"re-create it with: {meta['source']['command']}")
    if check_sha256:
        actual = hashlib.sha256(tflite.read_bytes()).hexdigest()
        if actual != meta["sha256"]:
            raise ModelError(f"sha256 of {meta['tflite']} is {actual}, model.yaml says {meta['sha256']}",
                             where, f"the .tflite changed without its description: re-run "
                                    f"{meta['source']['command']} (or restore the file)")
    return CatalogModel(name=model_dir.name, tflite=tflite, description=meta["description"], metadata=meta)


def resolve_model(value: str, models_dir: Path, base_dir: Path | None = None) -> CatalogModel:
    """Turn a `model=` value -- a catalog name, a .tflite path or a model folder -- into a model.

    Relative paths are taken from `base_dir` (the current directory if not given).
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
                         "check the path (a relative path is taken from the current directory)")
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


def _check_mapping(value, spec: dict, where: str, prefix: str) -> None:
    """Exactly the keys of `spec`, each of its type; errors name the key with its path."""
    if value is None and not prefix:
        raise ModelError(f"{METADATA_FILE} is empty", where, "describe the model (see models/hello_world/)")
    if not isinstance(value, dict):
        shown = prefix.rstrip(".") or "the top level"
        raise ModelError(f"{shown} must be a mapping of keys, got {type(value).__name__}", where,
                         "write it as 'key: value' lines")
    unknown = sorted(set(value) - set(spec), key=str)
    if unknown:
        key = unknown[0]
        hint = "".join(f"did you mean '{prefix}{c}'? " for c in closest_names(str(key), spec, limit=1))
        raise ModelError(f"unknown key '{prefix}{key}'", where, f"{hint}valid keys: {', '.join(sorted(spec))}")
    for key, (required, kind) in spec.items():
        if key not in value:
            if required:
                raise ModelError(f"missing key '{prefix}{key}'", where,
                                 f"add '{prefix}{key}:' ({_type_name(kind)})")
            continue
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            raise ModelError(f"key '{prefix}{key}' must be a {_type_name(kind)}, "
                             f"got {type(value[key]).__name__}", where, f"correct the value of '{key}'")


def _check_tensor(tensor, where: str, prefix: str) -> None:
    _check_mapping(tensor, TENSOR_KEYS, where, prefix)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in tensor["shape"]):
        raise ModelError(f"key '{prefix}shape' must be a list of positive integers, got {tensor['shape']}",
                         where, "write the shape like [1, 49, 10, 1]")
    if tensor["dtype"] not in DTYPES:
        raise ModelError(f"key '{prefix}dtype' is '{tensor['dtype']}'", where,
                         f"use one of: {', '.join(sorted(DTYPES))}")


def _type_name(kind: type) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(kind, kind.__name__)
