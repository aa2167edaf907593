"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape.

The output tensor is planned at the same arena offset as its input (an alias), so these ops
cost no instructions and no memory. Only a constant input (rare) needs a real copy into the
arena.
"""

from tinyml_build.runtimes.aot.ops import register


@register("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
def lower(ctx) -> None:
    x, y = ctx.input(0), ctx.output(0)
    if x is None:
        raise ctx.unsupported("input tensor is missing")
    if x.dtype != y.dtype:
        raise ctx.unsupported(f"input is {x.dtype} but output is {y.dtype}")
    if x.nbytes != y.nbytes:
        raise ctx.unsupported(f"input has {x.nbytes} bytes but output {y.nbytes} "
                              f"(shapes {list(x.shape)} -> {list(y.shape)})")
    if x.is_constant:
        ctx.call("tml_copy", ctx.output_ptr(0), ctx.input_ptr(0), f"{y.nbytes}u", kernel="copy")
    else:
        ctx.alias(y, x)
