"""runtime=aot's CIRCULAR_BUFFER bit-exact with the pinned TFLM, invoke for invoke, including the
invokes it stops (TML_NOT_READY in aot, kTfLiteAbort in TFLM).

One generated model holds CASES seeded instances (frame shapes, slot counts, cycles_max) one after
the other, each on its own graph input. An instance that is not ready stops the whole invoke, so the
instances after it neither shift nor count down that time: the models keep the product of their
cycles_max small enough that RUNS invokes in sequence reach every instance several times. Every run
must be stopped on both sides or run on both; the runs that ran compare every op output byte.
"""

import shutil

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.model.flex_options import read_custom_options
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import random_inputs

CASES = 50  # instances per generated model
MODELS = 4
RUNS = 24  # invokes in sequence
MAX_CYCLE_PRODUCT = 8  # the model is ready at least every 8th invoke
OP = "CIRCULAR_BUFFER"
PARAMS = [(OP, "int8", seed) for seed in range(MODELS)]
GENERATED_CASES = aot_op_cases.case_counts(PARAMS, CASES)


def add_circular_buffer(b, rng, n, budget: int, unused_output: bool = False, filled: bool = False
                        ) -> tuple[list, list, int]:
    """One instance: ([graph input], [graph outputs], its cycles_max). `budget`: the largest
    cycles_max the model's product of them still allows; `filled`: no more slots than cycles_max, so
    the window holds only frames whenever the op runs (see `unspecified`)."""
    height, width, slots = int(rng.integers(1, 4)), int(rng.integers(1, 25)), int(rng.integers(1, 9))
    cycles = int(rng.integers(2, budget + 1)) if budget >= 2 and rng.random() < 0.2 else 1
    slots = min(slots, cycles) if filled else slots
    x = b.tensor(f"x{n}", "int8", [1, 1, height, width], scale=0.05, zero_point=int(rng.integers(-5, 6)))
    y = b.tensor(f"y{n}", "int8", [1, slots, height, width], scale=0.05, zero_point=0)
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x], [y], custom_options=flex_map({"cycles_max": cycles}))
    return [x], ([] if unused_output else [y]), cycles


def random_model(seed: int, cases: int = CASES, filled: bool = False) -> bytes:
    rng = np.random.default_rng([seed, 12])
    b = ModelBuilder()
    product = 1
    for n in range(cases):
        xs, ys, cycles = add_circular_buffer(b, rng, n, MAX_CYCLE_PRODUCT // product, unused_output=n % 17 == 16,
                                             filled=filled)
        product *= cycles
        b.inputs += xs
        b.outputs += ys
    return b.build()


def require_pinned_oracle():
    from tinyml_build.verification.oracle.select import WHEEL, select_oracle

    if select_oracle().kind == WHEEL:
        pytest.skip("the tflite-micro wheel does not report kTfLiteAbort (oracle/wheel.py STOPPING_OPS); "
                    "the pinned TFLM sources are not resolved")


def unspecified(model, runs: int) -> tuple[list[bool], dict[tuple[int, int], np.ndarray]]:
    """(per run: stopped?, {(run, output tensor): mask of the elements TFLM leaves unspecified}).
    TFLM's window is its output tensor, which starts with whatever Prepare's temporary allocations
    left in the arena (pointer bytes, seen in the pinned TFLM); aot starts from zeros. So a window
    slot no frame has reached yet is compared nowhere: the first slots - shifts frames of an
    instance that has shifted fewer than `slots` times."""
    sg = model.main
    ops = [(sg.tensors[op.outputs[0]], read_custom_options(op.custom_options, op.name, "m").int("cycles_max", 0))
           for op in sg.operators]
    shifts, left = [0] * len(ops), [cycles for _, cycles in ops]
    stopped, masks = [], {}
    for run in range(runs):
        stop = False
        for k, (_, cycles) in enumerate(ops):
            shifts[k] += 1
            left[k] -= 1
            if left[k] != 0:
                stop = True
                break
            left[k] = cycles
        stopped.append(stop)
        for k, (y, _) in enumerate(ops):
            slots, depth = y.shape[1], y.shape[2] * y.shape[3]
            mask = np.zeros(y.elements, bool)
            mask[:max(slots - shifts[k], 0) * depth] = True
            masks[(run, y.index)] = mask
    return stopped, masks


def check_sequence(tmp_path, data: bytes, runs: int = RUNS, seed: int = 0, sanitize: bool = False) -> dict:
    """Host aot against the pinned TFLM over `runs` invokes in order: both stop the runs the options
    say (TML_NOT_READY, kTfLiteAbort) and agree on every op output element of the others but the
    window slots no frame has reached yet (`unspecified`). Returns counts."""
    require_pinned_oracle()
    model, _, (aot_outputs, aot), (tflm_outputs, tflm) = aot_op_cases.run_sequence(
        tmp_path, data, lambda m: random_inputs(m, runs, seed), sanitize)
    stopped, masks = unspecified(model, runs)
    assert [o is None for o in aot_outputs] == stopped and [o is None for o in tflm_outputs] == stopped
    compared = masked = 0
    for run in (r for r in range(runs) if not stopped[r]):
        for op in model.main.operators:
            index = op.outputs[0]
            a, b = np.frombuffer(aot[(run, index)], np.int8), np.frombuffer(tflm[(run, index)], np.int8)
            keep = ~masks[(run, index)]
            differ = np.flatnonzero((a != b) & keep)
            assert differ.size == 0, (f"run {run}: op #{op.index} output #{index} differs at {differ.size} of "
                                      f"{int(keep.sum())} elements, first [{differ[0]}]: aot {a[differ[0]]} vs "
                                      f"tflm {b[differ[0]]}")
            compared += int(keep.sum())
            masked += int(a.size - keep.sum())
    return {"stopped": sum(stopped), "ran": runs - sum(stopped), "compared": compared, "unspecified": masked}


def test_op_is_supported_by_aot():
    assert OP in supported_ops()


@pytest.mark.parametrize("op,dtype,seed", PARAMS)
def test_random_cases_bit_exact_over_a_sequence(tmp_path, op, dtype, seed):
    counts = check_sequence(tmp_path, random_model(seed), seed=seed)
    assert counts["ran"] >= RUNS // MAX_CYCLE_PRODUCT and counts["compared"] > counts["unspecified"]


def test_host_check_leaves_out_the_slots_no_frame_reached():
    """check_model (`scons target=host test`, the op-case tests) compared whole windows: the slots no
    frame has reached hold TFLM's arena leftovers and aot's zeros, so these models were a MISMATCH
    (seeds 1 and 2, from the first invoke on). circular_buffer_runs' prediction masks them now."""
    from tinyml_build.verification.host_check import check_model

    require_pinned_oracle()
    for seed in (1, 2):
        model = read_model(random_model(seed, cases=6), where=f"cb{seed}.tflite", name=f"cb{seed}")
        report = check_model(model, runs=12, seed=1)
        assert report.ok, str(report)


def test_abort_pattern_follows_the_first_not_ready_instance(tmp_path):
    """cycles_max 3 then 2: the second instance counts only the invokes the first lets through, so
    the model runs every 6th invoke (TFLM: the 6th, 12th, ...) and the stopped runs match exactly."""
    b = ModelBuilder()
    for n, cycles in enumerate((3, 2, 1)):
        x = b.tensor(f"x{n}", "int8", [1, 1, 1, 4], scale=0.1, zero_point=0)
        y = b.tensor(f"y{n}", "int8", [1, 3, 1, 4], scale=0.1, zero_point=0)
        b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x], [y], custom_options=flex_map({"cycles_max": cycles}))
        b.inputs.append(x)
        b.outputs.append(y)
    counts = check_sequence(tmp_path, b.build(), runs=13)
    assert (counts["stopped"], counts["ran"]) == (11, 2)


def test_under_sanitizers(tmp_path):
    counts = check_sequence(tmp_path, random_model(seed=9, cases=20), runs=12, sanitize=True)
    assert counts["stopped"] > 0 and counts["ran"] > 0


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
@pytest.mark.qemu
def test_on_cortex_m4():
    """qemu-m4: the same stopped runs (TML-NOT-READY lines) and every op output hash of the others
    (windows no larger than cycles_max: no unspecified slot when the model runs)."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    require_pinned_oracle()
    model = read_model(random_model(seed=11, cases=30, filled=True), where="circular_buffer.tflite",
                       name="circular_buffer")
    stopped, masks = unspecified(model, 16)
    assert 0 < sum(stopped) < 16 and not any(masks[(r, i)].any() for r, i in masks if not stopped[r])
    report = check_on_cortex_m(model, runs=16, seed=3)
    assert report.ok, str(report)


def _one_op(options: bytes | None, x_shape=(1, 1, 2, 3), y_shape=(1, 4, 2, 3), dtype="int8") -> bytes:
    b = ModelBuilder()
    x = b.tensor("x", dtype, list(x_shape))
    y = b.tensor("y", dtype, list(y_shape))
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x], [y], custom_options=options)
    b.inputs, b.outputs = [x], [y]
    return b.build()


@pytest.mark.parametrize("data,words", [
    (_one_op(None), "guesses cycles_max from the output shape"),
    (_one_op(flex_map({"cycles_max": 0})), "cycles_max = 0 is outside 1..2147483647"),
    (_one_op(flex_map({"cycles_max": -3})), "cycles_max = -3 is outside"),
    (_one_op(flex_map({"cycles": 2})), "cycles_max"),
    (_one_op(flex_map({"cycles_max": 2}), dtype="int16"), "is int16; runtime=aot supports int8"),
    (_one_op(flex_map({"cycles_max": 2}), x_shape=(2, 1, 2, 3), y_shape=(2, 4, 2, 3)), "batch 2"),
    (_one_op(flex_map({"cycles_max": 2}), x_shape=(1, 2, 2, 3)), "input [b, 1, h, w]"),
    (_one_op(flex_map({"cycles_max": 2}), y_shape=(1, 0, 2, 3)), "no slot"),
    (_one_op(flex_map({"cycles_max": 2}), x_shape=(1, 6), y_shape=(4, 6)), "rank 4"),
])
def test_models_aot_cannot_run_are_clear_errors(data, words):
    from tinyml_build.errors import TinyMLError

    with pytest.raises(TinyMLError) as info:
        lower_model(read_model(data, where="m.tflite", name="m"))
    assert words in str(info.value)
    assert "CIRCULAR_BUFFER" in str(info.value)
