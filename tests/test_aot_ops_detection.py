"""runtime=aot's TFLite_Detection_PostProcess bit-exact with the pinned TFLM (detection_postprocess.cc).

One generated model holds CASES independent instances of the op (random box counts, classes with
and without a background column, max_detections, detections_per_class, thresholds, scales, box
encodings wider than 4, both NMS modes), each with its own box-encoding and score inputs and its own
constant anchors. The inputs are designed, not drawn blindly: scores on a coarse grid so that many
tie (the sort orders TFLM fixes for ties are what is checked), a share below the threshold, some
boxes repeated (IoU 1) and, in one run, infinities and NaNs among the scores; box encodings that
decode to valid boxes (an empty box fails TFLM's invoke, tested on its own).
"""

import dataclasses
import json
import math
import re
import shutil
import subprocess
from typing import NamedTuple

import aot_op_cases
import numpy as np
import pytest
from tflite_builder import ModelBuilder, flex_map

from tinyml_build.errors import ModelError
from tinyml_build.model.flex_options import read_custom_options
from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.emit import render
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops import supported_ops
from tinyml_build.verification.host_check import HostCheckError, check_model, compile_program, run_program, run_tflm
from tinyml_build.verification.unwritten_outputs import fast_nms_slots

OP = "TFLite_Detection_PostProcess"
CASES = 50  # op instances per generated model
SEEDS = (0, 1, 2, 3)
RUNS = 4
SCALES = (10.0, 5.0, 2.5, 1.0, 0.5)


class Case(NamedTuple):
    """What one op instance's inputs need (case_inputs)."""

    boxes: int
    stride: int
    scores_shape: list
    repeats: np.ndarray  # boxes whose encodings repeat the previous box's
    full: bool
    no_nan: bool  # several categories per box: TFLM's partial sort of NaN scores is libstdc++'s heap order


def _options(rng, boxes: int, regular: bool) -> dict:
    classes = int(rng.integers(1, 7))
    max_detections = int(rng.integers(1, 11))
    options = {"max_detections": max_detections, "max_classes_per_detection": 1, "num_classes": classes,
               "nms_score_threshold": float(rng.choice([0.0, 0.25, 0.5, 0.625])),
               "nms_iou_threshold": float(rng.choice([1.0, 0.5, 0.3, 0.05, float(rng.uniform(0.01, 1.0))])),
               **{f"{axis}_scale": float(rng.choice(SCALES)) for axis in "yxhw"}}
    if regular or rng.random() < 0.5:
        options["use_regular_nms"] = regular
    if not regular and rng.random() < 0.2:
        options["max_classes_per_detection"] = int(rng.integers(2, 4))  # TFLM's slot formula (fast_slots)
    if rng.random() < 0.8:
        options["detections_per_class"] = int(rng.integers(1, 8))
    per_class = min(boxes, options.get("detections_per_class", 100))
    while regular and min(options["max_detections"], (classes - 1) * per_class) + per_class > \
            options["max_detections"] * boxes:
        options["max_detections"] += 1  # else TFLM's scratch would overflow (refused, tested below)
    return options


def add_case(b: ModelBuilder, rng, n: int, regular: bool, cases: list, full: bool = False):
    """One op instance; appends what its inputs need to `cases`. `full` (fast NMS): every box scores
    above the threshold and the anchors lie apart, so no box suppresses another and the op finds
    max_detections of them -- every output byte is specified (for whole-tensor comparisons)."""
    boxes = int(rng.choice([1, 2, int(rng.integers(3, 20)), int(rng.integers(20, 48))]))
    options = _options(rng, boxes, regular)
    background = int(rng.integers(0, 2))
    stride = int(rng.choice([4, 4, 5, 7]))
    extra = int(rng.choice([0, 0, 3]))  # anchors beyond the boxes TFLM reads
    centers = rng.uniform(0.0, 1.0, (boxes + extra, 2))
    sizes = rng.uniform(0.05, 0.6, (boxes + extra, 2))
    repeats = rng.random(boxes + extra) < 0.2  # anchors equal to the previous one: boxes that coincide
    if full:
        centers = np.stack([np.arange(boxes + extra) * 2.0, np.zeros(boxes + extra)], 1)
        sizes = rng.uniform(0.05, 0.3, (boxes + extra, 2))
        repeats[:] = False
        options.update({"max_detections": min(options["max_detections"], boxes), "max_classes_per_detection": 1,
                        "y_scale": 1.0, "x_scale": 1.0, "h_scale": 2.5, "w_scale": 2.5})
    anchors = np.concatenate([centers, sizes], 1).astype(np.float32)
    for i in np.flatnonzero(repeats[1:]) + 1:
        anchors[i] = anchors[i - 1]
    scores_shape = [1, boxes, options["num_classes"] + background]
    x = b.tensor(f"boxes{n}", "float32", [1, boxes, stride])
    s = b.tensor(f"scores{n}", "float32", scores_shape)
    a = b.tensor(f"anchors{n}", "float32", [boxes + extra, 4], data=anchors)
    categories = 1 if regular else min(options["max_classes_per_detection"], options["num_classes"])
    slots = max(options["max_detections"], categories * categories * min(boxes, options["max_detections"]))
    outs = [b.tensor(f"det_boxes{n}", "float32", [1, slots, 4]), b.tensor(f"det_classes{n}", "float32", [1, slots]),
            b.tensor(f"det_scores{n}", "float32", [1, slots]), b.tensor(f"num_det{n}", "float32", [1])]
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x, s, a], outs, custom_options=flex_map(options))
    cases.append(Case(boxes, stride, scores_shape, repeats[:boxes], full, categories > 1))
    return [x, s], outs


def generated_model(seed: int, cases: int = CASES, full: bool = False) -> tuple[bytes, list]:
    """`cases` instances, half of them regular NMS; (model bytes, per-case input facts). `full`: the
    fast NMS cases fill their outputs (add_case)."""
    rng = np.random.default_rng([seed, 7])
    b = ModelBuilder()
    facts: list = []
    for n in range(cases):
        xs, ys = add_case(b, rng, n, bool(n % 2), facts, full=full and not n % 2)
        b.inputs += xs
        b.outputs += ys
    return b.build(), facts


def case_inputs(facts: list, runs: int, seed: int, specials: bool = True) -> list[list[np.ndarray]]:
    """Per run, each case's box encodings (valid boxes: |encoding| <= 2, so exp neither overflows nor
    underflows) and scores: multiples of 1/8 in [-0.25, 1] (ties, a share below every threshold),
    the second run with continuous scores, the third with +-inf and NaN among them (`specials`)."""
    rng = np.random.default_rng([seed, 11])
    result = []
    for run in range(runs):
        arrays = []
        for case in facts:
            encodings = rng.uniform(-2.0, 2.0, (1, case.boxes, case.stride)).astype(np.float32)
            for i in np.flatnonzero(case.repeats[1:]) + 1:
                encodings[0, i] = encodings[0, i - 1]
            low = 0.625 if case.full else -0.25  # full: above every threshold
            if run == 1:
                scores = rng.uniform(low, 1.0, case.scores_shape)
            else:
                scores = rng.integers(int(low * 8), 9, case.scores_shape) / 8.0
            scores_shape = case.scores_shape
            if run == 2 and specials and not case.full:
                special = rng.random(scores_shape) < 0.1
                choices = [np.inf, -np.inf] if case.no_nan else [np.inf, -np.inf, np.nan]
                scores[special] = rng.choice(choices, int(special.sum()))
            arrays += [encodings, scores.astype(np.float32)]
        result.append(arrays)
    return result


def fast_written(op, tflm: dict, run: int):
    """The output slots fast NMS wrote in `run` (from TFLM's number of detections), or None for regular
    NMS, which writes every slot. TFLM leaves the others as its arena held them."""
    return fast_nms_slots(op, int(np.frombuffer(tflm[(run, op.outputs[3])], "<f4")[0]))


def compare(tmp_path, data: bytes, inputs, sanitize: bool = False, program=None) -> dict:
    """Run `data` in aot (host) and the oracle; compare every op output bit for bit, except the fast
    NMS entries TFLM leaves unwritten. Returns {"compared": elements, "unspecified": elements}."""
    model = read_model(data, where=str(tmp_path / "detection.tflite"), name="detection")
    program = program if program is not None else lower_model(model)
    exe = compile_program(tmp_path, render(program), program, sanitize)
    _, aot = run_program(exe, tmp_path, model, inputs)
    _, tflm = run_tflm(model, inputs)
    counts = {"compared": 0, "unspecified": 0}
    for run in range(len(inputs)):
        for op in model.main.operators:
            written = fast_written(op, tflm, run)
            for k, index in enumerate(op.outputs):
                a, b = (np.frombuffer(side[(run, index)], "<u4") for side in (aot, tflm))
                keep = np.ones(a.size, bool)
                if written is not None and k < 3:
                    width = 4 if k == 0 else 1
                    keep[:] = False
                    for slot in written:
                        keep[width * slot:width * (slot + 1)] = True
                differ = np.flatnonzero((a != b) & keep)
                assert differ.size == 0, (
                    f"run {run}: op #{op.index} output {k} '{model.main.tensors[index].name}' differs at "
                    f"{differ.size} of {int(keep.sum())} elements, first [{differ[0]}]: aot "
                    f"{a[differ].view('<f4')[0]} vs tflm {b[differ].view('<f4')[0]}")
                counts["compared"] += int(keep.sum())
                counts["unspecified"] += int(a.size - keep.sum())
    return counts


def check_generated(tmp_path, seed: int, cases: int = CASES, sanitize: bool = False) -> dict:
    data, facts = generated_model(seed, cases)
    return compare(tmp_path, data, case_inputs(facts, RUNS, seed), sanitize)


GENERATED_CASES = {OP: CASES * len(SEEDS)}


def test_op_is_supported_by_aot():
    assert OP in supported_ops()


@pytest.mark.parametrize("seed", SEEDS)
def test_random_cases_bit_exact(tmp_path, seed):
    counts = check_generated(tmp_path, seed)
    assert counts["compared"] > counts["unspecified"] > 0


def test_under_sanitizers(tmp_path):
    check_generated(tmp_path, seed=9, cases=12, sanitize=True)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_generated_cases_on_cortex_m4():
    """One cross-compile, one QEMU run: regular NMS cases and fast NMS cases that fill their outputs
    (so every byte is compared, by hash), against the pinned TFLM built with newlib (the box decode
    calls exp(): the target oracle, aot README)."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    data, facts = generated_model(5, cases=16, full=True)
    model = read_model(data, where="detection.tflite", name="detection")
    report = check_on_cortex_m(model, inputs=case_inputs(facts, 3, 5, specials=False))
    assert report.ok, str(report)


def test_a_changed_threshold_is_noticed(tmp_path):
    """The comparison can fail: the same model with every IoU threshold moved differs from TFLM."""
    data, facts = generated_model(0, 12)
    program = lower_model(read_model(data, where="detection.tflite", name="detection"))
    for i, struct in enumerate(program.structs):
        if "iou_threshold" in dict(struct.fields):
            fields = tuple((k, "0.01f" if k == "iou_threshold" else v) for k, v in struct.fields)
            program.structs[i] = dataclasses.replace(struct, fields=fields)
    with pytest.raises(AssertionError, match="differs at"):
        compare(tmp_path, data, case_inputs(facts, 2, 0), program=program)


def _single(options=None, boxes=6, classes_with_background=4, box_shape=None, anchors=None, outputs=4, slots=None,
            anchor_dtype="float32", constant_anchors=True) -> bytes:
    base = {"max_detections": 3, "max_classes_per_detection": 1, "num_classes": 3, "nms_score_threshold": 0.5,
            "nms_iou_threshold": 0.5, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}
    base.update(options or {})
    options = {k: v for k, v in base.items() if v is not None}
    b = ModelBuilder()
    x = b.tensor("boxes", "float32", box_shape or [1, boxes, 4])
    s = b.tensor("scores", "float32", [1, boxes, classes_with_background])
    if anchors is None:
        anchors = np.tile(np.array([0.5, 0.5, 0.2, 0.2], np.float32), (boxes, 1))
    a = b.tensor("anchors", anchor_dtype, list(anchors.shape), data=anchors if constant_anchors else None)
    slots = slots or options.get("max_detections", 3)
    outs = [b.tensor("db", "float32", [1, slots, 4]), b.tensor("dc", "float32", [1, slots]),
            b.tensor("ds", "float32", [1, slots]), b.tensor("nd", "float32", [1])][:outputs]
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x, s, a], outs, custom_options=flex_map(options))
    b.inputs, b.outputs = [x, s] + ([] if constant_anchors else [a]), outs
    return b.build()


@pytest.mark.parametrize("make,words", [
    (lambda: _single({"max_detections": 0}), "max_detections = 0"),
    (lambda: _single({"use_regular_nms": True, "detections_per_class": 0}), "detections_per_class = 0"),
    (lambda: _single({"max_classes_per_detection": 0}), "max_classes_per_detection = 0"),
    (lambda: _single({"nms_iou_threshold": 0.0}), "nms_iou_threshold = 0.0"),
    (lambda: _single({"nms_iou_threshold": 1.5}), "nms_iou_threshold = 1.5"),
    (lambda: _single({"nms_score_threshold": math.nan}), "nms_score_threshold is NaN"),
    (lambda: _single({"h_scale": 0.0}), "h_scale = 0.0"),
    (lambda: _single({"num_classes": 5}), "num_classes = 5 with 4 class scores"),
    (lambda: _single({"num_classes": 1}), "num_classes = 1 with 4 class scores"),
    (lambda: _single({"num_classes": 0}, classes_with_background=1), "num_classes = 0"),
    (lambda: _single(box_shape=[1, 6, 3]), "box encodings have shape [1, 6, 3]"),
    (lambda: _single(box_shape=[2, 6, 4]), "box encodings have shape [2, 6, 4]"),
    (lambda: _single(anchors=np.full((5, 4), 0.2, np.float32)), "TFLM reads 6 anchors"),
    (lambda: _single(anchors=np.full((24,), 0.2, np.float32)), "from a 2-D tensor"),
    (lambda: _single(anchors=np.tile(np.array([0.5, 0.5, 0.0, 0.2], np.float32), (6, 1))), "height or width"),
    (lambda: _single(anchor_dtype="int32", anchors=np.full((6, 4), 3, np.int32)), "'anchors' is int32"),
    (lambda: _single(constant_anchors=False), "anchors tensor #2 'anchors' is not constant"),
    (lambda: _single(outputs=3), "3 outputs; TFLM's kernel takes 3"),
    (lambda: _single({"max_detections": 5}, slots=3), "may write 20 there"),
    (lambda: _single({"max_classes_per_detection": 2}), "may write 48 there"),
    (lambda: _single({"use_regular_nms": True, "max_detections": 1}, boxes=1, slots=1), "past their end"),
])
def test_models_tflm_cannot_run_are_refused(make, words):
    assert words in aot_op_cases.lower_error(make())


@pytest.mark.parametrize("options,words", [
    ({"max_detections": None}, "'max_detections' is missing, which TFLM reads as 0"),
    ({"num_classes": 2.5}, "'num_classes' is a float, expected an integer"),
    ({"y_scale": "ten"}, "'y_scale' is a string, expected a number"),
    ({"use_regular_nms": [1]}, "'use_regular_nms' is a vector, expected a boolean"),
])
def test_malformed_options_are_a_clear_model_error(options, words):
    with pytest.raises(ModelError, match=words):
        lower_model(read_model(_single(options), where="m.tflite", name="m"))


def test_options_are_read_by_name_with_tflms_defaults():
    options = read_custom_options(flex_map({"b": 1.5, "a": 3, "c": True}), "op #0 x", "m.tflite")
    assert options.named_int("a") == 3 and options.named_int("z", 100) == 100
    assert options.named_float("b") == 1.5 and options.named_float("a") == 3.0
    assert options.named_float("b") == float(np.float32(1.5))
    assert options.named_bool("c", False) is True and options.named_bool("d", False) is False
    assert read_custom_options(flex_map({"f": 0.1}), "op #0 x", "m.tflite").named_float("f") == float(np.float32(0.1))


DIVIDE_CHECK = r"""
#include <stdio.h>
#include <string.h>
#include "tml_kernels.h"
static uint64_t state = 88172645463325252ull;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)state; }
int main(void) {
  static const uint32_t specials[] = {0u, 0x80000000u, 1u, 0x807FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0x7F800000u,
                                      0xFF800000u, 0x7FC00000u, 0x3F800000u, 0x3F7FFFFFu, 0x41200000u, 0x3F000000u};
  long differ = 0, i;
  for (i = 0; i < 2000000; ++i) {
    uint32_t a = next(), b = next(), wb[2], gb[2];
    float x, s;
    double want, got;
    if (i < 169) { a = specials[i % 13]; b = specials[i / 13]; }
    else if (i & 1) { b = (b & 0x807FFFFFu) | ((120u + next() % 16u) << 23); }  /* scales near 1 */
    if ((i & 7) == 3) { a = (a & 0xFF800000u) | (b & 0x007FFFFFu); }  /* equal significands */
    memcpy(&x, &a, 4);
    memcpy(&s, &b, 4);
    want = (double)x / (double)s;
    got = tml_detection_divide(x, s);
    memcpy(wb, &want, 8);
    memcpy(gb, &got, 8);
    if (want == want && memcmp(wb, gb, 8) != 0) { if (differ++ < 3) printf("%08x / %08x\n", a, b); }
    if (want != want && got == got) { differ++; }
  }
  printf("%ld differ\n", differ);
  return differ != 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_the_decode_division_rounds_as_ieee_division(tmp_path):
    """tml_detection_divide against the host FPU's double division: 2 million float pairs (specials,
    every exponent, scales near 1, equal significands)."""
    from tinyml_build.runtimes.aot.c_sources import AOT_INCLUDE_DIR, KERNELS_DIR

    (tmp_path / "check.c").write_text(DIVIDE_CHECK)
    exe = tmp_path / "check"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Werror", f"-I{AOT_INCLUDE_DIR}", str(tmp_path / "check.c"),
                    str(KERNELS_DIR / "detection_postprocess.c"), "-lm", "-o", str(exe)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "0 differ", run.stdout


def test_an_empty_decoded_box_fails_the_invoke_as_in_tflm(tmp_path):
    """exp() underflows to 0: the box is empty, TFLM's ValidateBoxes fails the invoke, so does aot's."""
    path = tmp_path / "m.tflite"
    path.write_bytes(_single())
    boxes = np.zeros((1, 6, 4), np.float32)
    boxes[0, 3, 2] = -1e4
    with pytest.raises(HostCheckError, match="invoke failed"):
        check_model(path, inputs=[[boxes, np.full((1, 6, 4), 0.75, np.float32)]])


@pytest.fixture(scope="module")
def tflm_kernels_dir():
    from tinyml_build.third_party.errors import ThirdPartyError
    from tinyml_build.third_party.lock import load_lock
    from tinyml_build.third_party.resolve import resolve

    try:
        return resolve(load_lock().get("tflite-micro")) / "tensorflow" / "lite" / "micro" / "kernels"
    except ThirdPartyError as error:
        pytest.skip(f"TFLM's sources do not resolve here ({error.what})")


def _tflm_options(kernels_dir, name: str) -> bytes:
    """The FlexBuffer options TFLM's own test feeds its kernel (generated by TF's flexbuffers builder)."""
    text = (kernels_dir / "detection_postprocess_flexbuffers_generated_data.cc").read_text()
    body = re.search(r"g_gen_data_" + name + r"\[\] = \{(.*?)\};", text, re.S).group(1)
    return bytes(int(x, 16) for x in re.findall(r"0x[0-9a-fA-F]+", body))


@pytest.mark.parametrize("name,regular,golden,tolerance", [
    # detection_postprocess_test.cc: DetectionPostprocessFloatFastNMS / ...FloatRegularNMS, their goldens
    # and tolerances (fast 0: here 1e-6 for the decode's rounding of 10.1 and 11.1; regular 0.1: 0.93 ~ 0.9)
    ("none_regular_nms", False, ([0, 10, 1, 11, 0, 0, 1, 1, 0, 100, 1, 101], [1, 0, 0], [0.95, 0.9, 0.3], [3]), 1e-6),
    ("regular_nms", True, ([0, 10, 1, 11, 0, 10, 1, 11, 0, 0, 0, 0], [1, 0, 0], [0.95, 0.9, 0.0], [2]), 0.1),
])
def test_tflms_own_test_case(tmp_path, tflm_kernels_dir, name, regular, golden, tolerance):
    """TFLM's unit test of the kernel, with its generated option bytes: aot gives its goldens (within
    its tolerances) and the oracle's bytes."""
    data = _tflm_options(tflm_kernels_dir, name)
    assert read_custom_options(data, OP, "test").named_bool("use_regular_nms", False) is regular
    b = ModelBuilder()
    x = b.tensor("boxes", "float32", [1, 6, 4])
    s = b.tensor("scores", "float32", [1, 6, 3])
    anchors = np.array([[0.5, 0.5, 1, 1]] * 3 + [[0.5, 10.5, 1, 1]] * 2 + [[0.5, 100.5, 1, 1]], np.float32)
    a = b.tensor("anchors", "float32", [6, 4], data=anchors)
    outs = [b.tensor("db", "float32", [1, 3, 4]), b.tensor("dc", "float32", [1, 3]),
            b.tensor("ds", "float32", [1, 3]), b.tensor("nd", "float32", [1])]
    b.op(b.opcode(fb.BuiltinOperator.CUSTOM, custom=OP), [x, s, a], outs, custom_options=data)
    b.inputs, b.outputs = [x, s], outs
    boxes = np.zeros((1, 6, 4), np.float32)
    boxes[0, [1, 4], 1], boxes[0, 2, 1] = 1.0, -1.0
    scores = np.array([0, .9, .8, 0, .75, .72, 0, .6, .5, 0, .93, .95, 0, .5, .4, 0, .3, .2], np.float32)
    inputs = [[boxes, scores.reshape(1, 6, 3)]]
    model = read_model(b.build(), where="tflm_test.tflite", name="tflm_test")
    program = lower_model(model)
    aot, _ = run_program(compile_program(tmp_path, render(program), program, False), tmp_path, model, inputs)
    tflm, _ = run_tflm(model, inputs)
    for k, expected in enumerate(golden):
        assert aot[0][k].tobytes() == tflm[0][k].tobytes()
        np.testing.assert_allclose(aot[0][k].reshape(-1), np.array(expected, np.float32), rtol=0, atol=tolerance)


# --- golden data of fast NMS: only the slots it writes are compared (verification/unwritten_outputs.py) ---

def _fast_model(tmp_path):
    rng = np.random.default_rng(7)
    anchors = np.column_stack([rng.uniform(0.1, 0.9, (20, 2)), rng.uniform(0.1, 0.3, (20, 2))]).astype(np.float32)
    path = tmp_path / "fast_nms.tflite"
    path.write_bytes(_single({"max_detections": 10}, boxes=20, anchors=anchors))
    return path


def test_fast_nms_golden_data_compare_only_the_written_slots(tmp_path):
    """TFLM leaves fast NMS's unwritten slots as its arena held them: golden data mark them, and a
    report differing there passes while one differing in a written slot still fails."""
    from tinyml_build.verification.golden import Golden, make_golden
    from tinyml_build.verification.qemu_runner import ModelReport, _vector_differences
    from tinyml_build.verification.test_vectors import render_test_vectors

    model = read_model(_fast_model(tmp_path).read_bytes(), where="fast_nms.tflite", name="fast_nms")
    golden = Golden.from_json(make_golden(model, random_vectors=12).to_json())  # the masks survive JSON
    partial = [(v, vector) for v, vector in enumerate(golden.vectors)
               if vector.care and 0 in vector.care[0] and 1 in vector.care[0]]
    assert partial, "no vector leaves slots unwritten: the case does not exercise the masks"
    v, vector = partial[0]
    assert vector.care[3] is None, "num_detections is always written"
    unwritten = vector.care[0].index(0)
    written = vector.care[0].index(1)
    for at, expect_difference in ((unwritten, False), (written, True)):
        got = bytearray(vector.outputs[0])
        got[at] ^= 0x5A
        report = ModelReport("fast_nms", outputs={(v, o): (bytes(got) if o == 0 else data).hex()
                                                  for o, data in enumerate(vector.outputs)})
        assert bool(_vector_differences(report, v, vector)) == expect_difference
    source = render_test_vectors(golden)
    assert f"tv{v}_care0" in source and f"tv{v}_care3" not in source


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc and qemu-system-arm are needed (./setup.sh installs them)")
def test_fast_nms_image_passes_its_test(tmp_path):
    """`scons ... test` of a fast-NMS model whose vectors leave slots unwritten: aot writes zeros there,
    the golden data (TFLM) whatever its arena held; the image is judged on the written slots only."""
    from conftest import PROJECT_DIR

    path = _fast_model(tmp_path)
    result = subprocess.run(["python3", "-m", "SCons", "-Q", "-j2", "target=qemu-m4", "runtime=aot", f"model={path}",
                             f"build_dir={tmp_path / 'build'}", "test"], capture_output=True, text=True,
                            cwd=PROJECT_DIR)
    assert result.returncode == 0 and "test: PASS" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
    golden = json.loads((tmp_path / "build" / "qemu-m4" / "fast_nms" / "golden" / "fast_nms.json").read_text())
    assert any("00" in v.get("care", [""])[0] for v in golden["vectors"]), "no unwritten slot was exercised"


def test_host_check_of_fast_nms_compares_only_the_written_slots(tmp_path):
    """check_model (every op output against the oracle) on the same model: bit-exact on the written slots,
    where a whole-tensor comparison reports TFLM's leftover arena bytes as a divergence."""
    aot_op_cases.assert_exact(check_model(_fast_model(tmp_path), runs=12))
