"""MAXIMUM and MINIMUM: int8, int16, int32, float32, with broadcasting (kernels/maximum_minimum.c).

TFLM (kernels/maximum_minimum.cc) has no Prepare: it compares the stored values as they are,
reading both inputs with the output's type, and never requantizes. The converter gives the
inputs and the output one scale and zero point; aot does exactly what TFLM does with the raw
values, so no quantization check is made here either. Inputs must have the output's type
(TFLM would reinterpret their bytes otherwise). int64 is refused: no int64 activations elsewhere
in aot, and no TinyML model uses it.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands

SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "float32": "f32"}


@register("MAXIMUM", "MINIMUM")
def lower(ctx) -> None:
    operands = broadcast_operands(ctx, SUFFIX)
    if operands is None:
        return
    out, _in1, _in2, loops = operands
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    kind = ctx.name.lower()
    ctx.call(f"tml_{kind}_{SUFFIX[out.dtype]}", shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             kernel="maximum_minimum")
