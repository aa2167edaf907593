"""LOGICAL_AND and LOGICAL_OR on bool with broadcasting (kernels/comparisons.c).

Types are the pinned TFLM's: bool only (logical.cc has no Prepare and reads bool data). Shapes
broadcast as reference_ops::BroadcastBinaryFunction4DSlow (up to 8-D in TFLM, 6 collapsed loops
here), with the comparisons' walk and C's && / ||.
"""

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import refuse_empty


@register("LOGICAL_AND", "LOGICAL_OR")
def lower(ctx) -> None:
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
