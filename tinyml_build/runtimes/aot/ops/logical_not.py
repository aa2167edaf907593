"""LOGICAL_NOT on bool: a byte table (kernels/lut.c).

Types are the pinned TFLM's (elementwise.cc: GenericPrepare accepts bool only). TFLM computes
`!v`; a 256-entry table maps 0 to 1 and every other byte to 0.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import refuse_empty
from tinyml_build.runtimes.aot.ops.quantize import emit_lut8


@register("LOGICAL_NOT")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), ("bool",), "input")
    out = ctx.require_dtype(ctx.output(0), ("bool",), "output")
    if out.elements != x.elements:
        raise ctx.unsupported(f"output has {out.elements} elements, input {x.elements}")
    emit_lut8(ctx, [1] + [0] * 255, "uint8", "logical not")
