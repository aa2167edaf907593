"""runtime=aot over every .tflite model the pinned TFLM tree carries (its examples, the seanet integration
tests, its benchmark models): each is bit-exact with the pinned TFLM on the host, op output by op output, or
refused at build time for the reason listed here. Models nobody wrote for this project: the broadest check
that aot stays exact on models it has never seen. Skips when the TFLM sources do not resolve."""

import pytest
from aot_op_cases import assert_exact
from tflm_testlib import FULL_MATRIX

from tinyml_build.errors import TinyMLError
from tinyml_build.runtimes.tflm.sources import TFLM, resolve_trees
from tinyml_build.verification.host_check import check_model
from tinyml_build.verification.oracle import PINNED, select_oracle

# Models aot refuses, and the words its message must contain: the refusal is the product, not a gap in this test.
EXPECTED_REFUSALS = {
    "tensorflow/lite/micro/models/person_detect_vela.tflite": "ethos-u",
}


def _corpus() -> tuple[object, list[str], str]:
    try:
        trees, _ = resolve_trees([TFLM])
    except TinyMLError as exc:
        return None, [], exc.what
    tree = trees[TFLM]
    return tree, sorted(str(p.relative_to(tree)) for p in tree.rglob("*.tflite")), ""


TREE, MODELS, MISSING = _corpus()

# Models whose host check alone takes a sizeable share of CI (about 18 s each on 2 cores): run with
# TINYML_FULL_MATRIX=1.
LARGE = {"third_party/xtensa/examples/pytorch_to_tflite/mobilenet_v2_quantized_1x3x224x224.tflite"}


def test_the_corpus_is_there():
    if TREE is None:
        pytest.skip(f"pinned TFLM sources do not resolve ({MISSING}); `tinyml-build deps sync tflite-micro`")
    assert len(MODELS) >= 100, MODELS  # 144 at 90b983c2: a shrinking list means the walk broke
    assert set(EXPECTED_REFUSALS) <= set(MODELS)


@pytest.mark.parametrize("rel", MODELS)
def test_aot_is_bit_exact_or_refuses_clearly(rel):
    if select_oracle().kind != PINNED:
        pytest.skip("the pinned TFLM oracle cannot be built here (host g++ missing?)")
    if rel in LARGE and not FULL_MATRIX:
        pytest.skip("a 224x224 model (~18 s of host check): TINYML_FULL_MATRIX=1 runs it")
    try:
        report = check_model(TREE / rel, runs=3)
    except TinyMLError as exc:
        expected = EXPECTED_REFUSALS.get(rel)
        assert expected is not None and expected in str(exc) and exc.fix, f"{rel}: {exc}"
        return
    assert rel not in EXPECTED_REFUSALS, f"{rel} now builds with runtime=aot: drop it from EXPECTED_REFUSALS"
    assert_exact(report)
