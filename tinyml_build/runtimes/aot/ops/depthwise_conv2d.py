"""DEPTHWISE_CONV_2D: int8, per-channel or per-tensor, any depth multiplier (TFLM DepthwiseConvPerChannel);
int16 activations in depthwise_conv2d_16x8.py, float32 in _window_f32.py.

With a single input channel (a common first layer: audio features, grayscale images) every
output channel reads the same window: tml_depthwise_conv2d_s8_single computes a pixel as out_c
dot products over its window (copied to k_h * k_w consecutive bytes), with weights laid out
four channels at a time (emit_single_channel). With out_c not a multiple of 4 such a layer
is an ordinary convolution with the weights transposed to [out_c, k_h, k_w, 1] (the CONV_2D
kernel). The integer result is identical either way.
float32 is lowered by _window_f32.py.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._requant import output_stage
from tinyml_build.runtimes.aot.ops._window import emit_conv2d_s8, requantization, window
from tinyml_build.runtimes.aot.ops._window_f32 import lower_depthwise_conv2d_f32
from tinyml_build.runtimes.aot.ops.depthwise_conv2d_16x8 import lower_depthwise_conv2d_16x8

POINTER_BYTES = 8  # scratch per tap pointer: enough for 32- and 64-bit targets (host checks)
DW_STACK_TAPS = 25  # TML_DW_STACK_TAPS (tml_kernels.h): tap pointers the kernel can keep on its stack
DW_STACK_WINDOW = 256  # TML_DW_STACK_WINDOW (tml_kernels.h): window bytes the one-channel kernel keeps on its stack

# the types lowered elsewhere (int8 below)
OTHER_TYPES = {"int16": lower_depthwise_conv2d_16x8, "float32": lower_depthwise_conv2d_f32}


@register("DEPTHWISE_CONV_2D")
def lower(ctx) -> None:
    if ctx.lower_by_input_type(OTHER_TYPES, here=("int8",)):
        return
    x = ctx.require_dtype(ctx.input(0), ("int8",), "input")
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    ctx.require_constant(w, "weights")
    if len(w.shape) != 4 or w.shape[0] != 1:
        raise ctx.unsupported(f"weights must be [1, k_h, k_w, out_c], got {list(w.shape)}")
    _, k_h, k_w, out_c = w.shape
    g = window(ctx, x, y, k_h, k_w)
    multiplier = ctx.options.get("depth_multiplier", 1) or 1
    if g.out_c != out_c:
        raise ctx.unsupported(f"output has {g.out_c} channels, weights {out_c}")
    if g.in_c * multiplier != out_c:
        # TFLM derives the multiplier from the shapes when the option disagrees (old converters)
        if out_c % g.in_c:
            raise ctx.unsupported(f"{out_c} output channels are not a multiple of {g.in_c} input channels")
        multiplier = out_c // g.in_c
    weights = w.array()
    rq = requantization(ctx, x, w, ctx.input(2), y, out_c, weights.reshape(-1, out_c).astype(np.int64).sum(axis=0))
    if g.in_c == 1 and out_c % 4 == 0:
        emit_single_channel(ctx, w, weights, g, rq)
        return
    if g.in_c == 1:
        emit_conv2d_s8(ctx, np.ascontiguousarray(weights.transpose(3, 1, 2, 0)), g, rq,
                       f"weights of tensor #{w.index} '{w.name}' as [out_c, k_h, k_w, 1]")
        return
    if multiplier == 1:  # [k_h, k_w, out_c] -> [out_c / 4][taps][4], then [out_c % 4][taps]
        taps_by_channel = weights.reshape(k_h * k_w, out_c).T
        whole = out_c - out_c % 4
        grouped = taps_by_channel[:whole].reshape(whole // 4, 4, k_h * k_w).transpose(0, 2, 1)
        layout = np.concatenate([grouped.reshape(-1), taps_by_channel[whole:].reshape(-1)])
        stored = ctx.array(layout, "int8_t", f"weights of tensor #{w.index} '{w.name}' as [out_c / 4][k_h * k_w][4]")
    else:
        stored = ctx.ptr(w)
    params = ctx.params("tml_dwconv_s8_params", {
        "weights": stored,
        "bias": ctx.array(rq.bias, "int32_t", "bias with the input zero point folded in"),
        "out": output_stage(ctx, rq.multiplier, rq.shift, rq.output_offset, rq.act_min, rq.act_max),
        "pad_row": ctx.array(np.full(g.in_c, rq.input_zero_point), "int8_t",
                             "input zero point, read by taps outside the input") if g.padded else None,
        **g.fields(),
        "depth_multiplier": multiplier,
    })
    optional = k_h * k_w <= DW_STACK_TAPS  # else the kernel needs the arena's
    taps = f"(const int8_t **)(void *){ctx.scratch(k_h * k_w * POINTER_BYTES, optional=optional)}"
    ctx.call("tml_depthwise_conv2d_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), taps, kernel="depthwise_conv2d")


def single_channel_layout(weights: np.ndarray) -> np.ndarray:
    """[1, k_h, k_w, out_c] -> per group of four channels: k // 4 steps of [4 channels][4 weights],
    then k % 4 steps of [4 channels], k = k_h * k_w taps in [k_h][k_w] order (tml_kernels.h), so the
    kernel walks one pointer and a word of four window bytes meets each channel's word."""
    _, k_h, k_w, out_c = weights.shape
    k = k_h * k_w
    groups, whole = out_c // 4, k - k % 4
    by_channel = weights.reshape(k, out_c).T.reshape(groups, 4, k)  # [group][channel][tap]
    body = by_channel[..., :whole].reshape(groups, 4, whole // 4, 4).transpose(0, 2, 1, 3)
    tail = by_channel[..., whole:].transpose(0, 2, 1)  # [group][tap][channel]
    return np.concatenate([body.reshape(groups, -1), tail.reshape(groups, -1)], axis=1).reshape(-1)


def emit_single_channel(ctx, w, weights: np.ndarray, g, rq) -> None:
    """tml_depthwise_conv2d_s8_single for in_c 1 and out_c a multiple of 4."""
    _, k_h, k_w, _ = weights.shape
    params = ctx.params("tml_dwconv_s8_params", {
        "weights": ctx.array(single_channel_layout(weights), "int8_t",
                             f"weights of tensor #{w.index} '{w.name}' four channels at a time"),
        "bias": ctx.array(rq.bias, "int32_t", "bias with the input zero point folded in"),
        "out": output_stage(ctx, rq.multiplier, rq.shift, rq.output_offset, rq.act_min, rq.act_max),
        "pad_row": ctx.array(np.full(1, rq.input_zero_point), "int8_t", "input zero point, for windows outside"),
        **g.fields(),
        "depth_multiplier": g.out_c,
    })
    optional = k_h * k_w <= DW_STACK_WINDOW  # else the kernel needs the arena's
    window = f"(int8_t *){ctx.scratch(k_h * k_w, optional=optional)}"
    ctx.call("tml_depthwise_conv2d_s8_single", params, ctx.input_ptr(0), ctx.output_ptr(0), window,
             kernel="depthwise_conv2d")
