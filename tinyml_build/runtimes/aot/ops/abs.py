"""ABS: float32, int8 (a lookup table), int16 with or without quantization (kernels/abs.c).

Mirrors TFLM's PrepareAbsRsqrt / AbsEvalQuantized (kernels/elementwise.cc): quantized ABS is
|x - input_zero_point|, rescaled with QuantizeMultiplier(float(input_scale / output_scale)) only
when the two float32 scales differ, + output_zero_point, clamped. int16 needs zero points of 0;
an int16 input without quantization takes std::abs (stored back to int16: -32768 wraps).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_table, same_shape_io
from tinyml_build.runtimes.aot.quantization import mbqm, quantize_multiplier


def abs_params(ctx, x, y) -> dict:
    """TFLM's quantized ABS parameters (input/output offsets, rescale flag and multiplier)."""
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if x.dtype == "int16" and (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {in_zp}, {out_zp})")
    rescale = np.float32(in_scale) != np.float32(out_scale)
    multiplier, shift = quantize_multiplier(float(np.float32(in_scale) / np.float32(out_scale))) if rescale else (0, 0)
    return {"input_offset": in_zp, "output_offset": out_zp, "rescale": int(rescale), "multiplier": multiplier,
            "shift": shift, "wrap": 0}


def abs_table(p: dict) -> list[int]:
    """The int8 output for each input byte 0..255 (as int8 -128..127 reinterpreted)."""
    table = []
    for byte in range(256):
        v = abs((byte - 256 if byte > 127 else byte) - p["input_offset"])
        r = mbqm(v, p["multiplier"], p["shift"]) if p["rescale"] else v
        table.append(min(127, max(-128, r + p["output_offset"])))
    return table


@register("ABS")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("float32", "int8", "int16"))
    if x.dtype == "float32":
        if x.elements:
            ctx.call("tml_abs_f32", ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="abs")
        return
    if x.dtype == "int16" and x.quantization is None:
        fields = {"input_offset": 0, "output_offset": 0, "rescale": 0, "multiplier": 0, "shift": 0, "wrap": 1}
    else:
        fields = abs_params(ctx, x, y)
    if x.dtype == "int8":
        lower_table(ctx, abs_table(fields), "abs table")
        return
    if x.elements == 0:
        return
    ctx.call("tml_abs_s16", ctx.params("tml_abs_params", fields), ctx.input_ptr(0), ctx.output_ptr(0),
             str(x.elements), kernel="abs")
