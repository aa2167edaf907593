"""FLOOR_DIV for float32 with broadcasting (kernels/floor_div.c, which also holds FLOOR_MOD).

Types are the pinned TFLM's (kernels/floor_div.cc): Eval takes float32 only (inputs and output
of one type, Prepare); shapes broadcast as BroadcastBinaryFunction4DSlow (collapsed into
`broadcast.py` loops here). TFLM's Eval fails on any zero denominator: a constant one is
refused here, a run-time one makes invoke() return TML_ERROR. `float_operands` serves FLOOR_MOD.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands
from tinyml_build.runtimes.aot.ops._gather import refuse_empty


def float_operands(ctx) -> tuple:
    """(input 2, [broadcast loops, in1, in2, out] arguments) of a float32-only binary op."""
    refuse_empty(ctx)
    _out, _in1, in2, loops = broadcast_operands(ctx, ("float32",))
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    return in2, [shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0)]


@register("FLOOR_DIV")
def lower(ctx) -> None:
    in2, args = float_operands(ctx)
    if in2.is_constant and np.any(np.asarray(in2.array()) == 0):
        raise ctx.unsupported("a constant denominator is 0 (TFLM's Eval fails: division by 0)",
                              fix="fix the model's denominators")
    ctx.call("tml_floor_div_f32", *args, str(in2.elements), kernel="floor_div", checked=not in2.is_constant)
