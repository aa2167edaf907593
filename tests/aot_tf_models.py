"""Tiny single-op TFLite models converted by TensorFlow, for checking aot kernels against TFLM.

Complements aot_op_models.py (hand-built with ModelBuilder): these come out of the real
converter (full-integer int8, or 16x8: int16 activations with int8 weights, with a seeded
representative dataset), so their quantization parameters are the ones real converters produce.
tests/make_aot_op_models.py made them once with TensorFlow; they are committed under
tests/data/aot_ops/ with their sha256 in index.json, so the tests never need tensorflow.
"""

import functools
import hashlib
import json
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parent / "data" / "aot_ops"
INDEX = DATA_DIR / "index.json"
REGENERATE = "rerun tests/make_aot_op_models.py (with tensorflow; see its docstring)"


def file_name(name: str, int16: bool) -> str:
    """Kept in step with tests/make_aot_op_models.py."""
    return f"{name}{'_16x8' if int16 else ''}.tflite"


@functools.cache
def _index() -> dict:
    return json.loads(INDEX.read_text(encoding="utf-8"))["models"]


def op_model(name: str, int16: bool = False) -> Path:
    """Path of the committed model `name` (16x8 when int16), after checking its sha256 against the index."""
    file = file_name(name, int16)
    entry = _index().get(file)
    if entry is None:
        pytest.fail(f"{file} is not listed in {INDEX}: add its spec to tests/make_aot_op_models.py and {REGENERATE}",
                    pytrace=False)
    path = DATA_DIR / file
    if not path.is_file():
        pytest.fail(f"{path} is missing: {REGENERATE}", pytrace=False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        pytest.fail(f"{path} has sha256 {digest}, {INDEX.name} says {entry['sha256']}: the file was changed by hand "
                    f"or not regenerated with its index; {REGENERATE}", pytrace=False)
    return path
