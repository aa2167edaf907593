"""Every shipped target, model.yaml and lock.yaml loads to exactly the objects it loaded to before
the loaders moved to one strict YAML loader and declarative schemas.

tests/data/config_snapshot/loaded.json holds the reprs made by the earlier hand-written checkers
(main at 25d9fab): the Target of each targets/*.yaml (path=None: it is absolute), the Lock of
third_party/lock.yaml (path=None), each shipped CatalogModel (tflite relative to the project) and
the CPU facts table. A repr shows types as well as values (1 vs True vs 1.0), and every field --
including the ones left out of ==, such as Target.source.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from tinyml_build.config import targets
from tinyml_build.model.catalog import load_model
from tinyml_build.third_party.lock import load_lock

PROJECT_DIR = Path(__file__).resolve().parents[1]
SNAPSHOT = json.loads((Path(__file__).parent / "data" / "config_snapshot" / "loaded.json").read_text())


def test_the_snapshot_covers_every_shipped_target():
    assert sorted(SNAPSHOT["targets"]) == targets.list_targets() and len(SNAPSHOT["targets"]) == 13


@pytest.mark.parametrize("name", sorted(SNAPSHOT["targets"]))
def test_target_loads_to_the_same_object(name):
    target = targets.load_target(name)
    assert repr(dataclasses.replace(target, path=None)) == SNAPSHOT["targets"][name]
    assert target.path == PROJECT_DIR / "targets" / f"{name}.yaml"


def test_lock_loads_to_the_same_object():
    assert repr(dataclasses.replace(load_lock(), path=None)) == SNAPSHOT["lock"]


@pytest.mark.parametrize("name", sorted(SNAPSHOT["models"]))
def test_model_loads_to_the_same_object(name):
    model = load_model(PROJECT_DIR / "models" / name)
    assert repr(dataclasses.replace(model, tflite=model.tflite.relative_to(PROJECT_DIR))) == SNAPSHOT["models"][name]


def test_cpu_facts_are_the_same():
    assert {name: dataclasses.asdict(facts) for name, facts in targets.CPUS.items()} == {
        name: {key: tuple(value) if isinstance(value, list) else value for key, value in facts.items()}
        for name, facts in SNAPSHOT["cpus"].items()}
