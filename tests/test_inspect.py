"""`tinyml-build inspect`: the facts in the report, as text and as JSON."""

import json
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, shared_model
from tflite_builder import ModelBuilder, fully_connected_model

from tinyml_build.analysis.analyze import analyze
from tinyml_build.model import read_model
from tinyml_build.model.schema import fb
from tinyml_build.reports.inspect import to_dict, to_text


def _inspect(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinyml_build", "inspect", *args], capture_output=True, text=True,
                          cwd=PROJECT_DIR)


@pytest.mark.shared_models
def test_json_report_for_person_detect():
    result = _inspect(str(shared_model("person_detect.tflite")), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["operator_count"] == 31
    assert [s["op"] for s in report["op_summary"]] == ["AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "RESHAPE",
                                                       "SOFTMAX"]
    assert {s["op"]: s["count"] for s in report["op_summary"]}["CONV_2D"] == 14
    assert report["inputs"][0]["shape"] == [1, 96, 96, 1] and report["inputs"][0]["dtype"] == "int8"
    assert report["outputs"][0]["shape"] == [1, 2]
    # Independently computed: MobileNet v1 0.25 at 96x96 with one input channel.
    assert report["macs"] == 7_160_194
    assert report["arena"]["estimated_bytes"] >= report["arena"]["lower_bound_bytes"] > 0
    assert report["findings"] == []


def test_fully_connected_macs_and_parameters():
    analysis = analyze(read_model(fully_connected_model(units=4, features=8)))
    assert analysis.macs == 32
    assert analysis.parameters == 4 * 8 + 4
    assert analysis.weight_bytes == 32 + 16


@pytest.mark.shared_models
def test_lifetimes_and_arena_for_micro_speech():
    analysis = analyze(read_model(shared_model("micro_speech_quantized.tflite").read_bytes()))
    sg = analysis.model.main
    assert analysis.lifetimes[sg.inputs[0]].first == 0
    assert analysis.lifetimes[sg.outputs[0]].last == len(sg.operators) - 1
    # The input (1960 B) and the depthwise output (4000 B) are both live during op 0.
    assert analysis.arena.lower_bound >= 1960 + 4000


@pytest.mark.shared_models
def test_text_report_mentions_the_essentials():
    model = read_model(shared_model("hello_world_int8.tflite").read_bytes(), name="hello_world_int8")
    text = to_text(analyze(model), show_tensors=True)
    for needle in ("Model: hello_world_int8", "operators: 3", "FULLY_CONNECTED", "estimated arena", "Inputs:",
                   "Tensors:"):
        assert needle in text


def test_hybrid_finding_is_reported_not_raised():
    report = to_dict(analyze(read_model(fully_connected_model(input_dtype="float32"))))
    assert report["findings"][0]["severity"] == "error" and "hybrid" in report["findings"][0]["what"]


@pytest.mark.shared_models
def test_every_reference_model_inspects(shared_models_dir):
    for path in sorted(shared_models_dir.glob("*.tflite")):
        result = _inspect(str(path), "--json")
        assert result.returncode == 0, (path, result.stderr)
        report = json.loads(result.stdout)
        assert report["operator_count"] > 0 and report["inputs"] and report["outputs"]


def test_missing_file_message():
    result = _inspect("does/not/exist.tflite")
    assert result.returncode == 2 and "model file not found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.shared_models
@pytest.mark.parametrize("flag", ["--json", "--tensors"])
def test_output_is_deterministic(flag):
    path = str(shared_model("keyword_scrambled_8bit.tflite"))
    assert _inspect(path, flag).stdout == _inspect(path, flag).stdout


# --- which runtime builds the model (reports/runtime_support.py) ----------------------------------------


def _runtimes(model_bytes: bytes) -> tuple[dict, str]:
    analysis = analyze(read_model(model_bytes, where="m.tflite", name="m"))
    return to_dict(analysis)["runtimes"], to_text(analysis)


def test_runtimes_builds_a_supported_model():
    runtimes, text = _runtimes(fully_connected_model(units=4, features=8))
    aot = runtimes["aot"]
    assert (aot["builds"], aot["lacks"], aot["reason"], aot["fix"], aot["notes"]) == (True, [], "", "", [])
    # 4x8 int8 FC: 8 input and 4 output bytes live together; 32 weight bytes + 16 of bias at least.
    assert aot["memory"]["arena_bytes"] >= aot["memory"]["arena_lower_bound_bytes"] >= 12
    assert aot["memory"]["model_data_bytes"] >= 48 and aot["memory"]["op_state_bytes"] == 0
    assert runtimes["tflm"]["builds"] is True
    assert "runtime=aot: builds this model" in text and "runtime=tflm: builds this model" in text


def test_runtimes_name_an_op_neither_has_escaped():
    b = ModelBuilder()
    x, y = b.tensor("x", "int8", (1, 4)), b.tensor("y", "int8", (1, 4))
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="Evil\nOp"), [x], [y])
    b.inputs, b.outputs = [x], [y]
    runtimes, text = _runtimes(b.build())
    for runtime in ("aot", "tflm"):
        assert runtimes[runtime]["builds"] is False and runtimes[runtime]["lacks"] == ["Evil\nOp"]
        assert "Evil" in runtimes[runtime]["reason"] and runtimes[runtime]["fix"]
    assert "Evil\\x0aOp" in text and "Evil\nOp" not in text
    assert "runtime=aot: refuses this model (lacks Evil\\x0aOp)" in text


def test_runtimes_give_aot_type_refusal():
    """aot has ADD, but not for int64: only lowering the model says so, as the build would."""
    b = ModelBuilder()
    x1, x2, y = (b.tensor(n, "int64", (1, 4)) for n in ("x1", "x2", "y"))
    b.op(b.opcode(fb.BuiltinOperator.ADD), [x1, x2], [y])
    b.inputs, b.outputs = [x1, x2], [y]
    runtimes, _ = _runtimes(b.build())
    assert runtimes["aot"]["builds"] is False and runtimes["aot"]["lacks"] == []
    assert "op #0 ADD" in runtimes["aot"]["reason"] and "int64" in runtimes["aot"]["reason"]


def test_runtimes_refuse_what_the_analysis_refuses():
    runtimes, _ = _runtimes(fully_connected_model(input_dtype="float32"))
    assert not runtimes["aot"]["builds"] and not runtimes["tflm"]["builds"]
    assert "hybrid" in runtimes["tflm"]["reason"]
