"""runtime=aot int8 CONV_2D on the SMLAD weight layout (kernels/conv2d.c tml_conv2d_s8_smlad,
ops/_conv2d_smlad.py): bit-exact with the pinned TFLM on the host and on qemu-m4.

The generated window cases draw small convolutions; these draw the shapes the layout path meets
in real models and its edges: 1x1 convolutions read in place (odd and even pixel counts, batches;
person_detect's 8-channel input, two quads deep, runs one pixel at a time; 9-11 channels do not), every entry of the
four-quad loop (quads % 4),
windows gathered through im2col (SAME padding, strides, kws' 10x4 first layer), depths that are
not a multiple of 4 (the rows' tail bytes), output channels that are not a multiple of the row
group of four (the last, partial group) or span several requantization blocks of 32, depths
beyond one chunk of forms (k > 128), per-tensor and per-channel scales, activation clamps and
the general requantization form (effective multipliers of 0.5 and more). One model holds every
case: one compile per target.
"""

import shutil

import aot_window_cases as wc
import numpy as np
import pytest
from aot_op_cases import assert_exact
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.lower import lower_model
from tinyml_build.runtimes.aot.ops._conv2d_smlad import MIN_DEPTH
from tinyml_build.verification.host_check import check_model, random_inputs

CASES = 40
SEED = 11
RUNS = 4  # all-minimum, all-maximum and two random input vectors


def add_conv2d_layout(b, rng, n):
    """One single-group int8 CONV_2D that takes the layout path: 1x1 read in place half of the
    time, else a window up to 5x5 (or kws' 10x4, stride 2) gathered with padding."""
    batches = 1 if rng.random() < 0.85 else 2
    kind = rng.random()
    if kind < 0.5:  # pointwise, in place; 30 % of them two quads deep (one pixel at a time, tml_conv_smlad_q2)
        k_h = k_w = 1
        in_c = int(rng.choice([8, 8, 8, 9, 10, 11])) if rng.random() < 0.3 else int(rng.integers(MIN_DEPTH, 90))
        h, w = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    elif kind < 0.6:  # kws' first layer: 10x4 on one channel, stride 2, SAME
        k_h, k_w, in_c = 10, 4, 1
        h, w = int(rng.integers(8, 16)), int(rng.integers(4, 8))
    else:
        k_h, k_w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        in_c = int(rng.integers(max(1, -(-MIN_DEPTH // (k_h * k_w))), 24))
        h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    out_c = int(rng.choice([4, 8, 32, 64])) if rng.random() < 0.4 else int(rng.integers(4, 70))
    if kind >= 0.5 and kind < 0.6:
        stride, dil, padding = (2, 2), (1, 1), fb.Padding.SAME
        out_h, out_w = -(-h // 2), -(-w // 2)
    else:
        stride, dil, padding, out_h, out_w = wc.window_geometry(rng, h, w, k_h, k_w, dilation=rng.random() < 0.2)
    per_channel = rng.random() < 0.6
    depth = k_h * k_w * in_c
    (in_s, in_zp), w_scales, (out_s, out_zp) = wc.conv_quantization(rng, "int8", depth, out_c, per_channel)
    x = b.tensor(f"x{n}", "int8", [batches, h, w, in_c], scale=in_s, zero_point=in_zp)
    wt = b.tensor(f"w{n}", "int8", [out_c, k_h, k_w, in_c], data=wc.weights(rng, (out_c, k_h, k_w, in_c)),
                  scale=w_scales, zero_point=[0] * len(w_scales))
    inputs = [x, wt]
    if rng.random() < 0.85:
        inputs.append(wc.bias_tensor(b, rng, f"b{n}", "int32", in_s, w_scales, out_c, depth))
    y = b.tensor(f"y{n}", "int8", [batches, out_h, out_w, out_c], scale=out_s, zero_point=out_zp)
    options = fb.Conv2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.fusedActivationFunction = wc.activation(rng, out_s)
    b.op(b.opcode(fb.BuiltinOperator.CONV_2D, version=3), inputs, [y], fb.BuiltinOptions.Conv2DOptions, options)
    return [x], [y]


def layout_model(cases: int = CASES, seed: int = SEED) -> bytes:
    rng = np.random.default_rng(seed)
    b = ModelBuilder("conv2d smlad layout")
    for n in range(cases):
        xs, ys = add_conv2d_layout(b, rng, n)
        b.inputs, b.outputs = b.inputs + xs, b.outputs + ys
    return b.build()


def _model():
    return read_model(layout_model(), where="conv2d_smlad.tflite", name="conv2d_smlad")


def test_cases_reach_the_layout_edges():
    """The draw is what the docstring says, so a change of the generator cannot drop an edge."""
    sub = _model().main
    shapes = []
    for op in sub.operators:
        x, w, y = (sub.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        out_c, k_h, k_w, in_c = w.shape
        pixels = y.shape[0] * y.shape[1] * y.shape[2]
        scale = x.quantization.scale[0] * max(w.quantization.scale) / y.quantization.scale[0]
        shapes.append((out_c, k_h * k_w * in_c, k_h * k_w, pixels, len(w.quantization.scale) > 1, scale))
    assert any(k == 1 and p % 2 for _, _, k, p, _, _ in shapes)  # 1x1, odd pixel count
    assert any(k == 40 for _, _, k, _, _, _ in shapes)  # kws' 10x4
    assert sum(d == 8 for _, d, _, _, _, _ in shapes) >= 2  # two quads: tml_conv_smlad_q2
    assert any(d // 4 == 2 and d > 8 for _, d, _, _, _, _ in shapes)  # two quads and a tail: the passes
    assert sum(d // 4 % 4 == r for _, d, _, _, _, _ in shapes for r in range(4)) == CASES  # every loop entry
    assert all(any(d // 4 % 4 == r and d > 16 for _, d, _, _, _, _ in shapes) for r in range(4))
    assert sum(d % 4 != 0 for _, d, _, _, _, _ in shapes) >= 10  # tail bytes
    assert sum(o % 4 != 0 for o, *_ in shapes) >= 10 and any(o > 32 and o % 4 for o, *_ in shapes)
    assert any(d > 128 for _, d, _, _, _, _ in shapes)  # more than one chunk of forms
    assert 5 <= sum(pc for *_, pc, _ in shapes) <= CASES - 5  # per-channel and per-tensor
    assert sum(s >= 0.5 for *_, s in shapes) >= 2  # tml_requant's general form


def test_every_case_takes_the_layout_path_with_the_weights_bytes():
    """Each CONV_2D calls tml_conv2d_s8_smlad, and the layout adds no byte: its weight arrays hold
    exactly the model's weights (tml_conv2d_s8's rows carried up to 3 zero bytes more)."""
    model = _model()
    program = lower_model(model)
    calls = [s for step in program.steps for s in step.statements if "tml_conv2d_s8" in s]
    assert len(calls) == CASES and all("tml_conv2d_s8_smlad(" in c for c in calls)
    sub = model.main
    weight_bytes = sorted(sub.tensors[op.inputs[1]].elements for op in sub.operators)
    layouts = sorted(a.nbytes for a in program.arrays if "SMLAD layout" in a.comment)
    assert layouts == weight_bytes


def test_generated_models_are_reproducible():
    assert layout_model(4) == layout_model(4)


def test_layout_path_bit_exact_on_host():
    model = _model()
    report = check_model(model, inputs=random_inputs(model, RUNS, 0))
    assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_layout_path_bit_exact_on_cortex_m4():
    """The inline-asm passes (two pixels x two rows per weight word) only run on the target: one
    cross-compile, one QEMU run of every case."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = _model()
    report = check_on_cortex_m(model, inputs=random_inputs(model, RUNS, 0))
    assert_exact(report)
