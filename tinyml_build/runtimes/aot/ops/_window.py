"""Shared by the windowed ops (CONV_2D, DEPTHWISE_CONV_2D, pooling): geometry, requantization,
and the int8 convolution call (also used for depthwise convolutions of one input channel).

Mirrors TFLM: padding from ComputePaddingHeightWidth (TFLM's own output size), loops over the
output tensor's dims, per-channel multipliers from PopulateConvolutionQuantizationParams, and
the input zero point folded into the bias.
"""

from dataclasses import dataclass

import numpy as np

from tinyml_build.runtimes.aot.ops._conv2d_smlad import emit_conv2d_s8_smlad, emit_conv_call, smlad_applies
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    compute_padding,
    per_channel_multipliers,
    wrap_int32,
)

CONV_STACK_COL = 256  # TML_CONV_STACK_COL (tml_kernels.h): im2col bytes tml_conv2d_s8 can keep on its stack
# TML_CONV_ROW_WORK_BYTES (tml_kernels.h): tml_conv2d_s8's accumulators and sign-extended rows, arena
# scratch where the arena has room (else on the kernel's stack): a 672-byte frame before
CONV_ROW_WORK = 512


@dataclass(frozen=True)
class Window:
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_h: int
    pad_w: int

    def fields(self) -> dict:
        return dict(vars(self))

    @property
    def padded(self) -> bool:
        """Whether any tap of any output pixel falls outside the input."""
        last_y = (self.out_h - 1) * self.stride_h - self.pad_h + (self.k_h - 1) * self.dilation_h
        last_x = (self.out_w - 1) * self.stride_w - self.pad_w + (self.k_w - 1) * self.dilation_w
        return self.pad_h > 0 or self.pad_w > 0 or last_y >= self.in_h or last_x >= self.in_w


def window(ctx, x, y, k_h: int, k_w: int) -> Window:
    """Geometry of a 2-D windowed op from its NHWC input/output and options."""
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise ctx.unsupported(f"input and output must be 4-D NHWC, got {list(x.shape)} and {list(y.shape)}")
    if x.shape[0] != y.shape[0]:
        raise ctx.unsupported(f"batch {x.shape[0]} in, {y.shape[0]} out")
    o = ctx.options
    stride_h, stride_w = o.get("stride_h", 1), o.get("stride_w", 1)
    dilation_h, dilation_w = o.get("dilation_h_factor", 1) or 1, o.get("dilation_w_factor", 1) or 1
    if min(stride_h, stride_w, dilation_h, dilation_w, k_h, k_w) < 1:
        raise ctx.unsupported(f"invalid stride/dilation/kernel {stride_h, stride_w, dilation_h, dilation_w, k_h, k_w}")
    padding = o.get("padding", "VALID")
    if padding not in ("SAME", "VALID"):
        raise ctx.unsupported(f"padding {padding}")
    ph = compute_padding(padding, x.shape[1], k_h, stride_h, dilation_h)
    pw = compute_padding(padding, x.shape[2], k_w, stride_w, dilation_w)
    return Window(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3], out_h=y.shape[1],
                  out_w=y.shape[2], out_c=y.shape[3], k_h=k_h, k_w=k_w, stride_h=stride_h, stride_w=stride_w,
                  dilation_h=dilation_h, dilation_w=dilation_w, pad_h=ph.before, pad_w=pw.before)


def pool_window(ctx, x, y) -> Window:
    """Geometry of a pooling op (AVERAGE/MAX/L2_POOL_2D): filter size from its options, as many
    channels out as in."""
    o = ctx.options
    g = window(ctx, x, y, o.get("filter_height", 1), o.get("filter_width", 1))
    if g.in_c != g.out_c:
        raise ctx.unsupported(f"{g.in_c} input channels but {g.out_c} output channels")
    return g


def pool_fields(g: Window) -> dict:
    """The geometry fields every pooling params struct (tml_pool_params and its float twins) starts with."""
    return {"batches": g.batches, "in_h": g.in_h, "in_w": g.in_w, "channels": g.in_c, "out_h": g.out_h,
            "out_w": g.out_w, "filter_h": g.k_h, "filter_w": g.k_w, "stride_h": g.stride_h, "stride_w": g.stride_w,
            "pad_h": g.pad_h, "pad_w": g.pad_w}


def quantized_pool_params(ctx, dtype: str) -> str:
    """tml_pool_params of an int8 or int16 AVERAGE/MAX_POOL_2D. TFLM's PoolingPrepare requires input
    and output to share scale (within 1e-6) and zero point and clamps to the fused activation's range
    in the output's units; the kernels assume exactly that."""
    x = ctx.require_dtype(ctx.input(0), (dtype,), "input")
    y = ctx.require_dtype(ctx.output(0), (dtype,), "output")
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if abs(float(np.float32(in_scale)) - float(np.float32(out_scale))) > 1e-6 or in_zp != out_zp:
        raise ctx.unsupported(f"input and output quantization differ ({in_scale}, {in_zp}) vs ({out_scale}, {out_zp})"
                              ", which TFLM's pooling refuses")
    g = pool_window(ctx, x, y)
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), dtype, out_scale, out_zp)
    return ctx.params("tml_pool_params", {**pool_fields(g), "act_min": act_min, "act_max": act_max})


@dataclass(frozen=True)
class TransposeWindow:
    """TRANSPOSE_CONV's strides and the padding before the first row and column."""

    stride_h: int
    stride_w: int
    pad_h: int
    pad_w: int


def transpose_window(ctx, x, w, y) -> TransposeWindow:
    """TRANSPOSE_CONV's shape checks (input [n, h, w, c], weights [out_c, k_h, k_w, c], output
    [n, out_h, out_w, out_c], a constant output_shape equal to the output's), strides and padding,
    computed from the output size as TFLM's TransposeConvPrepare does; for every type."""
    shape_tensor = ctx.require_dtype(ctx.input(0), ("int32",), "output_shape")
    if w is None or len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise ctx.unsupported("input, weights and output must be 4-D (NHWC / OHWI)")
    if w.shape[3] != x.shape[3] or y.shape[0] != x.shape[0] or y.shape[3] != w.shape[0]:
        raise ctx.unsupported(f"shapes do not fit: input {list(x.shape)}, weights {list(w.shape)}, "
                              f"output {list(y.shape)}")
    if shape_tensor.is_constant and tuple(int(v) for v in shape_tensor.array().reshape(-1)) != tuple(y.shape):
        raise ctx.unsupported(f"output_shape tensor does not match the output tensor {list(y.shape)}")
    stride_h, stride_w = int(ctx.options.get("stride_h", 1)), int(ctx.options.get("stride_w", 1))
    if min(stride_h, stride_w) < 1:
        raise ctx.unsupported(f"strides ({stride_h}, {stride_w}) must be >= 1")
    padding = ctx.options.get("padding", "SAME")
    if padding not in ("SAME", "VALID"):
        raise ctx.unsupported(f"padding {padding} is not supported")
    return TransposeWindow(stride_h, stride_w, compute_padding(padding, y.shape[1], w.shape[1], stride_h).before,
                           compute_padding(padding, y.shape[2], w.shape[2], stride_w).before)


@dataclass(frozen=True)
class Requant:
    bias: list[int]  # folded with the input zero point
    multiplier: list[int]
    shift: list[int]
    output_offset: int
    act_min: int
    act_max: int
    input_zero_point: int


def requantization(ctx, x, w, bias, y, out_c: int, weight_sums: np.ndarray) -> Requant:
    """Per-channel multipliers, folded bias and activation bounds of an int8 conv-like op.

    `weight_sums[o]` is the sum of all weights feeding output channel o.
    """
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    wq = w.quantization
    if wq is None:
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' is not quantized")
    if wq.per_channel and len(wq.scale) != out_c:
        raise ctx.unsupported(f"weights have {len(wq.scale)} scales for {out_c} output channels")
    multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, out_c)
    if bias is not None:
        ctx.require_dtype(bias, ("int32",), "bias")
        ctx.require_constant(bias, "bias")
        if bias.elements != out_c:
            raise ctx.unsupported(f"bias has {bias.elements} values for {out_c} output channels")
        raw_bias = bias.array().reshape(-1).astype(np.int64)
    else:
        raw_bias = np.zeros(out_c, np.int64)
    folded = [wrap_int32(int(b) - in_zp * int(s)) for b, s in zip(raw_bias, weight_sums)]
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), "int8", out_scale, out_zp)
    return Requant(bias=folded, multiplier=multipliers, shift=shifts, output_offset=out_zp, act_min=act_min,
                   act_max=act_max, input_zero_point=in_zp)


def emit_conv2d_s8(ctx, weights: np.ndarray, g: Window, rq: Requant, what: str) -> None:
    """Emit tml_conv2d_s8 from input 0 to output 0; `weights` is [out_c, k_h, k_w, filter_in_c]."""
    out_c, k_h, k_w, filter_in_c = weights.shape
    k = k_h * k_w * filter_in_c
    if smlad_applies(out_c, k, g.in_c // filter_in_c):
        emit_conv2d_s8_smlad(ctx, weights, g, rq, what, CONV_STACK_COL)
        return
    # rows one after the other; the kernel reads whole words of a row: the last row's last word
    # may reach (-k) % 4 bytes past the end, which are zeros
    rows = weights.reshape(-1).astype(np.int8)
    tail = -k % 4
    rows = np.concatenate([rows, np.zeros(tail, np.int8)])
    emit_conv_call(ctx, "tml_conv2d_s8", weights.shape,
                   ctx.array(rows, "int8_t", what + (f", then {tail} zero bytes" if tail else "")),
                   ctx.array(rq.bias, "int32_t", "bias with the input zero point folded in"), g, rq, CONV_STACK_COL,
                   work=CONV_ROW_WORK)
