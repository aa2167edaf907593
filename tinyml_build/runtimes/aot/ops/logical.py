"""LOGICAL_AND, LOGICAL_OR (kernels/comparisons.c) and LOGICAL_NOT (a byte table, kernels/lut.c).

Types are the pinned TFLM's: bool only (logical.cc has no Prepare and reads bool data;
elementwise.cc's LOGICAL_NOT Prepare accepts bool only). AND / OR broadcast as
reference_ops::BroadcastBinaryFunction4DSlow (up to 8-D in TFLM, 6 collapsed loops here),
with the comparisons' walk. NOT is `!v`: a 256-entry table (0 -> 1, anything else -> 0).
"""

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import refuse_empty
from tinyml_build.runtimes.aot.ops.quantize import emit_lut8


@register("LOGICAL_AND", "LOGICAL_OR")
def lower_binary(ctx) -> None:
    refuse_empty(ctx)
    in1 = ctx.require_dtype(ctx.input(0), ("bool",), "input 1")
    in2 = ctx.require_dtype(ctx.input(1), ("bool",), "input 2")
    out = ctx.require_dtype(ctx.output(0), ("bool",), "output")
    try:
        shape = broadcast_loops(in1.shape, in2.shape, out.shape).fields()
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None
    ctx.call(f"tml_{ctx.name.lower()}_b", ctx.params("tml_broadcast", shape, "broadcast loops"), ctx.input_ptr(0),
             ctx.input_ptr(1), ctx.output_ptr(0), kernel="comparisons")


@register("LOGICAL_NOT")
def lower_not(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), ("bool",), "input")
    out = ctx.require_dtype(ctx.output(0), ("bool",), "output")
    if out.elements != x.elements:
        raise ctx.unsupported(f"output has {out.elements} elements, input {x.elements}")
    emit_lut8(ctx, [1] + [0] * 255, "uint8", "logical not")
