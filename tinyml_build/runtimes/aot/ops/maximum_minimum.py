"""MAXIMUM and MINIMUM: int8, int16, int32, float32, with broadcasting (kernels/maximum_minimum.c).

TFLM (kernels/maximum_minimum.cc) has no Prepare: it compares the stored values as they are,
reading both inputs with the output's type, and never requantizes. The converter gives the
inputs and the output one scale and zero point; aot does exactly what TFLM does with the raw
values, so no quantization check is made here either. Inputs must have the output's type
(TFLM would reinterpret their bytes otherwise). int64 is refused: no int64 activations elsewhere
in aot, and no TinyML model uses it.
"""

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.ops import register

SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "float32": "f32"}


@register("MAXIMUM", "MINIMUM")
def lower(ctx) -> None:
    out = ctx.require_dtype(ctx.output(0), tuple(SUFFIX), "output")
    in1 = ctx.require_dtype(ctx.input(0), (out.dtype,), "input 1")
    in2 = ctx.require_dtype(ctx.input(1), (out.dtype,), "input 2")
    if out.elements == 0:
        return
    try:
        loops = broadcast_loops(in1.shape, in2.shape, out.shape)
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    kind = ctx.name.lower()
    ctx.call(f"tml_{kind}_{SUFFIX[out.dtype]}", shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             kernel="maximum_minimum")
