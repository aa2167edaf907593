"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 (TFLM reference_integer_ops pooling); int16 in pooling_s16.py,
float32 in _window_f32.py."""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._window import window
from tinyml_build.runtimes.aot.ops._window_f32 import lower_pool2d_f32
from tinyml_build.runtimes.aot.ops.pooling_s16 import lower_pool2d_s16
from tinyml_build.runtimes.aot.quantization import activation_range

_KERNELS = {"AVERAGE_POOL_2D": ("tml_average_pool2d_s8", "average_pool2d"),
            "MAX_POOL_2D": ("tml_max_pool2d_s8", "max_pool2d")}

# the types lowered elsewhere (int8 below)
OTHER_TYPES = {"int16": lower_pool2d_s16, "float32": lower_pool2d_f32}


@register("AVERAGE_POOL_2D", "MAX_POOL_2D")
def lower(ctx) -> None:
    x = ctx.input(0)
    other_type = OTHER_TYPES.get(x.dtype) if x is not None else None
    if other_type is not None:
        other_type(ctx)
        return
    x = ctx.require_dtype(ctx.input(0), ("int8",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    # TFLM's PoolingPrepare refuses a rescaling pool; the kernels assume none.
    if abs(float(np.float32(in_scale)) - float(np.float32(out_scale))) > 1e-6 or in_zp != out_zp:
        raise ctx.unsupported(f"input and output quantization differ ({in_scale}, {in_zp}) vs ({out_scale}, {out_zp})")
    o = ctx.options
    g = window(ctx, x, y, o.get("filter_height", 1), o.get("filter_width", 1))
    if g.in_c != g.out_c:
        raise ctx.unsupported(f"{g.in_c} input channels but {g.out_c} output channels")
    act_min, act_max = activation_range(o.get("fused_activation_function", "NONE"), "int8", out_scale, out_zp)
    params = ctx.params("tml_pool_params", {
        "batches": g.batches, "in_h": g.in_h, "in_w": g.in_w, "channels": g.in_c, "out_h": g.out_h, "out_w": g.out_w,
        "filter_h": g.k_h, "filter_w": g.k_w, "stride_h": g.stride_h, "stride_w": g.stride_w,
        "pad_h": g.pad_h, "pad_w": g.pad_w, "act_min": act_min, "act_max": act_max,
    })
    function, kernel = _KERNELS[ctx.name]
    ctx.call(function, params, ctx.input_ptr(0), ctx.output_ptr(0), kernel=kernel)
