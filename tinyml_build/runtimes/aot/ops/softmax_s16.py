"""SOFTMAX int16 -> int16 (TFLM CalculateSoftmaxParams + reference SoftmaxInt16); called by softmax.py.

Not registered itself: the SOFTMAX lowering dispatches here for int16 inputs. TFLM's Prepare
requires zero points of 0 and an output scale of 1/32768, scales the input differences so that
[-65535, 0] spans [-10, 0] (input_scale * beta / (10 / 65535) as a quantized multiplier), and
builds two constant 513-entry tables, which are computed here (quantization.softmax_int16_tables)
and shared by every int16 SOFTMAX of a model.
"""

import numpy as np

from tinyml_build.runtimes.aot.quantization import softmax_int16_input_multiplier, softmax_int16_tables


def lower_softmax_s16(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output (TFLM's int16 softmax writes int16)")
    if x.shape != y.shape or not x.shape:
        raise ctx.unsupported(f"input shape {list(x.shape)} and output shape {list(y.shape)} "
                              "must match and be non-scalar")
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 softmax needs zero points of 0 (got {in_zp}, {out_zp}), as TFLM's Prepare")
    target = np.float32(1.0) / np.float32(32768)
    if abs(np.float32(out_scale) - target) > np.float32(0.001) * target:
        raise ctx.unsupported(f"int16 output must have scale 1/32768 (has {out_scale}), as TFLM's Prepare")
    beta = float(ctx.options.get("beta", 1.0))
    multiplier, shift = softmax_int16_input_multiplier(in_scale, beta)
    exp_lut, reciprocal_lut = softmax_int16_tables()
    depth = x.shape[-1]
    params = ctx.params("tml_softmax_s16_params", {
        "exp_lut": ctx.array(exp_lut, "int16_t", "TFLM's int16 exp table on [-10, 0]"),
        "one_over_one_plus_x_lut": ctx.array(reciprocal_lut, "int16_t", "TFLM's int16 1 / (1 + x) table on [0, 1]"),
        "input_multiplier": multiplier,
        "input_shift": shift,
        "outer": x.elements // depth,
        "depth": depth,
    })
    ctx.call("tml_softmax_s16_s16", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="softmax_s16")
