"""UNPACK for int8, int16, int32 and float32 (TFLM micro's types): one strided gather per output.

The inverse of PACK: output i is the input's slice i along `axis` (negative counts from the
end), with that dimension removed. TFLM copies bytes without looking at quantization. Each
output gets its own arena buffer (no sub-buffer views in the planner), so this is a copy.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import emit_gather, refuse_empty, resolve_axis

TYPES = ("int8", "int16", "int32", "float32")


@register("UNPACK")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    rank = len(x.shape)
    axis = resolve_axis(ctx, int(ctx.options.get("axis", 0)), rank)
    outputs = len(ctx.op.outputs)
    num = int(ctx.options.get("num", outputs))
    if num != outputs or x.shape[axis] != outputs:
        raise ctx.unsupported(f"num is {num}, the op has {outputs} outputs and input dimension {axis} "
                              f"is {x.shape[axis]}; they must agree")
    out_shape = list(x.shape[:axis]) + list(x.shape[axis + 1:])
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    for i in range(outputs):
        y = ctx.require_dtype(ctx.output(i), (x.dtype,), f"output {i}")
        if list(y.shape) != out_shape:
            raise ctx.unsupported(f"output {i} has shape {list(y.shape)}, expected {out_shape}")
        emit_gather(ctx, x.dtype, i * inner, [(outer, outputs * inner), (inner, 1)], ctx.ptr(x), ctx.output_ptr(i))
