"""ARG_MAX and ARG_MIN: int8 and float32 input, int32 output, constant axis (kernels/arg_min_max.c).

The types are the pinned TFLM's (kernels/arg_min_max.cc): an int32 axis tensor, an int32 output
and a float32 or int8 input; anything else fails in TFLM's Eval, so aot refuses it at build time
(int16 input, int64 output or axis). The `output_type` option is not read, as in TFLM: the
output tensor's type decides. TFLM reads the axis at run time; aot needs it constant (it fixes
the output shape anyway), negative values counting from the end as in TFLM.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register

SUFFIX = {"int8": "s8", "float32": "f32"}


@register("ARG_MAX", "ARG_MIN")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    axis_tensor = ctx.require_dtype(ctx.input(1), ("int32",), "axis")
    out = ctx.require_dtype(ctx.output(0), ("int32",), "output")
    if not axis_tensor.is_constant:
        raise ctx.unsupported("the axis is computed at run time; runtime=aot needs a constant axis")
    rank = len(x.shape)
    axis = int(np.asarray(axis_tensor.array()).reshape(-1)[0])
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank:
        raise ctx.unsupported(f"axis {axis} is outside the input's {rank} dimensions")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    axis_size = int(x.shape[axis])
    if list(out.shape) != list(x.shape[:axis]) + list(x.shape[axis + 1:]):
        raise ctx.unsupported(f"output shape {list(out.shape)} is not the input shape {list(x.shape)} "
                              f"without axis {axis}")
    if out.elements == 0:
        return
    if axis_size == 0:
        raise ctx.unsupported("the axis has size 0: TFLM would read outside the input")
    params = ctx.params("tml_arg_params", {"outer": outer, "axis_size": axis_size, "inner": inner})
    kind = "arg_max" if ctx.name == "ARG_MAX" else "arg_min"
    ctx.call(f"tml_{kind}_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="arg_min_max")
