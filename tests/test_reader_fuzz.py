"""A few thousand mutated copies of real models through the reader: zero uncaught exceptions."""

import random

import pytest
from conftest import shared_model_paths
from tflite_builder import fully_connected_model

from tinyml_build.analysis.analyze import analyze
from tinyml_build.errors import ModelError
from tinyml_build.model import read_model

MUTANTS_PER_SEED = 400
_INTERESTING = [b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x01\x00\x00\x00"]


def _seeds() -> list[bytes]:
    seeds = [fully_connected_model()]
    seeds += [p.read_bytes() for p in shared_model_paths() if p.stat().st_size < 64 * 1024]
    return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    mode = rng.random()
    if mode < 0.5:  # flip a few random bytes
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif mode < 0.7:  # truncate
        data = data[: rng.randrange(len(data))]
    elif mode < 0.9:  # overwrite a 32-bit word (offsets, lengths) with an extreme value
        at = rng.randrange(0, len(data) - 4)
        data[at:at + 4] = rng.choice(_INTERESTING)
    else:  # duplicate or drop a chunk
        at, size = rng.randrange(len(data)), rng.randint(1, 64)
        data = data[:at] + (data[at:at + size] * 2 if rng.random() < 0.5 else b"") + data[at + size:]
    return bytes(data)


@pytest.mark.parametrize("seed_index", range(len(_seeds())))
def test_mutated_models_never_crash_the_reader(seed_index):
    seed = _seeds()[seed_index]
    rng = random.Random(1000 + seed_index)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(MUTANTS_PER_SEED):
        mutant = _mutate(seed, rng)
        try:
            model = read_model(mutant, where="mutant.tflite")
            analyze(model)  # whatever the reader accepts must also be analysable
            outcomes["ok"] += 1
        except ModelError as exc:
            assert str(exc).startswith("mutant.tflite: ")
            outcomes["error"] += 1
    assert outcomes["error"] > 0  # the mutations really do break models
