"""float32 SOFTMAX (kernels/softmax_f32.c), as TFLM's reference_ops::Softmax<float>.

Not an op itself: softmax.py sends float32 inputs here. TFLM's Prepare keeps beta as
static_cast<double>(params->beta) and its kernel casts it back to float, so the kernel gets the
model's float32 beta unchanged. Rows are the last dimension.
"""

import numpy as np


def lower_softmax_f32(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("float32",), "input")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    if x.shape != y.shape or not x.shape:
        raise ctx.unsupported(f"input shape {list(x.shape)} and output shape {list(y.shape)} "
                              "must match and be non-scalar")
    if x.elements == 0:
        return
    depth = x.shape[-1]
    params = ctx.params("tml_softmax_f32_params", {
        "outer": x.elements // depth, "depth": depth, "beta": float(np.float32(ctx.options.get("beta", 1.0)))})
    ctx.allow_in_place(y, x)  # each pass reads element c before it writes it
    ctx.call("tml_softmax_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="softmax_f32")
