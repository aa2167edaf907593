"""Every aot op has a generated-case suite with at least aot_op_cases.MIN_CASES cases.

Why: hand-picked cases missed 1-LSB errors that only some scales, alphas or shapes show (issue
12); an op that lands without hundreds of seeded cases against the oracle fails here, as does a
registry entry that names a module without that op's count or one that lowered its count.
"""

import importlib

import pytest
from aot_op_cases import GENERATED_SUITES, MIN_CASES

from tinyml_build.runtimes.aot.ops import supported_ops


def generated_cases(op: str) -> int:
    module = importlib.import_module(GENERATED_SUITES[op])
    counts = getattr(module, "GENERATED_CASES", {})
    assert op in counts, f"{GENERATED_SUITES[op]}.GENERATED_CASES does not count {op}"
    return counts[op]


@pytest.mark.parametrize("op", supported_ops())
def test_every_supported_op_has_enough_generated_cases(op):
    assert op in GENERATED_SUITES, (f"aot op {op} has no generated-case suite: add one (see tests/aot_op_cases.py) "
                                    f"and register it in aot_op_cases.GENERATED_SUITES")
    assert generated_cases(op) >= MIN_CASES, (f"{GENERATED_SUITES[op]} generates {generated_cases(op)} cases of {op}; "
                                              f"every aot op needs {MIN_CASES}")


def test_registry_names_only_supported_ops():
    assert set(GENERATED_SUITES) <= set(supported_ops())


def test_the_check_notices_a_missing_count(monkeypatch):
    monkeypatch.setitem(GENERATED_SUITES, "ABS", "test_aot_ops_movement")
    with pytest.raises(AssertionError, match="does not count ABS"):
        generated_cases("ABS")
