"""L2_POOL_2D: float32 only, as TFLM's micro kernel (l2_pool_2d.cc: "no quantized implementation").

Geometry from the shared window helper (TFLM's ComputePaddingHeightWidth, dilation 1); the output
shape must be the one TFLM's Prepare computes (it rewrites the output dims with it).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._window import pool_fields, window
from tinyml_build.runtimes.aot.quantization import compute_padding, float_activation_range


@register("L2_POOL_2D")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("float32",), "input")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    o = ctx.options
    g = window(ctx, x, y, o.get("filter_height", 1), o.get("filter_width", 1))
    expected = (compute_padding(o.get("padding", "VALID"), g.in_h, g.k_h, g.stride_h).out_size,
                compute_padding(o.get("padding", "VALID"), g.in_w, g.k_w, g.stride_w).out_size)
    if (g.out_h, g.out_w) != expected or g.in_c != g.out_c:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not the pooled shape TFLM computes "
                              f"([{g.batches}, {expected[0]}, {expected[1]}, {g.in_c}])")
    activation = o.get("fused_activation_function", "NONE")
    try:
        act_min, act_max = float_activation_range(activation)
    except ValueError:
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    if y.elements == 0:
        return
    params = ctx.params("tml_l2_pool_f32_params", {**pool_fields(g), "act_min": act_min, "act_max": act_max})
    ctx.call("tml_l2_pool2d_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="l2_pool2d")
