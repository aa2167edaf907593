"""FULLY_CONNECTED: int8 (per-tensor or per-channel weights) and float32; int16 in fully_connected_16x8.py.

Mirrors TFLM's CalculateOpDataFullyConnected: per-channel multipliers use the double product
of scales, per-tensor the float32 product. The input zero point is folded into the bias
(bias - zp_in * row_sum(weights)), which is exact in integer arithmetic and removes the
per-element offset add from the kernel's inner loop.

The int8 weights are stored in the kernel's SMLAD layout (`smlad_weights`, same byte count): rows
interleaved four at a time and every other byte offset by 128, which lets the kernel skip one of
the two sign extensions per weight word. What that layout adds to each dot product (a constant
per row) is folded into the bias too; fully_connected.c explains the algebra.
"""

import math

import numpy as np

from tinyml_build.analysis.reference_quant_limits import fc_bias_scale_problem
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._requant import output_stage
from tinyml_build.runtimes.aot.ops.fully_connected_16x8 import lower_fully_connected_16x8
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    float_activation_range,
    per_channel_multipliers,
    per_tensor_fc_multiplier,
    wrap_int32,
)

ROW_GROUP = 4  # rows the kernel reads per pass over the input (fully_connected.c)
FORMS_ROWS = 3 * ROW_GROUP  # TML_FC_FORMS_ROWS: from this many rows the kernel stores the input's SMLAD forms
FORMS_STACK_QUADS = 16  # TML_FC_STACK_QUADS: inputs this deep (and FORMS_ROWS..STACK_BLOCK rows) keep the stack
FORMS_CHUNK_QUADS = 64  # TML_FC_CHUNK_QUADS: input quads per chunk of forms in the layer's buffer
SCRATCH_BLOCK = 32  # TML_FC_SCRATCH_BLOCK: outputs per requantization block of the SMLAD layout's path
STACK_BLOCK = 16  # TML_FC_BLOCK: rows whose accumulators the kernel's small stack buffers hold
STACK_WORDS = (16, 48, 64, 96, 160)  # the kernel's stack buffers, int32 words (fully_connected.c TML_FC_STACK_WORK)


def smlad_weights(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bytes in the kernel's layout, per-row constant its dot products carry) of int8 [units, depth].

    Layers with fewer than ROW_GROUP rows or depth < 4 stay row-major (constant 0): the kernel runs
    them plainly (fully_connected.c, tml_fc_plain), as their set-up would cost more than it saves.

    Rows in groups of ROW_GROUP (the last may be smaller). A group of r rows stores, for each
    4-byte column quad, the quad of row 0, of row 1, ... row r-1; then each row's depth % 4 tail
    bytes. Inside quads, bytes 0 and 2 hold w + 128 (read as unsigned by the kernel), bytes 1
    and 3 hold w; a quad then contributes x.w + 128 (x0 + x2) - 128 (w1 + w3) to the row's sum:
    the returned constant is -128 * sum(w1 + w3) per row (the input term is the kernel's).
    """
    units, depth = weights.shape
    if units < ROW_GROUP or depth < 4:
        return weights.reshape(-1).astype(np.int8), np.zeros(units, np.int64)
    quads = depth // 4 * 4
    w = weights.astype(np.int64)
    stored = w.copy()
    stored[:, 0:quads:4] += 128
    stored[:, 2:quads:4] += 128
    carried = -128 * (w[:, 1:quads:4].sum(axis=1) + w[:, 3:quads:4].sum(axis=1))
    parts = []
    for first in range(0, units, ROW_GROUP):
        group = stored[first:first + ROW_GROUP]
        rows = group.shape[0]
        parts.append(group[:, :quads].reshape(rows, -1, 4).transpose(1, 0, 2).reshape(-1))
        parts.append(group[:, quads:].reshape(-1))
    layout = np.concatenate(parts).astype(np.uint8).view(np.int8)  # w + 128 is stored as its byte
    return layout, carried


def _shapes(ctx):
    x, w, y = ctx.input(0), ctx.input(1), ctx.output(0)
    if w is None or len(w.shape) != 2:
        raise ctx.unsupported(f"weights must be a 2-D tensor, got {None if w is None else list(w.shape)}")
    units, depth = w.shape
    out_depth = y.shape[-1] if y.shape else 1
    if out_depth != units:
        raise ctx.unsupported(f"output depth {out_depth} does not match the weights' {units} rows")
    if x.elements % depth:
        raise ctx.unsupported(f"input of {x.elements} elements is not a multiple of the weights' depth {depth}")
    batches = x.elements // depth
    if batches * units != y.elements:
        raise ctx.unsupported(f"output has {y.elements} elements, expected {batches} x {units}")
    return batches, depth, units


@register("FULLY_CONNECTED")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int8", "int16", "float32"), "input")
    if x.dtype == "int16":
        lower_fully_connected_16x8(ctx, _shapes)
    elif x.dtype == "float32":
        _lower_float(ctx)
    else:
        _lower_int8(ctx)


def _lower_int8(ctx) -> None:
    x = ctx.input(0)
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    bias = ctx.input(2)
    if bias is not None:
        ctx.require_dtype(bias, ("int32",), "bias")
    ctx.require_constant(w, "weights")
    if bias is not None:
        ctx.require_constant(bias, "bias")
    if ctx.options.get("weights_format", 0) not in (0, None):
        raise ctx.unsupported("shuffled weights format is not supported")
    batches, depth, units = _shapes(ctx)

    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    wq = w.quantization
    if wq is None:
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' is not quantized")
    if any(zp != 0 for zp in wq.zero_point):
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' has a nonzero zero point "
                              "(TFLM requires symmetric int8 weights)")
    if bias is not None and not wq.per_channel and (
            problem := fc_bias_scale_problem(in_scale, wq.scale[0], bias, out_scale)):
        raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' has {problem[0]}; TFLM's Prepare requires "
                              f"{problem[1]}")
    if wq.per_channel:
        multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, units)
    else:
        m, s = per_tensor_fc_multiplier(in_scale, wq.scale[0], out_scale)
        multipliers, shifts = [m] * units, [s] * units
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), "int8", out_scale, out_zp)

    weights = w.array().astype(np.int64)
    layout, carried = smlad_weights(w.array())
    bias_values = bias.array().astype(np.int64) if bias is not None else np.zeros(units, np.int64)
    # the kernel's sums carry the layout's row constant; subtracting it here leaves TFLM's accumulator
    folded = [wrap_int32(int(b) - in_zp * int(s) - int(c))
              for b, s, c in zip(bias_values, weights.sum(axis=1), carried)]

    params = ctx.params("tml_fc_s8_params", {
        "weights": ctx.array(layout, "int8_t", f"weights of tensor #{w.index} in the kernel's SMLAD layout"),
        "bias": ctx.array(folded, "int32_t", "bias with the input zero point and the layout's constant folded in"),
        "out": output_stage(ctx, multipliers, shifts, out_zp, act_min, act_max),
        "batches": batches,
        "accum_depth": depth,
        "output_depth": units,
    })
    if units < ROW_GROUP or depth < 4:  # smlad_weights keeps these row-major
        ctx.call("tml_fully_connected_s8_rows", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="fully_connected")
    else:
        ctx.call("tml_fully_connected_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), _work(ctx, depth, units),
                 str(stack_words(depth, units)), kernel="fully_connected")


def _work(ctx, depth: int, units: int) -> str:
    """The kernel's buffer (work_bytes) as arena scratch only where the plan has room for it without
    growing the arena: a required buffer made the arena grow (anomaly_fc 768 -> 1,408 B) while the
    stack reservation, fixed by the linker script, did not shrink. NULL otherwise, and for the
    smallest layers (fewer than FORMS_ROWS rows, or up to STACK_BLOCK rows of at most FORMS_STACK_QUADS
    input quads, whose buffer is at most 192 B): the kernel then holds the buffer on the frame of the
    function stack_words picks (fully_connected.c, tml_fully_connected_s8_stack<words>)."""
    if units < FORMS_ROWS or (units <= STACK_BLOCK and depth // 4 <= FORMS_STACK_QUADS):
        return "NULL"
    return f"(int32_t *)(void *){ctx.scratch(work_bytes(depth, units), optional=True)}"


def work_bytes(depth: int, units: int) -> int:
    """Bytes of the int8 kernel's buffer for a layer in the SMLAD layout (tml_fully_connected_s8_work):
    min(units, SCRATCH_BLOCK) accumulators; with FORMS_ROWS rows or more, the forms of
    min(quads, FORMS_CHUNK_QUADS) input quads (8 bytes each) after them."""
    forms = 8 * min(depth // 4, FORMS_CHUNK_QUADS) if units >= FORMS_ROWS else 0
    return 4 * min(units, SCRATCH_BLOCK) + forms


def stack_words(depth: int, units: int) -> int:
    """int32 words of the kernel's stack buffer (tml_fully_connected_s8_stack<words>) for a layer whose
    buffer is not in the arena: the smallest of the kernel's sizes that holds work_bytes."""
    quads = depth // 4
    if units < FORMS_ROWS:
        return STACK_BLOCK
    if quads <= FORMS_STACK_QUADS:
        return (STACK_BLOCK if units <= STACK_BLOCK else SCRATCH_BLOCK) + 2 * FORMS_STACK_QUADS
    if quads <= 2 * FORMS_STACK_QUADS:
        return SCRATCH_BLOCK + 4 * FORMS_STACK_QUADS
    return SCRATCH_BLOCK + 2 * FORMS_CHUNK_QUADS



def _lower_float(ctx) -> None:
    w = ctx.require_dtype(ctx.input(1), ("float32",), "weights")
    ctx.require_dtype(ctx.output(0), ("float32",), "output")
    bias = ctx.input(2)
    if bias is not None:
        ctx.require_dtype(bias, ("float32",), "bias")
    for t in (w, bias):
        if t is not None:
            ctx.require_constant(t)
    batches, depth, units = _shapes(ctx)
    act_min, act_max = float_activation_range(ctx.options.get("fused_activation_function", "NONE"))
    if not all(math.isfinite(v) for v in (act_min, act_max)):
        raise ctx.unsupported("non-finite activation range")
    params = ctx.params("tml_fc_f32_params", {
        "weights": ctx.ptr(w),
        "bias": ctx.ptr(bias) if bias is not None else None,
        "batches": batches,
        "accum_depth": depth,
        "output_depth": units,
        "act_min": float(act_min),
        "act_max": float(act_max),
    })
    ctx.call("tml_fully_connected_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="fully_connected_f32")
