"""SHAPE: the input's static dimensions, folded at build time.

The result is a constant array in flash copied into the output tensor (kernels/copy.c), so a
consumer reading it from the arena sees what TFLM computes. TFLM's Eval (kernels/shape.cc)
fails unless the output is int32, so aot refuses other output types. `copy_constant` serves
BROADCAST_ARGS too.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register

CTYPE = {"int32": "int32_t", "int64": "int64_t"}


def copy_constant(ctx, values, dtype: str, what: str) -> None:
    """Copy build-time `values` (a folded result) from flash into output 0."""
    out = ctx.output(0)
    if out.elements != len(values):
        raise ctx.unsupported(f"output has {out.elements} elements, the folded {what} {len(values)}")
    if out.elements == 0:
        return
    info = np.iinfo(dtype)
    if min(values) < info.min or max(values) > info.max:
        raise ctx.unsupported(f"the folded {what} {values} does not fit {dtype}")
    ctx.call("tml_copy", ctx.output_ptr(0), ctx.array(values, CTYPE[dtype], what), f"{out.nbytes}u", kernel="copy")


@register("SHAPE")
def lower(ctx) -> None:
    x = ctx.input(0)
    if x is None:
        raise ctx.unsupported("input 0 is missing")
    out = ctx.require_dtype(ctx.output(0), ("int32",), "output")
    copy_constant(ctx, [int(d) for d in x.shape], out.dtype, "shape")
