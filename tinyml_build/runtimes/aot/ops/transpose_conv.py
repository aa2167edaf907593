"""TRANSPOSE_CONV: int8, and int16 activations with int8 weights (TFLM's 16x8 path); float32 in _window_f32.py.

Mirrors TFLM's TransposeConvPrepare: per-channel multipliers from
PopulateConvolutionQuantizationParams, padding from ComputePaddingHeightWidth applied to
the *output* size (stride, filter, dilation 1). Inputs: output_shape (constant), weights
[out_ch, h, w, in_ch], input, optional bias (int32 for int8; int64 or int16 for 16x8).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._requant import scale_tables
from tinyml_build.runtimes.aot.ops._window import transpose_window
from tinyml_build.runtimes.aot.ops._window_f32 import lower_transpose_conv_f32
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    i64_requant_problem,
    per_channel_multipliers,
)


@register("TRANSPOSE_CONV")
def lower(ctx) -> None:
    if ctx.input(2) is not None and ctx.input(2).dtype == "float32":
        lower_transpose_conv_f32(ctx)
        return
    x = ctx.require_dtype(ctx.input(2), ("int8", "int16"), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    bias = ctx.input(3)
    ctx.require_constant(w, "weights")
    g = transpose_window(ctx, x, w, y)
    batches, in_h, in_w, in_ch = x.shape
    out_ch, filter_h, filter_w, _ = w.shape
    out_h, out_w = y.shape[1], y.shape[2]

    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    wq = w.quantization
    if wq is None or any(z != 0 for z in wq.zero_point):
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' must be symmetrically quantized")
    if wq.per_channel and (len(wq.scale) != out_ch or wq.axis != 0):
        raise ctx.unsupported("per-channel weights must be quantized along the output channel (axis 0)")
    multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, out_ch)
    activation = ctx.options.get("fused_activation_function", "NONE")
    act_min, act_max = activation_range(activation, y.dtype, out_scale, out_zp)

    if x.dtype == "int16":
        if (in_zp, out_zp) != (0, 0):
            raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {in_zp}, {out_zp}), as in TFLM")
        if i64_requant_problem(shifts):
            raise ctx.unsupported(i64_requant_problem(shifts))
        bias_ptr = _bias(ctx, bias, ("int64", "int16"), "int64_t", out_ch)
        function = "tml_transpose_conv_s16"
        tap_offset = None
    else:
        bias_ptr = _bias(ctx, bias, ("int32",), "int32_t", out_ch)
        function = "tml_transpose_conv_s8"
        tap_sums = w.array().astype(np.int64).sum(axis=3).reshape(-1)
        tap_offset = (ctx.array(-in_zp * tap_sums, "int32_t", "input zero point times each tap's weight sum")
                      if in_zp else None)
    params = ctx.params("tml_transpose_conv_params", {
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_ch": in_ch,
        "out_h": out_h, "out_w": out_w, "out_ch": out_ch, "filter_h": filter_h, "filter_w": filter_w,
        "stride_h": g.stride_h, "stride_w": g.stride_w, "pad_h": g.pad_h, "pad_w": g.pad_w,
        "output_offset": out_zp, "act_min": act_min, "act_max": act_max, "tap_offset": tap_offset,
        **scale_tables(ctx, multipliers, shifts),
    })
    ctx.call(function, params, ctx.input_ptr(2), ctx.ptr(w), bias_ptr, ctx.output_ptr(0), kernel="transpose_conv")


def _bias(ctx, bias, dtypes, ctype: str, channels: int) -> str:
    """C pointer to the bias as `ctype` (an int16 bias is widened at build time, as TFLM does at run time)."""
    if bias is None:
        return "NULL"
    ctx.require_dtype(bias, dtypes, "bias")
    if not bias.is_constant or bias.elements != channels:
        raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' must be constant with {channels} values")
    if bias.dtype == "int16":
        return ctx.array(bias.array().astype(np.int64), ctype, "bias widened to int64")
    return ctx.ptr(bias)
