"""Helpers of the generated-case aot op tests (test_aot_ops_movement.py, test_aot_ops_space.py):
many seeded cases of one op in one model, checked against tflite-micro in one host compile."""

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinyml_build.errors import UnsupportedOpError
from tinyml_build.model.reader import read_model
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.verification.host_check import check_model


def random_model(adders: dict, types: dict, op: str, dtype: str, seed: int, cases: int) -> bytes:
    """`cases` independent instances of `op` (adders[op](builder, rng, dtype, n) -> (inputs, outputs))."""
    rng = np.random.default_rng([seed, list(adders).index(op), list(types[op]).index(dtype)])
    b = ModelBuilder()
    for n in range(cases):
        xs, ys = adders[op](b, rng, dtype, n)
        b.inputs += xs
        b.outputs += ys
    return b.build()


def all_ops_model(adders: dict, dtypes_of, per_type: int, seed: int = 7) -> bytes:
    """One model with `per_type` instances of every op in every type dtypes_of(op) lists (for the
    sanitizer runs: every kernel variant in one host compile)."""
    b = ModelBuilder()
    rng = np.random.default_rng(seed)
    n = 0
    for op, add in adders.items():
        for dtype in dtypes_of(op):
            for _ in range(per_type):
                xs, ys = add(b, rng, dtype, n)
                b.inputs += xs
                b.outputs += ys
                n += 1
    return b.build()


def check_bytes(tmp_path, data: bytes, runs: int = 3, sanitize: bool = False) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    report = check_model(path, runs=runs, sanitize=sanitize)
    assert report.ok, str(report)


def lower_error(data: bytes) -> str:
    """The UnsupportedOpError text lowering the model raises (it must raise one)."""
    with pytest.raises(UnsupportedOpError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    return str(info.value)
