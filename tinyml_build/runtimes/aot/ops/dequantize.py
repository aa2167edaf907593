"""DEQUANTIZE: int8/uint8/int16 -> float32, (x - zero_point) * scale as TFLM computes it."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import f32

_SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16"}


@register("DEQUANTIZE")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(_SUFFIX), "input")
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    if x.elements != y.elements:
        raise ctx.unsupported(f"input has {x.elements} elements, output {y.elements}")
    if x.is_constant:
        raise ctx.unsupported(f"input tensor #{x.index} '{x.name}' is constant (a weight-only quantized model)")
    scale, zero_point = ctx.quantization(x)
    params = ctx.params("tml_dequantize_params",
                        {"scale": f32(scale), "zero_point": zero_point, "size": f"{y.elements}u"})
    ctx.call(f"tml_dequantize_{_SUFFIX[x.dtype]}_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="dequantize")
