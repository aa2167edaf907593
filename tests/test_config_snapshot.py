"""Every shipped target, model.yaml and lock.yaml loads to exactly the objects it loaded to before
the loaders moved to one strict YAML loader and declarative schemas.

tests/data/config_snapshot/loaded.json holds the reprs made by the earlier hand-written checkers
(main at 25d9fab): the Target of each targets/*.yaml (path=None: it is absolute), the Lock of
third_party/lock.yaml (path=None), each shipped CatalogModel (tflite relative to the project) and
the CPU facts table. A repr shows types as well as values (1 vs True vs 1.0), and every field --
including the ones left out of ==, such as Target.source. Each file is loaded twice from an empty
check cache: checked in full by its schema, then as a remembered check (config/strict_yaml.py).
Intended data changes update the snapshot with them (issue 9: Emulator gained cpu/twin, and the ESP
targets their loader memory maps, images and twins; issue 11: hello_world's float `reference:`, the
optional flash_timing of the cycle estimate, given by the stm32 targets, and Target.power, the
datasheet supply currents of the report's power step; issue 12: the lock's kissfft pin, which TFLM's
SignalRfft/SignalIrfft need; issue 11 step 5: Target.power's currents each cite their datasheet table
and say whether they were verified, and Target.no_power_data says why a target has none; issue 9: the
esp-tflite-micro pin whose ESP-NN kernel wrappers kernels=esp-nn compiles; issue 11: the stm32f103,
stm32f407, stm32u585, esp32s3 and esp32c3 currents as read in stored copies of their datasheets;
issue 11: kws re-trained here as a pair, kws.tflite with its float `reference:` kws_float.tflite;
issue 11: the stm32h743 currents as read in a stored copy of DS12110 Rev 10, in place of no_power_data).
"""

import dataclasses
import json
from pathlib import Path

import pytest

from tinyml_build.config import cpus, targets
from tinyml_build.model.catalog import load_model
from tinyml_build.third_party.lock import load_lock

PROJECT_DIR = Path(__file__).resolve().parents[1]
SNAPSHOT = json.loads((Path(__file__).parent / "data" / "config_snapshot" / "loaded.json").read_text())


@pytest.fixture(autouse=True)
def empty_check_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cpus.cpu_table.cache_clear()


def _twice(load):
    """The repr of load() checked in full and then remembered; both must be the same."""
    first, second = load(), load()
    assert repr(first) == repr(second)
    return first


def test_the_snapshot_covers_every_shipped_target():
    assert sorted(SNAPSHOT["targets"]) == targets.list_targets() and len(SNAPSHOT["targets"]) == 13


@pytest.mark.parametrize("name", sorted(SNAPSHOT["targets"]))
def test_target_loads_to_the_same_object(name):
    target = _twice(lambda: targets.load_target(name))
    assert repr(dataclasses.replace(target, path=None)) == SNAPSHOT["targets"][name]
    assert target.path == PROJECT_DIR / "targets" / f"{name}.yaml"


def test_lock_loads_to_the_same_object():
    assert repr(dataclasses.replace(_twice(load_lock), path=None)) == SNAPSHOT["lock"]


@pytest.mark.parametrize("name", sorted(SNAPSHOT["models"]))
def test_model_loads_to_the_same_object(name):
    model = _twice(lambda: load_model(PROJECT_DIR / "models" / name))
    assert repr(dataclasses.replace(model, tflite=model.tflite.relative_to(PROJECT_DIR))) == SNAPSHOT["models"][name]


def test_cpu_facts_are_the_same():
    assert {name: dataclasses.asdict(facts) for name, facts in _twice(cpus.load_cpus).items()} == {
        name: {key: tuple(value) if isinstance(value, list) else value for key, value in facts.items()}
        for name, facts in SNAPSHOT["cpus"].items()}
