"""FULLY_CONNECTED: int8 (per-tensor or per-channel weights) and float32.

Mirrors TFLM's CalculateOpDataFullyConnected: per-channel multipliers use the double product
of scales, per-tensor the float32 product. The input zero point is folded into the bias
(bias - zp_in * row_sum(weights)), which is exact in integer arithmetic and removes the
per-element offset add from the kernel's inner loop.
"""

import math

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._requant import output_stage
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    float_activation_range,
    per_channel_multipliers,
    per_tensor_fc_multiplier,
    wrap_int32,
)


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
    x = ctx.require_dtype(ctx.input(0), ("int8", "float32"), "input")
    if x.dtype == "float32":
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
    if not w.is_constant:
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' is not constant")
    if bias is not None and not bias.is_constant:
        raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' is not constant")
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
    if wq.per_channel:
        multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, units)
    else:
        m, s = per_tensor_fc_multiplier(in_scale, wq.scale[0], out_scale)
        multipliers, shifts = [m] * units, [s] * units
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), "int8", out_scale, out_zp)

    weights = w.array().astype(np.int64)
    bias_values = bias.array().astype(np.int64) if bias is not None else np.zeros(units, np.int64)
    folded = [wrap_int32(int(b) - in_zp * int(s)) for b, s in zip(bias_values, weights.sum(axis=1))]

    params = ctx.params("tml_fc_s8_params", {
        "weights": ctx.ptr(w),
        "bias": ctx.array(folded, "int32_t", "bias with the input zero point folded in"),
        "out": output_stage(ctx, multipliers, shifts, out_zp, act_min, act_max),
        "batches": batches,
        "accum_depth": depth,
        "output_depth": units,
    })
    ctx.call("tml_fully_connected_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="fully_connected")


def _lower_float(ctx) -> None:
    w = ctx.require_dtype(ctx.input(1), ("float32",), "weights")
    ctx.require_dtype(ctx.output(0), ("float32",), "output")
    bias = ctx.input(2)
    if bias is not None:
        ctx.require_dtype(bias, ("float32",), "bias")
    for t in (w, bias):
        if t is not None and not t.is_constant:
            raise ctx.unsupported(f"tensor #{t.index} '{t.name}' is not constant")
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
    ctx.call("tml_fully_connected_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="fully_connected")
