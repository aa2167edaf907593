"""float32 lowerings of the windowed ops: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D
and TRANSPOSE_CONV (issue 12 section 2: float32 wherever TFLM has a float kernel).

Kept apart from the int8/int16 modules, which dispatch here on a float32 input, because nothing
is shared but the geometry: no requantization, TFLM's CalculateActivationRange bounds, weights
read from the model's float arrays (TRANSPOSE_CONV's transposed, so its innermost loop reads a
row). The kernels (kernels/*_f32.c) reproduce TFLM's reference float kernels operation by
operation, which is what makes them bit-exact.
"""

import math

from tinyml_build.runtimes.aot.ops._window import pool_fields, pool_window, transpose_window, window
from tinyml_build.runtimes.aot.quantization import float_activation_range

POOL_KERNELS = {"AVERAGE_POOL_2D": "tml_average_pool2d_f32", "MAX_POOL_2D": "tml_max_pool2d_f32"}


def _activation(ctx) -> dict:
    lo, hi = float_activation_range(ctx.options.get("fused_activation_function", "NONE"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ctx.unsupported("non-finite activation range")
    return {"act_min": lo, "act_max": hi}


def _constant(ctx, tensor, what: str):
    """A float32 constant input (weights, bias) or None for an absent optional one."""
    if tensor is None:
        return None
    ctx.require_dtype(tensor, ("float32",), what)
    ctx.require_constant(tensor, what)
    return tensor


def _bias(ctx, bias, channels: int):
    bias = _constant(ctx, bias, "bias")
    if bias is not None and bias.elements != channels:
        raise ctx.unsupported(f"bias has {bias.elements} values for {channels} output channels")
    return ctx.ptr(bias) if bias is not None else None


def lower_conv2d_f32(ctx) -> None:
    """CONV_2D, float32 input, weights [out_c, k_h, k_w, filter_in_c] and output; grouped when
    filter_in_c divides the input channels."""
    x = ctx.input(0)
    w = _constant(ctx, ctx.input(1), "weights")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    if w is None or len(w.shape) != 4:
        raise ctx.unsupported(f"weights must be 4-D [out_c, k_h, k_w, in_c], got {None if w is None else w.shape}")
    out_c, k_h, k_w, filter_in_c = w.shape
    g = window(ctx, x, y, k_h, k_w)
    if g.out_c != out_c:
        raise ctx.unsupported(f"output has {g.out_c} channels, weights {out_c}")
    if filter_in_c < 1 or g.in_c % filter_in_c or out_c % (g.in_c // filter_in_c):
        raise ctx.unsupported(f"input channels {g.in_c} do not split into groups of {filter_in_c} for {out_c} outputs")
    params = ctx.params("tml_conv_f32_params", {
        "weights": ctx.ptr(w), "bias": _bias(ctx, ctx.input(2), out_c), **g.fields(), "filter_in_c": filter_in_c,
        **_activation(ctx),
    })
    ctx.call("tml_conv2d_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="conv2d_f32")


def lower_depthwise_conv2d_f32(ctx) -> None:
    """DEPTHWISE_CONV_2D, float32; weights [1, k_h, k_w, out_c], the depth multiplier from the shapes
    when the option disagrees (as TFLM)."""
    x = ctx.input(0)
    w = _constant(ctx, ctx.input(1), "weights")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    if w is None or len(w.shape) != 4 or w.shape[0] != 1:
        raise ctx.unsupported(f"weights must be [1, k_h, k_w, out_c], got {None if w is None else w.shape}")
    _, k_h, k_w, out_c = w.shape
    g = window(ctx, x, y, k_h, k_w)
    if g.out_c != out_c or out_c % g.in_c:
        raise ctx.unsupported(f"{g.in_c} input channels, {g.out_c} output channels, weights for {out_c}")
    params = ctx.params("tml_dwconv_f32_params", {
        "weights": ctx.ptr(w), "bias": _bias(ctx, ctx.input(2), out_c), **g.fields(),
        "depth_multiplier": out_c // g.in_c, **_activation(ctx),
    })
    ctx.call("tml_depthwise_conv2d_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="depthwise_conv2d_f32")


def lower_pool2d_f32(ctx) -> None:
    """AVERAGE_POOL_2D / MAX_POOL_2D, float32. An average over a window with no in-bounds tap makes
    TFLM's AveragePool return false without writing the output: refused (SAME and VALID never
    produce one, but the output shape is the model's)."""
    x = ctx.input(0)
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    g = pool_window(ctx, x, y)
    for out, stride, pad, k, size in ((g.out_h, g.stride_h, g.pad_h, g.k_h, g.in_h),
                                      (g.out_w, g.stride_w, g.pad_w, g.k_w, g.in_w)):
        last = (out - 1) * stride - pad
        if out > 0 and (last >= size or k - pad <= 0):
            raise ctx.unsupported("a pooling window lies wholly outside the input")
    params = ctx.params("tml_pool_f32_params", {**pool_fields(g), **_activation(ctx)})
    ctx.call(POOL_KERNELS[ctx.name], params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="pool2d_f32")


def lower_transpose_conv_f32(ctx) -> None:
    """TRANSPOSE_CONV, float32: inputs output_shape (constant), weights [out_c, k_h, k_w, in_c], input,
    optional bias; padding from the output size (TFLM's TransposeConvPrepare)."""
    x = ctx.input(2)
    w = _constant(ctx, ctx.input(1), "weights")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    g = transpose_window(ctx, x, w, y)
    batches, in_h, in_w, in_c = x.shape
    out_c, k_h, k_w, _ = w.shape
    out_h, out_w = y.shape[1], y.shape[2]
    params = ctx.params("tml_transpose_conv_f32_params", {
        "weights": ctx.array(w.array().transpose(1, 2, 3, 0), "float",
                             f"weights of tensor #{w.index} '{w.name}' as [k_h][k_w][in_c][out_c]"),
        "bias": _bias(ctx, ctx.input(3), out_c),
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
        "out_c": out_c, "k_h": k_h, "k_w": k_w, "stride_h": g.stride_h, "stride_w": g.stride_w,
        "pad_h": g.pad_h, "pad_w": g.pad_w, **_activation(ctx),
    })
    ctx.call("tml_transpose_conv_f32", params, ctx.input_ptr(2), ctx.output_ptr(0), kernel="transpose_conv_f32")
