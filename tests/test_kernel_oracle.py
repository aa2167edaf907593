"""The kernel-library oracle: a model whose op CMSIS-NN computes differently from TFLM's reference
kernels by design (op_inventory.NOT_BIT_EXACT) is judged by the pinned TFLM built WITH CMSIS-NN.

Layers: the inventory data (no sources), the choice and its name (sources, no compile), the entries
against the two host builds on generated models (compiles the CMSIS-NN runner once per machine,
like the reference oracle), and one runtime=tflm kernels=cmsis-nn image on qemu-m4 holding the
shared trained_lstm_int8 and a generated int8 + int16 LSTM model: its `test` passes only where the
host C paths of CMSIS-NN give the Cortex-M4 DSP paths' bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import test_aot_lstm
from conftest import SHARED_MODELS
from tflite_builder import ModelBuilder
from tflm_testlib import needs_qemu, needs_sources, needs_toolchain, scons, shared_build_root

from tinyml_build.analysis import op_inventory
from tinyml_build.analysis.op_inventory import NOT_BIT_EXACT, OpUse, not_bit_exact
from tinyml_build.model.reader import model_name_from_path, read_model
from tinyml_build.third_party import resolve
from tinyml_build.verification import golden
from tinyml_build.verification.oracle import PINNED, oracle_for, pinned, select_oracle
from tinyml_build.verification.oracle.select import LIBRARY_NAMES

LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"
CMSIS_NN_ORACLE = "tflite-micro 90b983c2 + CMSIS-NN 4ab83cc (pinned sources, host build)"


def lstm_model(dtypes=("int8", "int16"), per_type: int = 2, seed: int = 5) -> bytes:
    """Generated LSTMs (tests/test_aot_lstm.py's geometry and quantization draws) of each activation type."""
    b = ModelBuilder()
    rng = np.random.default_rng(seed)
    n = 0
    for dtype in dtypes:
        for _ in range(per_type):
            xs, ys = test_aot_lstm.add_lstm(b, rng, dtype, n)
            b.inputs += xs
            b.outputs += ys
            n += 1
    return b.build()


def fc_model() -> bytes:
    import aot_window_cases

    b = ModelBuilder()
    xs, ys = aot_window_cases.add_fully_connected(b, np.random.default_rng(1), "int8", 0)
    b.inputs, b.outputs = xs, ys
    return b.build()


# --- the inventory's data -------------------------------------------------------------------------

def test_entries_name_an_optimized_kernel_of_their_library_and_a_cause():
    for entry in NOT_BIT_EXACT:
        info = op_inventory.lookup(entry.op)
        assert entry.library in info.optimized, f"{entry.op} has no {entry.library} kernel to differ"
        assert entry.activations and len(entry.cause) > 40
    assert len({(e.library, e.op) for e in NOT_BIT_EXACT}) == len(NOT_BIT_EXACT)


def test_not_bit_exact_matches_the_library_and_activation_types():
    lstm8 = OpUse(LSTM, ("int8",) + ("-",) * 23, ("int8",))
    lstm_float = OpUse(LSTM, ("float32",) + ("-",) * 23, ("float32",))  # CMSIS-NN runs the reference float path
    fc = OpUse("FULLY_CONNECTED", ("int8", "int8", "int32"), ("int8",))
    assert [e.op for e in not_bit_exact([fc, lstm8], "cmsis-nn")] == [LSTM]
    assert not_bit_exact([lstm8], "reference") == []
    assert not_bit_exact([lstm_float, fc], "cmsis-nn") == []


def test_upstream_says_so_in_the_pinned_tree():
    """Where an entry cites TFLM's kernel test, the pinned test file still has that #if."""
    from tinyml_build.runtimes.tflm.sources import TFLM, load_lock, missing_reason

    why = missing_reason([LSTM], "reference")
    if why:
        pytest.skip(f"TFLM sources not resolved: {why}")
    tflm = resolve(load_lock().get(TFLM))
    for entry in NOT_BIT_EXACT:
        if entry.upstream:
            path, _, said = entry.upstream.partition(": ")
            assert "#if !defined(CMSIS_NN)" in (tflm / path).read_text(), entry.upstream
            assert "#if !defined(CMSIS_NN)" in said
        for kernel in op_inventory.lookup(entry.op).optimized[entry.library]:  # the functions the cause names
            called = set(re.findall(r"\b(arm_\w+)\(", (tflm / kernel).read_text()))
            named = set(re.findall(r"\b(arm_\w+)", entry.cause))
            assert named & called, f"{entry.op}: the cause names none of {sorted(called)}"


# --- the choice and its name ------------------------------------------------------------------------

@needs_sources
def test_oracle_choice_follows_the_kernels_and_the_models_ops():
    lstm = read_model(lstm_model(per_type=1), where="lstm.tflite", name="lstm")
    fc = read_model(fc_model(), where="fc.tflite", name="fc")
    reference = select_oracle()
    assert reference.kind == PINNED, "the pinned sources resolve, so the reference oracle is the pinned build"
    assert oracle_for(lstm, "reference") is reference
    assert oracle_for(fc, "cmsis-nn") is reference  # no op of it differs: the stronger claim stays
    judge = oracle_for(lstm, "cmsis-nn")
    assert judge.name == CMSIS_NN_ORACLE and judge.kernels == "cmsis-nn"
    assert judge.name.split(" + ")[1].startswith(LIBRARY_NAMES["cmsis-nn"])
    record = judge.as_dict()
    assert record["kernels"] == "cmsis-nn" and "UNIDIRECTIONAL_SEQUENCE_LSTM (int8/int16) with cmsis-nn" in \
        record["chosen_because"]
    assert "kernels" not in reference.as_dict()  # reference golden data keeps its record
    # golden data depends on the identity: another choice, another runner digest
    assert judge.identity() != reference.identity() and judge.identity().startswith(CMSIS_NN_ORACLE)
    assert judge.build.kernel_defines[:1] == ("CMSIS_NN",) and judge.build.library_commits[0][0] == "cmsis-nn"


# --- the entries against the two host builds ----------------------------------------------------------

@pytest.fixture(scope="module")
def runners():
    if pinned.find_compilers() is None:
        pytest.skip("no host g++/gcc")
    from tinyml_build.runtimes.tflm.sources import missing_reason

    why = missing_reason([LSTM], "cmsis-nn")
    if why:
        pytest.skip(f"TFLM/CMSIS-NN sources not resolved: {why}")
    return pinned.build_runner(pinned.plan_build()), pinned.build_runner(pinned.plan_build(kernels="cmsis-nn"))


def _outputs(runner, model, runs: int = 4):
    specs = golden.tensor_specs(model, model.main.inputs)
    feeds = [arrays for _, arrays in golden.edge_vectors(model, specs)]
    for k in range(runs):
        rng = np.random.default_rng([3, k])
        feeds.append([golden.random_input(s, rng) for s in specs])
    outputs, _ = pinned.run(runner, model, feeds)
    return [o for run in outputs for o in run]


@pytest.mark.tflm_sources
@pytest.mark.slow  # the first run on a machine compiles the CMSIS-NN runner (277 files)
def test_the_lstm_entry_is_true_and_fully_connected_is_bit_exact(runners):
    """The listed op differs (int8 and int16 activations), an unlisted CMSIS-NN op does not."""
    reference, cmsis = runners
    for dtype in ("int8", "int16"):
        model = read_model(lstm_model((dtype,), per_type=6), where=f"lstm_{dtype}.tflite", name="m")
        ours, theirs = _outputs(reference, model), _outputs(cmsis, model)
        assert any(not np.array_equal(a, b) for a, b in zip(ours, theirs)), f"{dtype} LSTM is bit-exact after all"
    model = read_model(fc_model(), where="fc.tflite", name="fc")
    assert all(np.array_equal(a, b) for a, b in zip(_outputs(reference, model), _outputs(cmsis, model)))


def _generated(op: str, dtype: str) -> bytes:
    """The sweep's model of OBSERVED_DIFFERENCES' figures: seed 0, 12 ops, the generated-case suites' draws."""
    import aot_op_cases
    import aot_window_cases
    import test_aot_svdf

    adders = test_aot_svdf.ADDERS if op == "SVDF" else aot_window_cases.ADDERS
    return aot_op_cases.random_model(adders, {op: ("int8", "int16", "float32")}, op, dtype, 0, 12)


@pytest.mark.tflm_sources
@pytest.mark.slow  # as above: needs the CMSIS-NN runner
@pytest.mark.parametrize(("op", "dtype"), [("CONV_2D", "int16"), ("SVDF", "int8"), ("TRANSPOSE_CONV", "int8")])
def test_observed_differences_still_differ_and_stay_judged_by_the_reference(runners, op, dtype):
    """The recorded (unexplained) differences are real, and they do not switch the oracle."""
    assert any(d.op == op and d.library == "cmsis-nn" for d in op_inventory.OBSERVED_DIFFERENCES)
    reference, cmsis = runners
    model = read_model(_generated(op, dtype), where=f"{op}.tflite", name="m")
    assert any(not np.array_equal(a, b) for a, b in zip(_outputs(reference, model), _outputs(cmsis, model)))
    assert oracle_for(model, "cmsis-nn") is select_oracle()


# --- the image ------------------------------------------------------------------------------------------

@needs_toolchain
@needs_qemu
@needs_sources
@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.tflm_sources
@pytest.mark.shared_models  # trained_lstm_int8 when present; the generated model runs either way
def test_lstm_models_pass_test_with_cmsis_nn_on_qemu_m4(tmp_path, tmp_path_factory):
    """trained_lstm_int8 (when the shared models are there) and a generated int8 + int16 LSTM model in
    one kernels=cmsis-nn image: every output byte equals the CMSIS-NN oracle's, which the test line,
    golden.json and test.json name with the reason."""
    generated = tmp_path / "gen_lstm.tflite"
    generated.write_bytes(lstm_model())
    models = [str(generated)]
    trained = SHARED_MODELS / "trained_lstm_int8.tflite"
    if trained.is_file():
        models.insert(0, str(trained))
    root = shared_build_root(tmp_path_factory)
    result = scons("target=qemu-m4", "model=" + ",".join(models), "runtime=tflm", "kernels=cmsis-nn",
                   f"build_dir={root}", "test")
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    names = [model_name_from_path(Path(p)) for p in models]
    out = root / "qemu-m4" / "+".join(names)
    verdict = json.loads((out / "test.json").read_text())
    for name in names:
        assert verdict["models"][name]["oracle"]["name"] == CMSIS_NN_ORACLE
        assert "not bit-exact" in verdict["models"][name]["oracle"]["chosen_because"]
        assert f"{name} judged by {CMSIS_NN_ORACLE}" in output
    assert f"golden data from {CMSIS_NN_ORACLE}, because" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["settings"]["model_oracles"]) == set(names)


def test_without_the_library_oracle_the_op_is_a_named_blind_spot(monkeypatch):
    """No host g++ for the CMSIS-NN runner: the image still builds, judged by the reference oracle,
    and golden data names the LSTM as what that oracle cannot judge."""
    from tinyml_build.errors import ToolchainError
    from tinyml_build.verification.oracle import select

    def no_compiler(*args, **kwargs):
        raise ToolchainError("g++/gcc not found on PATH")

    monkeypatch.setattr(select, "pinned_oracle", no_compiler)
    lstm = read_model(lstm_model(per_type=1), where="lstm.tflite", name="lstm")
    env = {"TINYML_TEST_KEY": "blind-spot"}  # a cache key of its own
    monkeypatch.setattr(select, "select_oracle", lambda overrides=None, env=None: select.wheel_oracle("test"))
    judge = oracle_for(lstm, "cmsis-nn", env=env)
    assert judge.kernels == "reference"
    spots = [spot.describe() for spot in judge.blind_spots(lstm)]
    assert any(s.startswith("UNIDIRECTIONAL_SEQUENCE_LSTM (int8/int16) with cmsis-nn") and "g++" in s for s in spots)
