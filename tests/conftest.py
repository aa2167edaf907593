"""Shared fixtures: where the reference models are, and tests/ on sys.path for helpers.

The reference models are ../shared/models beside the checkout, or the folder named by
$TINYML_SHARED_MODELS; tests that need them skip when it is absent.
"""

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = TESTS_DIR.parent
SHARED_MODELS_VARIABLE = "TINYML_SHARED_MODELS"
SHARED_MODELS = Path(os.environ.get(SHARED_MODELS_VARIABLE) or PROJECT_DIR.parent / "shared" / "models")
_WHERE = f"shared/models beside the checkout, or set {SHARED_MODELS_VARIABLE}"

if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))


def project_checkout(dest: Path, items=("SConstruct", "site_scons", "tinyml_build", "targets", "models/kws",
                                        "models/hello_world")) -> Path:
    """A copy of the parts of the checkout a build needs, at `dest` (a second checkout elsewhere)."""
    import shutil

    for item in items:
        source = PROJECT_DIR / item
        if source.is_dir():
            shutil.copytree(source, dest / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (dest / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / item)
    return dest


def shared_model_paths() -> list[Path]:
    return sorted(SHARED_MODELS.glob("*.tflite")) if SHARED_MODELS.is_dir() else []


@pytest.fixture
def shared_models_dir() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"reference models not found at {SHARED_MODELS} ({_WHERE})")
    return SHARED_MODELS


def shared_model(name: str) -> Path:
    """Path of one reference model, skipping the test when the folder is absent."""
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"reference model {path} not present ({_WHERE})")
    return path


def _is_shared_model(value) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_is_shared_model(v) for v in value)
    return isinstance(value, (str, Path)) and Path(value).parent == SHARED_MODELS


def pytest_collection_modifyitems(items):
    """Cases parametrized with a reference model's path (from shared_model_paths()) get the
    shared_models marker; tests that call shared_model() carry it explicitly."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and any(_is_shared_model(v) for v in callspec.params.values()):
            item.add_marker(pytest.mark.shared_models)
