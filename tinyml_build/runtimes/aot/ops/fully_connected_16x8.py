"""FULLY_CONNECTED with int16 activations and int8 weights (TFLM's 16x8 path); called by fully_connected.py.

Not registered itself: the FULLY_CONNECTED lowering dispatches here for int16 inputs. Mirrors
TFLM's CalculateOpDataFullyConnected (per-channel multipliers from the double product of scales,
per-tensor from the float32 product) and its Eval's choice of accumulator: int64 for an int64
bias (or none, unless quantized_bias_type asks for int32), wrapping int32 for an int32 bias.
TFLM applies the input and output zero points of int16 FC (converters write 0); a nonzero input
zero point is folded into the bias here (exact in the accumulator's own arithmetic).
"""

import numpy as np

from tinyml_build.analysis.reference_quant_limits import fc_bias_scale_problem
from tinyml_build.runtimes.aot.ops._requant import scale_tables
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    i64_requant_problem,
    per_channel_multipliers,
    per_tensor_fc_multiplier,
    wrap_int32,
)

TFLITE_INT32 = 2  # TensorType value of quantized_bias_type
ROW_GROUP = 4  # rows the kernel reads per pass over the input (fully_connected_16x8.c dot4)


def interleaved_rows(weights: np.ndarray) -> np.ndarray:
    """int8 [units, depth] interleaved (same bytes, reordered; SVDF's feature weights, and s16x8_rows after
    its quad swap): rows in groups of ROW_GROUP,
    each group's 4-byte quads interleaved (quad q of every row of the group, then quad q + 1), then the
    group's rows' depth % 4 tail bytes; the last units % ROW_GROUP rows row-major. One pointer then walks
    a group's weights in the order the kernel multiplies them."""
    units, depth = weights.shape
    quads = depth // 4 * 4
    whole = units - units % ROW_GROUP
    parts = []
    for first in range(0, whole, ROW_GROUP):
        group = weights[first:first + ROW_GROUP]
        parts.append(group[:, :quads].reshape(ROW_GROUP, -1, 4).transpose(1, 0, 2).reshape(-1))
        parts.append(group[:, quads:].reshape(-1))
    parts.append(weights[whole:].reshape(-1))
    return np.concatenate(parts).astype(np.int8)


def s16x8_rows(weights: np.ndarray) -> np.ndarray:
    """int8 [rows, depth] in the layout of tml_dot.h's int16 x int8 row dot products (FULLY_CONNECTED and
    CONV_2D 16x8): every full quad of a row as (w0, w2, w1, w3) -- SXTB16 then yields the lanes (w0, w1)
    and (w2, w3) that the int16 input words (x0, x1), (x2, x3) meet as loaded -- then interleaved_rows."""
    rows, depth = weights.shape
    quads = depth // 4 * 4
    swapped = weights.copy()
    swapped[:, :quads] = weights[:, :quads].reshape(rows, -1, 4)[:, :, [0, 2, 1, 3]].reshape(rows, quads)
    return interleaved_rows(swapped)


def lower_fully_connected_16x8(ctx, shapes) -> None:
    """`shapes(ctx)` -> (batches, depth, units), fully_connected.py's shape check."""
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    bias = ctx.input(2)
    ctx.require_constant(w, "weights")
    if ctx.options.get("weights_format", 0) not in (0, None):
        raise ctx.unsupported("shuffled weights format is not supported")
    batches, depth, units = shapes(ctx)
    if bias is not None:
        ctx.require_dtype(bias, ("int64", "int32"), "bias")
        if not bias.is_constant or bias.elements != units:
            raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' must be constant with {units} values")

    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    wq = w.quantization
    if wq is None or any(z != 0 for z in wq.zero_point):
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' must be symmetrically quantized, as TFLM "
                              "requires")
    if bias is not None and not wq.per_channel and (
            problem := fc_bias_scale_problem(in_scale, wq.scale[0], bias, out_scale)):
        raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' has {problem[0]}; TFLM's Prepare requires "
                              f"{problem[1]}")
    if wq.per_channel:
        if len(wq.scale) != units:
            raise ctx.unsupported(f"per-channel weights need {units} scales, got {len(wq.scale)}")
        multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, units)
    else:
        m, s = per_tensor_fc_multiplier(in_scale, wq.scale[0], out_scale)
        multipliers, shifts = [m] * units, [s] * units
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), "int16",
                                        out_scale, out_zp)
    int32_accumulator = ((bias.dtype == "int32") if bias is not None
                         else ctx.options.get("quantized_bias_type", 0) == TFLITE_INT32)
    if not int32_accumulator and i64_requant_problem(shifts):
        raise ctx.unsupported(i64_requant_problem(shifts))

    if in_zp == 0:
        bias_arg = ctx.ptr(bias) if bias is not None else "NULL"
    else:  # TFLM sums w * (x - zp): fold -zp * row_sum(w) into the bias
        row_sums = w.array().astype(np.int64).reshape(units, depth).sum(axis=1)
        base = bias.array().astype(np.int64) if bias is not None else np.zeros(units, np.int64)
        if int32_accumulator:
            folded = [wrap_int32(int(b) - in_zp * int(s)) for b, s in zip(base, row_sums)]
            bias_arg = ctx.array(folded, "int32_t", "bias with the input zero point folded in")
        else:
            folded = [int(b) - in_zp * int(s) for b, s in zip(base, row_sums)]
            bias_arg = ctx.array(folded, "int64_t", "bias with the input zero point folded in")
    params = ctx.params("tml_fc16x8_params", {
        "batches": batches, "accum_depth": depth, "output_depth": units,
        "output_offset": out_zp, "act_min": act_min, "act_max": act_max,
        **scale_tables(ctx, multipliers, shifts),
    })
    function = "tml_fully_connected_s16x8_acc32" if int32_accumulator else "tml_fully_connected_s16x8_acc64"
    layout = ctx.array(s16x8_rows(w.array().reshape(units, depth)), "int8_t",
                       f"weights of tensor #{w.index} '{w.name}', rows interleaved in groups of {ROW_GROUP}")
    ctx.call(function, params, ctx.input_ptr(0), layout, bias_arg, ctx.output_ptr(0), kernel="fully_connected_16x8")
