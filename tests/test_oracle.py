"""The golden-data oracle: the pinned TFLM built for the host, and the wheel as the fallback.

Tests that need the pinned sources or g++ skip with the reason; the first of them builds the runner
into the user cache (minutes, once per source digest), the others reuse it.
"""

import shutil

import numpy as np
import pytest
from conftest import PROJECT_DIR, shared_model

from tinyml_build.model.reader import load_model
from tinyml_build.runtimes.tflm.sources import missing_reason
from tinyml_build.verification import golden
from tinyml_build.verification.oracle import PINNED, WHEEL, pinned, pinned_oracle, select_oracle, wheel_oracle
from tinyml_build.verification.oracle.differences import KNOWN_WHEEL_DIFFERENCES, blind_spot_at
from tinyml_build.verification.oracle.select import UNKNOWN_COMMIT

HELLO = PROJECT_DIR / "models" / "hello_world" / "hello_world.tflite"
KWS = PROJECT_DIR / "models" / "kws" / "kws.tflite"


def _need_pinned():
    why = missing_reason(["FULLY_CONNECTED"], "reference")
    if why is not None:
        pytest.skip(f"pinned TFLM sources not resolved: {why}")
    if pinned.find_compilers() is None:
        pytest.skip("g++/gcc not on PATH")
    return pinned_oracle()


def _feeds(model, count=6, seed=3):
    specs = golden.tensor_specs(model, model.main.inputs)
    feeds = [arrays for _, arrays in golden.edge_vectors(model, specs)]
    for k in range(count):
        rng = np.random.default_rng([seed, k])
        feeds.append([golden.random_input(spec, rng) for spec in specs])
    return feeds


@pytest.mark.parametrize("path", [HELLO, KWS], ids=["hello_world", "kws"])
def test_pinned_runner_agrees_with_the_wheel_on_the_catalog_models(path):
    oracle = _need_pinned()
    model = load_model(path)
    feeds = _feeds(model)
    ours, _ = oracle.run(model, feeds)
    theirs, _ = wheel_oracle().run(model, feeds)
    assert len(ours) == len(feeds)
    for a, b in zip(ours, theirs):
        assert [x.tobytes() for x in a] == [np.ascontiguousarray(y).tobytes() for y in b]
        assert [x.dtype for x in a] == [y.dtype for y in b] and [x.shape for x in a] == [y.shape for y in b]


def test_intermediates_hold_every_op_output_of_every_run_as_the_wheel_does():
    oracle = _need_pinned()
    model = load_model(KWS)
    feeds = _feeds(model, count=3)
    outputs, tensors = oracle.run(model, feeds, intermediates=True)
    _, wheel_tensors = wheel_oracle().run(model, feeds, intermediates=True)
    expected = {(run, t) for run in range(len(feeds)) for op in model.main.operators for t in op.outputs}
    assert set(tensors) == expected
    assert tensors == wheel_tensors
    last = model.main.outputs[0]
    assert tensors[(len(feeds) - 1, last)] == outputs[-1][0].tobytes()  # the graph output is the last op's


@pytest.mark.shared_models
def test_runs_go_through_one_interpreter_in_order(shared_models_dir):
    """trained_lstm_int8's LSTM keeps its state in variable tensors: a vector's result depends on the
    vectors before it, and both oracles see the same history."""
    oracle = _need_pinned()
    model = load_model(shared_model("trained_lstm_int8.tflite"))
    feeds = _feeds(model, count=4)
    lstm = model.main.operators[0].outputs[0]
    in_order, traced = oracle.run(model, feeds, intermediates=True)
    _, alone = oracle.run(model, feeds[-1:], intermediates=True)
    assert traced[(len(feeds) - 1, lstm)] != alone[(0, lstm)]  # the history mattered
    theirs, wheel_traced = wheel_oracle().run(model, feeds, intermediates=True)
    assert traced == wheel_traced
    assert [r[0].tobytes() for r in in_order] == [np.ascontiguousarray(r[0]).tobytes() for r in theirs]


def test_a_second_build_reuses_the_cached_runner(tmp_path, monkeypatch):
    oracle = _need_pinned()
    first = pinned.build_runner(oracle.build)  # the user cache: built once per digest
    cache = tmp_path / "oracle"
    cache.mkdir()
    shutil.copy2(first, cache / first.name)  # a cache that holds this digest's runner

    def no_compiler(*args, **kwargs):
        raise AssertionError("the runner was rebuilt although the cache holds it")

    monkeypatch.setattr(pinned, "_compile_and_link", no_compiler)
    assert pinned.build_runner(oracle.build, cache_dir=cache) == cache / first.name
    assert first.name == f"tml_oracle_runner-{pinned.build_digest(oracle.build, pinned.compiler_identity('g++'))}"


def test_the_digest_changes_with_the_runner_source_flags_and_compiler(monkeypatch):
    oracle = _need_pinned()
    base = pinned.build_digest(oracle.build, "g++ (Debian 12.2.0-14) 12.2.0")
    assert pinned.build_digest(oracle.build, "g++ (Debian 13.1.0-1) 13.1.0") != base
    monkeypatch.setattr(pinned, "CXXFLAGS", (*pinned.CXXFLAGS, "-DNDEBUG"))
    assert pinned.build_digest(oracle.build, "g++ (Debian 12.2.0-14) 12.2.0") != base


def test_the_pinned_oracle_is_named_with_its_commit():
    oracle = _need_pinned()
    assert oracle.kind == PINNED
    assert oracle.tflm_commit == "90b983c2b3f1480642e040bbd2ddb37b998f3424"
    assert oracle.name == "tflite-micro 90b983c2 (pinned sources, host build)"
    assert select_oracle().name == oracle.name
    g = golden.make_golden(load_model(HELLO), random_vectors=2)
    assert g.reference == oracle.name and g.oracle["tflm_commit"] == oracle.tflm_commit
    assert golden.Golden.from_json(g.to_json()) == g


def test_without_sources_the_wheel_judges_and_says_why(tmp_path):
    empty = tmp_path / "no-tflm"
    empty.mkdir()
    env = {"TINYML_TFLITE_MICRO_PATH": str(empty)}  # the resolver's documented variable, at a non-TFLM folder
    oracle = select_oracle(env=env)
    assert oracle.kind == WHEEL and oracle.tflm_commit == UNKNOWN_COMMIT
    assert oracle.name.startswith("tflite-micro wheel 0.dev")
    assert "fallback: pinned TFLM sources not resolved" in oracle.name and "TFLM as of 20" in oracle.name
    g = golden.make_golden(load_model(HELLO), random_vectors=2, oracle=oracle)
    assert g.reference == oracle.name and g.oracle == {"name": oracle.name, "kind": WHEEL, "tflm_commit": "unknown"}


def _rfft_model():
    from tflite_builder import ModelBuilder, flex_map

    from tinyml_build.model.reader import read_model
    from tinyml_build.model.schema import fb

    b = ModelBuilder()
    x = b.tensor("x", "int16", [1, 8])
    y = b.tensor("y", "int16", [1, 10])
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom="SignalRfft"), [x], [y],
         custom_options=flex_map({"T": 7, "fft_length": 8}))  # T: TensorType INT16
    b.inputs, b.outputs = [x], [y]
    return read_model(b.build(), where="m.tflite", name="m")


def test_the_ffts_are_registered_when_kissfft_resolves():
    oracle = _need_pinned()
    if missing_reason(["SignalRfft"], "reference") is not None:
        pytest.skip(f"kissfft not resolved: {missing_reason(['SignalRfft'], 'reference')}")
    assert {"SignalRfft", "SignalIrfft", "FULLY_CONNECTED"} <= set(oracle.build.ops)
    assert "kissfft" in oracle.build.trees
    x = np.random.default_rng(5).integers(-8000, 8000, size=(1, 8)).astype(np.int16)
    outputs, _ = oracle.run(_rfft_model(), [[x]])
    # kissfft's fixed-point forward FFT scales by 1/fft_length (with rounding at each stage)
    spectrum = np.fft.rfft(x[0].astype(np.float64)) / 8
    expected = np.stack([spectrum.real, spectrum.imag], axis=-1).ravel()
    assert np.abs(outputs[0][0][0].astype(np.float64) - expected).max() <= 2, (outputs[0][0], expected)


def test_without_kissfft_the_ffts_are_refused_by_name_and_the_rest_judged(tmp_path):
    """kissfft's variable pointing nowhere: the runner leaves the FFTs out (every other op is still
    judged) and a model with one is refused naming kissfft and the ways to provide it."""
    import os

    from tinyml_build.errors import ModelError

    _need_pinned()
    env = {**os.environ, "TINYML_KISSFFT_PATH": str(tmp_path / "nowhere")}
    oracle = pinned_oracle(env=env)
    assert "SignalRfft" not in oracle.build.ops and "SignalIrfft" not in oracle.build.ops
    assert "FULLY_CONNECTED" in oracle.build.ops and "kissfft" not in oracle.build.trees
    with pytest.raises(ModelError) as info:
        oracle.run(_rfft_model(), [[np.zeros((1, 8), np.int16)]])
    assert "does not register SignalRfft" in info.value.what and "need kissfft" in info.value.what
    assert "TINYML_KISSFFT_PATH" in info.value.fix and "deps import kissfft" in info.value.fix


def test_edge_vectors_come_first_and_are_labelled():
    model = load_model(KWS)
    g = golden.make_golden(model, random_vectors=2, oracle=select_oracle())
    labels = [v.label for v in g.vectors]
    edges = [label for label in labels if label.startswith("edge ")]
    assert edges[:3] == ["edge all-min", "edge all-max", "edge all-zero"]
    zero_point = model.main.tensors[model.main.inputs[0]].quantization.zero_point[0]
    assert ("edge all-zero-point" in edges) == (zero_point != 0)
    assert labels[-2:] == ["random seed=1234 #0", "random seed=1234 #1"]
    first = np.frombuffer(g.vectors[labels.index("edge all-min")].inputs[0], np.int8)
    assert first.min() == first.max() == -128


def test_the_build_regenerates_golden_data_when_the_oracle_changes(tmp_path):
    """Golden data depends on the oracle's identity: sources away -> the wheel, with a warning for
    the (op, type) it cannot judge; sources back -> the pinned build again."""
    import json
    import os
    import subprocess
    import sys

    _need_pinned()
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not on PATH")
    empty = tmp_path / "no-tflm"
    empty.mkdir()
    build = tmp_path / "build"

    def scons(extra_env):
        return subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=qemu-m4", "model=hello_world",
                               "runtime=aot", f"build_dir={build}"], capture_output=True, text=True, cwd=PROJECT_DIR,
                              env={**os.environ, **extra_env})

    golden_json = build / "qemu-m4" / "hello_world" / "golden" / "hello_world.json"
    first = scons({})
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(golden_json.read_text())["oracle"]["kind"] == PINNED
    manifest = json.loads((build / "qemu-m4" / "hello_world" / "manifest.json").read_text())
    assert manifest["settings"]["oracle"]["tflm_commit"] == "90b983c2b3f1480642e040bbd2ddb37b998f3424"
    wheel = scons({"TINYML_TFLITE_MICRO_PATH": str(empty)})
    assert wheel.returncode == 0, wheel.stdout + wheel.stderr
    data = json.loads(golden_json.read_text())
    assert data["oracle"]["kind"] == WHEEL
    assert data["oracle_blind_spots"] and data["oracle_blind_spots"][0].startswith("FULLY_CONNECTED int8")
    assert "cannot judge FULLY_CONNECTED int8" in wheel.stdout
    again = scons({})
    assert "GOLD" in again.stdout and json.loads(golden_json.read_text())["oracle"]["kind"] == PINNED


def test_a_difference_is_unjudged_only_where_it_starts_at_a_blind_spot():
    """Tests skip a wheel-judged mismatch only when it starts at an (op, type) the table names: the same op in
    another type, or another op, still fails."""
    spots = [d.describe() for d in KNOWN_WHEEL_DIFFERENCES if d.op == "SUB"]
    assert blind_spot_at(spots, "SUB", "int16").startswith("SUB int16:")
    assert blind_spot_at(spots, "SUB", "float32") is None
    assert blind_spot_at(spots, "ADD", "int16") is None
    assert blind_spot_at([], "SUB", "int16") is None
