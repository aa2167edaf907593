"""AVERAGE_POOL_2D and MAX_POOL_2D on int16 (TFLM's int16 reference pooling); called by pooling.py.

Not registered itself: the pooling lowering dispatches here for int16 inputs. TFLM's Prepare
requires input and output to share scale (within 1e-6) and zero point, and clamps to the fused
activation's range in the output's units; the kernels assume exactly that and nothing else, so a
nonzero zero point (which TFLM accepts for int16 pooling) needs no special case.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops._window import window
from tinyml_build.runtimes.aot.quantization import activation_range

_KERNELS = {"AVERAGE_POOL_2D": "tml_average_pool2d_s16", "MAX_POOL_2D": "tml_max_pool2d_s16"}


def lower_pool2d_s16(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if abs(float(np.float32(in_scale)) - float(np.float32(out_scale))) > 1e-6 or in_zp != out_zp:
        raise ctx.unsupported(f"input and output quantization differ ({in_scale}, {in_zp}) vs ({out_scale}, {out_zp})"
                              ", which TFLM's pooling refuses")
    o = ctx.options
    g = window(ctx, x, y, o.get("filter_height", 1), o.get("filter_width", 1))
    if g.in_c != g.out_c:
        raise ctx.unsupported(f"{g.in_c} input channels but {g.out_c} output channels")
    act_min, act_max = activation_range(o.get("fused_activation_function", "NONE"), "int16", out_scale, out_zp)
    params = ctx.params("tml_pool_params", {
        "batches": g.batches, "in_h": g.in_h, "in_w": g.in_w, "channels": g.in_c, "out_h": g.out_h, "out_w": g.out_w,
        "filter_h": g.k_h, "filter_w": g.k_w, "stride_h": g.stride_h, "stride_w": g.stride_w,
        "pad_h": g.pad_h, "pad_w": g.pad_w, "act_min": act_min, "act_max": act_max,
    })
    ctx.call(_KERNELS[ctx.name], params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="pool2d_s16")
