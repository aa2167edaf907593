"""SOFTMAX: int8 -> int8 and int8 -> int16 (TFLM CalculateSoftmaxParams + reference Softmax); int16 -> int16
in softmax_s16.py, float32 in _softmax_f32.py.

The exp() of every possible int8 difference is computed here with gemmlowp's fixed-point
arithmetic (quantization.softmax_exp_table), so the kernel only sums, takes the fixed-point
reciprocal and scales.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._softmax_f32 import lower_softmax_f32
from tinyml_build.runtimes.aot.ops.softmax_s16 import lower_softmax_s16
from tinyml_build.runtimes.aot.quantization import softmax_exp_table

# the types lowered elsewhere (int8 below)
OTHER_TYPES = {"int16": lower_softmax_s16, "float32": lower_softmax_f32}


@register("SOFTMAX")
def lower(ctx) -> None:
    if ctx.lower_by_input_type(OTHER_TYPES, here=("int8",)):
        return
    x = ctx.require_dtype(ctx.input(0), ("int8",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int8", "int16"), "output")
    if x.shape != y.shape or not x.shape:
        raise ctx.unsupported(f"input shape {list(x.shape)} and output shape {list(y.shape)} "
                              "must match and be non-scalar")
    in_scale, _ = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    # TFLM refuses other output quantizations in Prepare; so do we (the kernel assumes them).
    if y.dtype == "int8" and (out_zp != -128 or np.float32(out_scale) != np.float32(1 / 256)):
        raise ctx.unsupported(f"int8 output must have scale 1/256 and zero point -128 (has {out_scale}, {out_zp})")
    if y.dtype == "int16" and (out_zp != -32768 or abs(out_scale - 1 / 65536) > 0.001 / 65536):
        raise ctx.unsupported(f"int16 output must have scale 1/65536 and zero point -32768 (has {out_scale}, {out_zp})")
    beta = float(ctx.options.get("beta", 1.0))
    depth = x.shape[-1]
    params = ctx.params("tml_softmax_s8_params", {
        "exp_table": ctx.array(softmax_exp_table(beta, in_scale), "int32_t",
                               f"exp table (beta {beta:g}, input scale {in_scale:g})"),
        "outer": x.elements // depth,
        "depth": depth,
    })
    ctx.call("tml_softmax_s8_" + ("s8" if y.dtype == "int8" else "s16"), params, ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="softmax")
