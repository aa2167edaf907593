"""runtime=aot int8 DEPTHWISE_CONV_2D: the Cortex-M fast paths of kernels/depthwise_conv2d.c, bit-exact
with the pinned TFLM on the host and on qemu-m4.

The generated window cases (test_aot_ops_generated_window.py) draw kernel sizes 1..4 and any channel
count, so the paths real models take -- 3x3, depth multiplier 1, channels a multiple of 4 -- are a
small fraction of them. These cases draw mostly those: the fused 3x3 path (four channels per group,
requantized in registers; per-channel and per-tensor scales, with and without an activation clamp),
the 3x3 path whose requantization needs tml_requant's general form (multipliers above 0.5), rows
whose inner pixels share one set of tap pointers (strides 1-3, dilations, SAME and VALID padding,
inputs narrower than the window), layers of one input channel (micro_speech's and person_detect's
first: windows read in place or gathered at the border), and next to them other kernel sizes,
channel tails and depth multipliers. One model holds all cases: one compile per target.
"""

import shutil

import aot_window_cases as wc
import numpy as np
import pytest
from aot_op_cases import assert_exact
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.verification.host_check import check_model, random_inputs

CASES = 72
SEED = 7
RUNS = 4  # all-minimum, all-maximum and two random input vectors


def add_depthwise_fast(b, rng, n):
    """One DEPTHWISE_CONV_2D: 3x3 and multiplier 1 with 4..40 channels in multiples of 4 most of
    the time; one input channel with multiplier 4 or 8 (tml_depthwise_conv2d_s8_single) 15 % of the
    time; otherwise another kernel size, a channel tail or a depth multiplier of 2."""
    batches = 1 if rng.random() < 0.8 else 2
    h, w = int(rng.integers(1, 13)), int(rng.integers(1, 13))
    kind = rng.random()
    usual, single = kind < 0.65, kind >= 0.85  # single: one input channel, multiplier 4 or 8
    k_h, k_w = (3, 3) if usual or rng.random() < 0.5 else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    in_c = 4 * int(rng.integers(1, 11)) if usual else 1 if single else int(rng.integers(1, 20))
    multiplier = int(rng.choice([4, 8])) if single else 2 if not usual and rng.random() < 0.3 else 1
    if single and rng.random() < 0.5:  # micro_speech's kind: a window of several words per row
        h, w = int(rng.integers(4, 16)), int(rng.integers(4, 16))
        k_h, k_w = int(rng.integers(2, 11)), int(rng.integers(4, 11))
    out_c = in_c * multiplier
    stride, dil, padding, out_h, out_w = wc.window_geometry(rng, h, w, k_h, k_w, dilation=rng.random() < 0.3)
    per_channel = rng.random() < 0.6
    (in_s, in_zp), w_scales, (out_s, out_zp) = wc.conv_quantization(rng, "int8", k_h * k_w, out_c, per_channel)
    x = b.tensor(f"x{n}", "int8", [batches, h, w, in_c], scale=in_s, zero_point=in_zp)
    wt = b.tensor(f"w{n}", "int8", [1, k_h, k_w, out_c], data=wc.weights(rng, (1, k_h, k_w, out_c)),
                  scale=w_scales, zero_point=[0] * len(w_scales), axis=3)
    inputs = [x, wt, wc.bias_tensor(b, rng, f"b{n}", "int32", in_s, w_scales, out_c, k_h * k_w)]
    y = b.tensor(f"y{n}", "int8", [batches, out_h, out_w, out_c], scale=out_s, zero_point=out_zp)
    options = fb.DepthwiseConv2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = stride
    options.dilationHFactor, options.dilationWFactor = dil
    options.depthMultiplier = multiplier
    options.fusedActivationFunction = wc.activation(rng, out_s)
    b.op(b.opcode(fb.BuiltinOperator.DEPTHWISE_CONV_2D, version=3), inputs, [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions, options)
    return [x], [y]


def fast_path_model(cases: int = CASES, seed: int = SEED) -> bytes:
    rng = np.random.default_rng(seed)
    b = ModelBuilder("depthwise fast paths")
    for n in range(cases):
        xs, ys = add_depthwise_fast(b, rng, n)
        b.inputs, b.outputs = b.inputs + xs, b.outputs + ys
    return b.build()


def _model():
    return read_model(fast_path_model(), where="depthwise_fast.tflite", name="depthwise_fast")


def test_cases_reach_the_fast_paths():
    """The draw is what the docstring says (so a change of the generator cannot silently drop a path):
    most cases take the fused 3x3 path, some of them need the general requantization (an effective
    multiplier of 0.5 or more: TFLM shift > -2), and other kernel sizes and multipliers are there too."""
    sub = _model().main
    fused, general = 0, 0
    for op in sub.operators:
        x, w, y = (sub.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if w.shape[1:3] == (3, 3) and w.shape[3] % 4 == 0 and op.options.get("depth_multiplier", 1) == 1:
            fused += 1
            scale = x.quantization.scale[0] / y.quantization.scale[0]
            general += max(w.quantization.scale) * scale >= 0.5
    assert fused >= CASES // 2 and general >= 2
    assert any(sub.tensors[op.inputs[1]].shape[1:3] != (3, 3) for op in sub.operators)
    assert any(op.options.get("depth_multiplier", 1) == 2 for op in sub.operators)
    single = [sub.tensors[op.inputs[1]].shape for op in sub.operators if sub.tensors[op.inputs[0]].shape[3] == 1]
    assert len([s for s in single if s[3] % 4 == 0]) >= 5 and any(s[2] >= 4 for s in single)


def test_generated_models_are_reproducible():
    assert fast_path_model(4) == fast_path_model(4)


def test_fast_paths_bit_exact_on_host():
    model = _model()
    report = check_model(model, inputs=random_inputs(model, RUNS, 0))
    assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_fast_paths_bit_exact_on_cortex_m4():
    """The SIMD32 paths (inline-asm taps, fused requantization) only run on the target: one
    cross-compile, one QEMU run of every case."""
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = _model()
    report = check_on_cortex_m(model, inputs=random_inputs(model, RUNS, 0))
    assert_exact(report)
