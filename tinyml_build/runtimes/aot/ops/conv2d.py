"""CONV_2D: int8 activations and weights, per-channel or per-tensor (TFLM ConvPerChannel).

Any stride, dilation, SAME/VALID padding and grouped convolution. 1x1 unpadded single-group
convolutions read input pixels in place; the others gather the receptive fields of two output
pixels into an im2col scratch (2 * k_h * k_w * filter_in_c bytes). Single-group convolutions with
at least 4 output channels and k >= 8 store their weights in the SMLAD layout (_conv2d_smlad.py).
int16 activations (TFLM's 16x8 path) are lowered by conv2d_16x8.py, float32 by _window_f32.py.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._window import emit_conv2d_s8, requantization, window
from tinyml_build.runtimes.aot.ops._window_f32 import lower_conv2d_f32
from tinyml_build.runtimes.aot.ops.conv2d_16x8 import lower_conv2d_16x8


@register("CONV_2D")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"int16": lower_conv2d_16x8, "float32": lower_conv2d_f32}, here=("int8",)):
        return
    x = ctx.input(0)
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    ctx.require_constant(w, "weights")
    if len(w.shape) != 4:
        raise ctx.unsupported(f"weights must be 4-D [out_c, k_h, k_w, in_c], got {list(w.shape)}")
    out_c, k_h, k_w, filter_in_c = w.shape
    g = window(ctx, x, y, k_h, k_w)
    if g.out_c != out_c:
        raise ctx.unsupported(f"output has {g.out_c} channels, weights {out_c}")
    if filter_in_c < 1 or g.in_c % filter_in_c or out_c % (g.in_c // filter_in_c):
        raise ctx.unsupported(f"input channels {g.in_c} do not split into groups of {filter_in_c} for {out_c} outputs")
    weights = w.array()
    rq = requantization(ctx, x, w, ctx.input(2), y, out_c, weights.reshape(out_c, -1).astype(np.int64).sum(axis=1))
    emit_conv2d_s8(ctx, weights, g, rq, f"weights, tensor #{w.index} '{w.name}'")
