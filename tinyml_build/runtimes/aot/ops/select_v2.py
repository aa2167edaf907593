"""SELECT_V2: int8, int16, float32 with broadcasting of condition, x and y (kernels/select.c).

The pinned TFLM (kernels/select.cc) needs a bool condition, x and y of one type, output of
that type, and copies the stored values: no requantization, so no quantization check here
either (the converter gives x, y and the output one scale). Other types fail TFLM's Eval and
are refused. SELECT (v1, whose condition may be a vector along the first dimension) is not
part of this: TFLM micro only registers SELECT_V2.
"""

from tinyml_build.runtimes.aot.broadcast import MAX_LOOPS, BroadcastError, broadcast_loops_n
from tinyml_build.runtimes.aot.ops import register

SUFFIX = {"int8": "s8", "int16": "s16", "float32": "f32"}


@register("SELECT_V2")
def lower(ctx) -> None:
    cond = ctx.require_dtype(ctx.input(0), ("bool",), "condition")
    x = ctx.require_dtype(ctx.input(1), tuple(SUFFIX), "x")
    y = ctx.require_dtype(ctx.input(2), (x.dtype,), "y")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if out.elements == 0:
        return
    try:
        loops = broadcast_loops_n([cond.shape, x.shape, y.shape], out.shape)
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None
    pad = [0] * (MAX_LOOPS - len(loops.count))
    fields = {"loops": len(loops.count), "count": list(loops.count) + pad}
    for name, steps in zip(("step_c", "step_x", "step_y"), loops.steps, strict=True):
        fields[name] = list(steps) + pad
    ctx.call(f"tml_select_v2_{SUFFIX[x.dtype]}", ctx.params("tml_select_params", fields), ctx.input_ptr(0),
             ctx.input_ptr(1), ctx.input_ptr(2), ctx.output_ptr(0), kernel="select")
