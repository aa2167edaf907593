"""QUANTIZE: float32 -> int8/int16, and requantization between integer types.

Mirrors TFLM's PrepareQuantizeReference/EvalQuantizeReference. From an 8-bit input every
output is precomputed into a 256-entry table (lut8 kernel); int16/int32 inputs are requantized
at run time with the same MultiplyByQuantizedMultiplier.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import DTYPE_RANGES, f32, mbqm, quantize_multiplier, wrap_int32

_SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32"}
_CTYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t"}
_REQUANTIZE = {("int16", "int8"), ("int16", "int16"), ("int16", "int32"), ("int32", "int8"), ("int32", "int16")}


def byte_values(dtype: str) -> np.ndarray:
    """The value of each input byte 0..255 as the 8-bit type reads it (table index order)."""
    raw = np.arange(256, dtype=np.uint8)
    return raw.view(np.int8).astype(np.int64) if dtype == "int8" else raw.astype(np.int64)


def emit_lut8(ctx, table, out_dtype: str, what: str) -> None:
    """Emit `output = table[input byte]` for the op's input 0 and output 0 (reusable by other ops)."""
    out_min, out_max = DTYPE_RANGES[out_dtype]
    table = np.clip(np.asarray(table, dtype=np.int64), out_min, out_max)
    params = ctx.params("tml_lut8_params", {
        "table": ctx.array(table, _CTYPE[out_dtype], what),
        "size": f"{ctx.output(0).elements}u",
    })
    ctx.allow_in_place(ctx.output(0), ctx.input(0))  # byte to byte: lut.c reads byte i, then writes it
    ctx.call(f"tml_lut8_{_SUFFIX[out_dtype]}", params, f"(const uint8_t *){ctx.input_ptr(0)}", ctx.output_ptr(0),
             kernel="lut")


@register("QUANTIZE")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("float32", "int8", "uint8", "int16", "int32"), "input")
    y = ctx.require_dtype(ctx.output(0), ("int8", "uint8", "int16", "int32"), "output")
    if x.elements != y.elements:
        raise ctx.unsupported(f"input has {x.elements} elements, output {y.elements}")
    out_scale, out_zp = ctx.quantization(y)
    if x.dtype == "float32":
        if y.dtype not in ("int8", "int16"):
            raise ctx.unsupported(f"float32 -> {y.dtype} is not a TFLM quantization")
        params = ctx.params("tml_quantize_f32_params",
                            {"scale": f32(out_scale), "zero_point": out_zp, "size": f"{y.elements}u"})
        ctx.call(f"tml_quantize_f32_{_SUFFIX[y.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="quantize")
        return
    in_scale, in_zp = ctx.quantization(x)
    multiplier, shift = quantize_multiplier(f32(in_scale) / f32(out_scale))
    out_min, out_max = DTYPE_RANGES[y.dtype]
    if x.dtype in ("int8", "uint8"):
        if (x.dtype, y.dtype) == ("uint8", "uint8") or (x.dtype == "uint8" and y.dtype != "int8"):
            raise ctx.unsupported(f"{x.dtype} -> {y.dtype} is not a TFLM quantization")
        table = [min(out_max, max(out_min, mbqm(wrap_int32(int(v) - in_zp), multiplier, shift) + out_zp))
                 for v in byte_values(x.dtype)]
        emit_lut8(ctx, table, y.dtype, f"requantization table {x.dtype} -> {y.dtype}")
        return
    if (x.dtype, y.dtype) not in _REQUANTIZE:
        raise ctx.unsupported(f"{x.dtype} -> {y.dtype} is not a TFLM quantization")
    params = ctx.params("tml_requantize_params", {
        "input_zero_point": in_zp,
        "output_zero_point": out_zp,
        "multiplier": multiplier,
        "shift": shift,
        "size": f"{y.elements}u",
    })
    ctx.call(f"tml_requantize_{_SUFFIX[x.dtype]}_{_SUFFIX[y.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="quantize")
