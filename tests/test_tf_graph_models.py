"""Models as TensorFlow's converter writes them (tests/make_tf_graph_models.py, committed with their
sha256): a tf.Variable accumulator (CALL_ONCE, VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE), a tf.cond
(IF) and a tf.while_loop (WHILE) run bit-exact with aot against TFLM, several invokes in sequence so
the variable's state counts; a dilated Conv1D exported with a dynamic batch is refused at build time."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from aot_op_cases import assert_exact

from tinyml_build.analysis.analyze import analyze
from tinyml_build.model.reader import load_model
from tinyml_build.verification.host_check import check_model, random_inputs

DATA_DIR = Path(__file__).resolve().parent / "data" / "tf_graphs"
GRAPH_MODELS = ("variable_accumulator", "cond", "while_loop")
RUNS = 6


def _model(name: str):
    path = DATA_DIR / f"{name}.tflite"
    entry = json.loads((DATA_DIR / "index.json").read_text())["models"][path.name]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], \
        f"{path.name} differs from index.json: rerun tests/make_tf_graph_models.py (with tensorflow)"
    return load_model(path)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_tf_exported_graph_bit_exact_on_host(name):
    model = _model(name)
    report = check_model(model, inputs=random_inputs(model, RUNS, 0))
    assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_tf_exported_graph_bit_exact_on_cortex_m4(name):
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = _model(name)
    report = check_on_cortex_m(model, inputs=random_inputs(model, RUNS, 1))
    assert_exact(report)


def test_dilated_conv1d_with_dynamic_batch_is_refused():
    """TensorFlow declares SPACE_TO_BATCH_ND's output batch 1 (signature -1) where it computes 2:
    TFLM would run the declared shape and differ from TensorFlow Lite."""
    errors = analyze(_model("dilated_conv1d_dynamic_batch")).errors
    assert len(errors) == 1
    assert "SPACE_TO_BATCH_ND" in errors[0].what and "computes [2," in errors[0].what
    assert "dynamic" in errors[0].what and "batch_size=1" in errors[0].fix
