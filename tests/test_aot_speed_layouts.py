"""The shapes at the edges of the fast int8 FULLY_CONNECTED and AVERAGE_POOL_2D paths, bit-exact.

FULLY_CONNECTED stores its weights in the kernel's SMLAD layout (rows in groups of four, every other
byte offset by 128; ops/fully_connected.py smlad_weights) and walks the input in chunks of 64 quads;
AVERAGE_POOL_2D sums four channels in int16 lanes while a window has at most 256 taps. Each case
here sits on one of those edges: partial row groups, depth tails, odd quad counts, several chunks,
batches, layers kept row-major; windows of exactly 256 taps and of more. One model, one compile
per runner: the host (portable C) and qemu-m4 (the Armv7E-M SIMD paths).
"""

import shutil

import aot_window_cases
import numpy as np
import pytest
from aot_op_cases import assert_exact
from tflite_builder import ModelBuilder

from tinyml_build.model.reader import read_model
from tinyml_build.model.schema import fb
from tinyml_build.runtimes.aot.ops.fully_connected import ROW_GROUP, smlad_weights
from tinyml_build.verification.host_check import check_model, random_inputs

# (depth, units, batches): the edges of the layout and of the kernel's loops
FC_SHAPES = [(4, 4, 1), (5, 5, 1), (7, 6, 2), (131, 7, 1), (260, 9, 1), (129, 36, 1), (522, 13, 2), (3, 8, 1),
             (16, 3, 2)]
# (input side, filter side, channels): 256 taps (int16 lanes, exactly at INT16_MIN for -128) and 289 (int32)
POOLS = [(16, 16, 6), (17, 17, 5), (4, 3, 9)]


def _pool(b, n, side, filt, channels):
    x = b.tensor(f"px{n}", "int8", [1, side, side, channels], scale=0.02, zero_point=-5)
    y = b.tensor(f"py{n}", "int8", [1, side - filt + 1, side - filt + 1, channels], scale=0.02, zero_point=-5)
    options = fb.Pool2DOptionsT()
    options.padding = fb.Padding.VALID
    options.strideH = options.strideW = 1
    options.filterHeight = options.filterWidth = filt
    b.op(b.opcode(fb.BuiltinOperator.AVERAGE_POOL_2D, version=2), [x], [y], fb.BuiltinOptions.Pool2DOptions, options)
    return [x], [y]


def _model():
    rng = np.random.default_rng(31)
    b = ModelBuilder()
    for n, (depth, units, batches) in enumerate(FC_SHAPES):
        xs, ys = aot_window_cases.fully_connected(b, rng, "int8", n, depth, units, [batches], False,
                                                  per_channel=bool(n % 2), with_bias=n != 2)
        b.inputs, b.outputs = b.inputs + xs, b.outputs + ys
    for n, shape in enumerate(POOLS):
        xs, ys = _pool(b, n, *shape)
        b.inputs, b.outputs = b.inputs + xs, b.outputs + ys
    return read_model(b.build(), where="speed_layouts.tflite", name="speed_layouts")


def _kernel_sum(layout: np.ndarray, x: np.ndarray, units: int, depth: int) -> np.ndarray:
    """What fully_connected.c's SMLAD path accumulates per row, computed from the layout's bytes."""
    quads = depth // 4
    stored = layout.view(np.uint8).astype(np.int64)
    sums = np.zeros(units, np.int64)
    offset = 0
    for first in range(0, units, ROW_GROUP):
        rows = min(ROW_GROUP, units - first)
        for q in range(quads):
            xq = x[4 * q:4 * q + 4].astype(np.int64)
            for j in range(rows):
                s = stored[offset + 4 * (q * rows + j):][:4]
                raw = [s[0] + 256 * (s[1] - 256 * (s[1] > 127)), s[2] + 256 * (s[3] - 256 * (s[3] > 127))]
                odd = [s[1] - 256 * (s[1] > 127), s[3] - 256 * (s[3] > 127)]
                xb = [xq[1] - 128 - 256 * xq[0], xq[3] - 128 - 256 * xq[2]]
                assert all(-32768 <= v <= 32767 for v in raw + xb)  # SMLAD's int16 lanes
                sums[first + j] += xq[0] * raw[0] + xq[2] * raw[1] + xb[0] * odd[0] + xb[1] * odd[1]
        tail = stored[offset + 4 * quads * rows:offset + rows * depth].reshape(rows, -1)
        tail = tail - 256 * (tail > 127)
        sums[first:first + rows] += tail @ x[4 * quads:].astype(np.int64)
        offset += rows * depth
    return sums


@pytest.mark.parametrize("units,depth", [(4, 4), (7, 9), (9, 131), (12, 8)])
def test_smlad_layout_sums_are_the_dot_product_plus_the_folded_terms(units, depth):
    """x.w = layout sum - 128 * (x0 + x2 over the quads) - the row constant (folded into the bias), for
    extreme and random values: the identity fully_connected.c relies on; every int16 lane fits."""
    rng = np.random.default_rng(units * 1000 + depth)
    random_w = rng.integers(-128, 128, (units, depth)).astype(np.int8)
    for w, x in [(np.full((units, depth), -128, np.int8), np.full(depth, -128, np.int8)),
                 (np.full((units, depth), 127, np.int8), np.full(depth, -128, np.int8)),
                 (random_w, rng.integers(-128, 128, depth).astype(np.int8))]:
        layout, carried = smlad_weights(w)
        assert layout.size == w.size  # no byte beyond the weights
        even = int(x[0:depth // 4 * 4:4].astype(np.int64).sum() + x[2:depth // 4 * 4:4].astype(np.int64).sum())
        expected = w.astype(np.int64) @ x.astype(np.int64)
        assert np.array_equal(_kernel_sum(layout, x, units, depth) - 128 * even - carried, expected)


def test_small_layers_stay_row_major():
    w = np.arange(24, dtype=np.int8).reshape(3, 8)
    layout, carried = smlad_weights(w)
    assert np.array_equal(layout, w.reshape(-1)) and not carried.any()


def test_edge_shapes_bit_exact_on_host(tmp_path):
    model = _model()
    report = check_model(model, inputs=random_inputs(model, 3, 0))
    assert_exact(report)


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_edge_shapes_bit_exact_on_cortex_m4():
    from tinyml_build.verification.target_check import check_on_cortex_m

    model = _model()
    report = check_on_cortex_m(model, inputs=random_inputs(model, 3, 0))
    assert_exact(report)
