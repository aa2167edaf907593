"""`scons target=<cortex-m> model=<CIRCULAR_BUFFER model> test`: golden data say per vector whether the
oracle stopped the invoke (kTfLiteAbort), the firmware expects TML_NOT_READY there and compares the
outputs of the others except the window slots no frame has reached (TFLM's leftover arena bytes).

The model is test_aot_ops_circular_buffer's generator with four instances, their windows made
variable tensors as streaming models have them (TFLM keeps those out of its memory plan; another
window may lose its bytes to other tensors between invokes, which golden data refuse) with zero
point 3. Windows are larger than cycles_max, so early vectors have unreached slots, which TFLM
fills with 3 and aot with 0: without the masks aot would fail, without the flags both runtimes.
"""

import json
import re
import shutil

import flatbuffers
import pytest
from test_aot_ops_circular_buffer import random_model
from tflite_builder import ModelBuilder, flex_map
from tflm_testlib import needs_sources, scons, shared_build_root

from tinyml_build.errors import ModelError
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.verification.circular_buffer_runs import predict_runs

needs_qemu_m4 = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                   reason="arm-none-eabi-gcc and qemu-system-arm are needed (./setup.sh installs them)")
MODEL = "circular_stream"
VECTORS = 24  # 4 edge vectors (an input has a non-zero zero point) and the default 20 random ones


def variable_windows(data: bytes, zero_point: int = 0) -> bytes:
    """The model with every CIRCULAR_BUFFER output marked a variable tensor (TFLM fills it with its
    zero point at init, aot's window starts from zeros: the slots no frame reached differ)."""
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAs(data, 0))
    custom = {k for k, code in enumerate(model.operatorCodes) if code.customCode in (b"CIRCULAR_BUFFER",
                                                                                     "CIRCULAR_BUFFER")}
    for sg in model.subgraphs:
        for op in (op for op in sg.operators if op.opcodeIndex in custom):
            sg.tensors[op.outputs[0]].isVariable = True
            sg.tensors[op.outputs[0]].quantization.zeroPoint = [zero_point]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def streaming_model() -> bytes:
    """Four windows: 12 of the 24 vectors run, 6 of them before some window is full."""
    return variable_windows(random_model(6, cases=4), zero_point=3)


def _window(b, n: int, slots: int, cycles: int, x=None, frame=(1, 4)):
    x = b.tensor(f"x{n}", "int8", [1, 1, *frame], scale=0.1, zero_point=0) if x is None else x
    y = b.tensor(f"y{n}", "int8", [1, slots, *frame], scale=0.1, zero_point=0)
    b.tensors[y].isVariable = n > 0  # the first op's window, a graph output, keeps its bytes anyway
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="CIRCULAR_BUFFER"), [x], [y],
         custom_options=flex_map({"cycles_max": cycles}))
    return x, y


def _chained(variable_reader: bool = False) -> bytes:
    """window A (3 slots, every 2nd invoke) -> RESHAPE to one frame -> window B (2 slots, every invoke),
    and A's output also feeds an op that reads a variable tensor when `variable_reader`. Only read, never run."""
    b = ModelBuilder()
    x, a = _window(b, 0, slots=3, cycles=2)
    frame = b.tensor("frame", "int8", [1, 1, 3, 4], scale=0.1, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.RESHAPE), [a], [frame])
    _, y = _window(b, 1, slots=2, cycles=1, x=frame, frame=(3, 4))
    b.inputs, b.outputs = [x], [a, y]
    if variable_reader:
        state = b.tensor("state", "int8", [1, 3, 1, 4], scale=0.1, zero_point=0)
        b.tensors[state].isVariable = True
        out = b.tensor("sum", "int8", [1, 3, 1, 4], scale=0.1, zero_point=0)
        b.op(b.opcode(fb.BuiltinOperator.ADD), [a, state], [out])
        b.outputs.append(out)
    return b.build()


def test_stops_and_unreached_slots_follow_the_options():
    """A stops every other invoke and holds 1, 2, 3 frames at invokes 0, 1(ran), ...; B sees A's
    partly unspecified window as a frame computed from unspecified bytes until A is full."""
    model = read_model(_chained(), where="chained.tflite", name="chained")
    a, frame, b = (model.main.operators[k].outputs[0] for k in range(3))
    runs = predict_runs(model, 6)
    assert [r.stopped for r in runs] == [True, False, True, False, True, False]
    assert runs[1].unspecified == {a: 4, frame: 12, b: 24}  # A: 1 of 3 slots unreached; B: both slots unspecified
    assert runs[3].unspecified == {b: 12}  # A is full; B's older frame came from the unspecified one
    assert runs[5].unspecified == {}


def test_unspecified_bytes_reaching_state_are_refused():
    with pytest.raises(ModelError, match="keeps state"):
        predict_runs(read_model(_chained(variable_reader=True), where="m.tflite", name="m"), 4)


def test_a_window_the_memory_plan_may_share_is_refused():
    """Instance 1's window is born after instance 0's input dies: TFLM's planner may overlap them."""
    with pytest.raises(ModelError, match="not a variable tensor"):
        predict_runs(read_model(random_model(0, cases=2), where="m.tflite", name="m"), 4)
    assert predict_runs(read_model(variable_windows(random_model(0, cases=2)), where="m", name="m"), 4)


def test_golden_data_carry_the_oracles_stops_and_masks():
    from test_aot_ops_circular_buffer import require_pinned_oracle

    from tinyml_build.verification.golden import Golden, expected_runs, make_golden
    from tinyml_build.verification.test_vectors import render_test_vectors

    require_pinned_oracle()
    model = read_model(streaming_model(), where="m.tflite", name=MODEL)
    golden = Golden.from_json(make_golden(model, random_vectors=6).to_json())  # the flags survive JSON
    stopped = [v.stopped for v in golden.vectors]
    assert stopped == [r.stopped for r in predict_runs(model, len(stopped))] and any(stopped) and not all(stopped)
    assert all(v.outputs == () and v.care == () for v in golden.vectors if v.stopped)
    masked = [(v, o) for v in golden.vectors for o, c in enumerate(v.care) if c is not None and 0 in c]
    assert masked, "no vector has an unreached window slot: the case does not exercise the masks"
    source = render_test_vectors(golden)
    flags = re.findall(r'^    \{"[^"]*", tv\d+_inputs, (\w+), \w+, ([01])u\},$', source, re.MULTILINE)
    assert [(f == "1", e == "0") for e, f in flags] == [(s, s) for s in stopped]

    class Oracle:
        name = "oracle"

    with pytest.raises(ModelError, match="did not carry the state over"):
        expected_runs(model, Oracle(), [v.label for v in golden.vectors], [False] * len(stopped))


def test_the_host_side_comparison_judges_the_stops():
    from tinyml_build.verification.golden import GoldenVector
    from tinyml_build.verification.qemu_runner import ModelReport, _vector_differences

    stopped, ran = GoldenVector("s", (b"\0",), (), stopped=True), GoldenVector("r", (b"\0",), (b"\1",))
    report = ModelReport(MODEL, vectors={0: {"status": "PASS", "ready": "no"}, 1: {"status": "FAIL", "ready": "yes"},
                                         2: {"status": "FAIL", "invoke": "3"}}, outputs={(1, 0): "01"})
    assert _vector_differences(report, 0, stopped) == []
    assert "invoke() ran the model" in _vector_differences(report, 1, stopped)[0]
    assert "expect a stop here" in _vector_differences(report, 1, ran)[0]
    assert "returned TML_NOT_READY" in _vector_differences(report, 2, ran)[0]


def _scons_test(path, build, runtime: str):
    result = scons("target=qemu-m4", f"runtime={runtime}", f"model={path}", f"build_dir={build}", "test")
    verdict = build / "qemu-m4" / MODEL / "test.json"
    return result, json.loads(verdict.read_text()) if verdict.is_file() else {}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("circular") / f"{MODEL}.tflite"
    path.write_bytes(streaming_model())
    return path


@needs_qemu_m4
@pytest.mark.qemu
def test_aot_image_passes_and_a_wrong_expected_stop_fails(model_path, tmp_path):
    from test_aot_ops_circular_buffer import require_pinned_oracle

    require_pinned_oracle()
    result, verdict = _scons_test(model_path, tmp_path, "aot")
    facts = verdict.get("models", {}).get(MODEL, {})
    assert result.returncode == 0 and facts.get("passed") == facts.get("vectors") == VECTORS, result.stdout[-3000:]
    log = (tmp_path / "qemu-m4" / MODEL / "test.log").read_text()
    assert 0 < log.count("ready=no") < VECTORS
    golden = json.loads((tmp_path / "qemu-m4" / MODEL / "golden" / f"{MODEL}.json").read_text())
    masked = [bytes.fromhex(out)[k] for v in golden["vectors"] for out, care in zip(v["outputs"], v.get("care", []))
              if care for k, keep in enumerate(bytes.fromhex(care)) if not keep]
    assert masked and set(masked) == {3}, "no unreached slot where TFLM's zero point meets aot's zeros"
    # The firmware judges the flag itself: one stopped vector's flag flipped in the generated C fails it.
    source = tmp_path / "qemu-m4" / MODEL / "gen" / f"{MODEL}_test_vectors.c"
    text, flips = re.subn(r"(tv\d+_inputs, 0, 0), 1u\}", r"\1, 0u}", source.read_text(), count=1)
    assert flips == 1
    source.write_text(text)
    result, verdict = _scons_test(model_path, tmp_path, "aot")
    assert result.returncode != 0 and verdict.get("verdict") == "mismatch", result.stdout[-3000:]
    assert "FAIL: invoke() returned not ready" in (tmp_path / "qemu-m4" / MODEL / "test.log").read_text()


@needs_qemu_m4
@needs_sources
@pytest.mark.qemu
def test_tflm_image_passes(model_path, tmp_path_factory):
    from test_aot_ops_circular_buffer import require_pinned_oracle

    require_pinned_oracle()
    build = shared_build_root(tmp_path_factory)  # TFLM's core objects are shared with the other tflm tests
    result, verdict = _scons_test(model_path, build, "tflm")
    facts = verdict.get("models", {}).get(MODEL, {})
    assert facts.get("facts", {}).get("runtime") == "tflm", result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0 and facts.get("passed") == facts.get("vectors") == VECTORS, result.stdout[-3000:]
    assert 0 < (build / "qemu-m4" / MODEL / "test.log").read_text().count("ready=no") < VECTORS
