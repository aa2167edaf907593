"""runtime=aot on real models: every model whose ops are all supported is bit-exact with
tflite-micro; a model with an unsupported op fails the build with a clear error."""

from pathlib import Path

import pytest
from aot_op_cases import assert_exact
from conftest import PROJECT_DIR, shared_model, shared_model_paths

from tinyml_build.errors import TinyMLError, UnsupportedOpError
from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.aot import lower_model
from tinyml_build.verification.host_check import check_model

# Small enough to also run under ASan/UBSan on every test run.
SANITIZED = {"hello_world_int8.tflite", "hello_world_float.tflite", "micro_speech_quantized.tflite", "quantize0.tflite"}


def _project_models() -> list[Path]:
    return sorted((PROJECT_DIR / "models").glob("*/*.tflite"))


def _all_models() -> list[Path]:
    return shared_model_paths() + _project_models()


def _fully_supported(path: Path) -> bool:
    """Whether runtime=aot can build the model (every op and dtype supported)."""
    try:
        lower_model(load_model(path))
    except TinyMLError:
        return False
    return True


SUPPORTED = [p for p in _all_models() if _fully_supported(p)]
UNSUPPORTED = [p for p in _all_models() if not _fully_supported(p)]


@pytest.mark.parametrize("path", SUPPORTED, ids=[p.name for p in SUPPORTED])
def test_supported_model_is_bit_exact(path):
    report = check_model(path, runs=20)
    assert_exact(report)


@pytest.mark.parametrize("path", [p for p in SUPPORTED if p.name in SANITIZED], ids=lambda p: p.name)
def test_supported_model_under_sanitizers(path):
    report = check_model(path, runs=3, sanitize=True)
    assert_exact(report)


@pytest.mark.parametrize("path", UNSUPPORTED, ids=[p.name for p in UNSUPPORTED])
def test_unsupported_model_fails_with_a_clear_error(path):
    model = load_model(path)
    with pytest.raises(TinyMLError) as info:
        lower_model(model)
    message = str(info.value)
    assert str(path) in message, "the error names the model file"
    if isinstance(info.value, UnsupportedOpError):
        assert "runtime=tflm" in message
        assert any(f"op #{op.index} {op.name}" in message for op in model.main.operators), message


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["micro_speech_quantized.tflite", "person_detect.tflite"])
def test_reference_models_are_covered(name):
    path = shared_model(name)
    assert path in SUPPORTED, f"{name} should be fully supported by runtime=aot"


@pytest.mark.parametrize("name", ["hello_world", "kws"])
def test_shipped_models_are_covered(name):
    path = PROJECT_DIR / "models" / name / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"{path} not built yet")
    assert path in SUPPORTED, f"models/{name} should be fully supported by runtime=aot"


@pytest.mark.shared_models
def test_person_detect_arena_is_no_bigger_than_the_live_peak():
    program = lower_model(load_model(shared_model("person_detect.tflite")))
    # 48x48x8 input + 48x48x16 output of the first pointwise conv are live together.
    assert program.arena_lower_bound == 55296
    assert program.arena_size == 55296, "scratch buffers fit in the gaps: the plan is optimal"


@pytest.mark.shared_models
@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "micro_speech_quantized.tflite", "person_detect.tflite"])
def test_aot_arena_is_smaller_than_tflms(name):
    from tinyml_build.runtimes.aot.memory_report import compare

    report = compare(shared_model(name))
    assert report.tflm_total is not None, "tflite-micro reported its arena"
    assert report.aot_arena < report.tflm_total
    # activations alone: op scratch TFLM's reference kernels do without never grows the arena
    assert report.aot_arena <= report.tflm_head
