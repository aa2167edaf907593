"""FLOOR_DIV and FLOOR_MOD for float32 with broadcasting (kernels/floor_div.c).

Types are the pinned TFLM's (kernels/floor_div.cc, floor_mod.cc): both Evals take float32 only
(inputs and output of one type, Prepare); shapes broadcast as BroadcastBinaryFunction4DSlow
(collapsed into `broadcast.py` loops here). FLOOR_DIV fails in TFLM's Eval on any zero
denominator: a constant one is refused here, a run-time one makes invoke() return TML_ERROR.
FLOOR_MOD has no such check (its result is NaN there, as fmod's).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands
from tinyml_build.runtimes.aot.ops._gather import refuse_empty


@register("FLOOR_DIV", "FLOOR_MOD")
def lower(ctx) -> None:
    refuse_empty(ctx)
    out, _in1, in2, loops = broadcast_operands(ctx, ("float32",))
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    args = [shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0)]
    if ctx.name == "FLOOR_MOD":
        ctx.call("tml_floor_mod_f32", *args, kernel="floor_div")
        return
    if in2.is_constant and np.any(np.asarray(in2.array()) == 0):
        raise ctx.unsupported("a constant denominator is 0 (TFLM's Eval fails: division by 0)",
                              fix="fix the model's denominators")
    ctx.call("tml_floor_div_f32", *args, str(in2.elements), kernel="floor_div", checked=not in2.is_constant)
