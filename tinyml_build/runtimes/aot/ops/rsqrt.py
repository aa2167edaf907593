"""RSQRT: float32 (1.0f / sqrtf, kernels/float_math.c) and int8 (kernels/rsqrt.c), as TFLM's
elementwise.cc.

int8 is a table: for each input byte TFLM's RsqrtEvalQuantized (value = x - input zero point; 0 gives
127; otherwise GetInvSqrtQuantizedMultiplierExp, applied to 1 with 20 extra bits, then rescaled by
QuantizeMultiplier(1 / (sqrt(s_in) * s_out)), the sqrt and product in float32 as TFLM's Prepare).
Bytes below the zero point make TFLM's Invoke fail; the kernel reports them as an invoke error.
int16 is refused, as by TFLM's Prepare (IsRsqrtSupportedType: float32 and int8; its Eval's int16 case
is never reached).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map, same_shape_io
from tinyml_build.runtimes.aot.quantization import inv_sqrt_multiplier_exp, mbqm, quantize_multiplier

EXTRA_BITS = 20  # TFLM's kShift: keeps 1/sqrt(value) an integer between the two rescalings


def rsqrt_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> list[int]:
    """The int8 output for each input byte 0..255 (bytes below the zero point: 0, never read)."""
    multiplier, shift = quantize_multiplier(
        1.0 / float(np.sqrt(np.float32(in_scale)) * np.float32(out_scale)))
    table = []
    for byte in range(256):
        value = (byte - 256 if byte > 127 else byte) - in_zp
        if value < 0:
            table.append(0)
            continue
        if value == 0:
            table.append(127)
            continue
        inv, inv_shift = inv_sqrt_multiplier_exp(value)
        data = mbqm(1, inv, inv_shift + EXTRA_BITS)
        out = mbqm(data, multiplier, shift - EXTRA_BITS) + out_zp
        table.append(min(127, max(-128, out)))
    return table


@register("RSQRT")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("float32", "int8"))
    if x.dtype == "float32":
        lower_float_map(ctx, "tml_rsqrt_f32")
        return
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if x.elements == 0:
        return
    table = rsqrt_table(in_scale, in_zp, out_scale, out_zp)
    params = ctx.params("tml_rsqrt_s8_params", {"table": ctx.array(table, "int8_t", "rsqrt table"),
                                                "input_min": in_zp, "size": f"{x.elements}u"})
    ctx.call("tml_rsqrt_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="rsqrt", checked=True)
