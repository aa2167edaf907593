"""PACK for int8, int16, int32, int64 and float32 (TFLM micro's types): one block copy per input.

Stacks `values_count` equally shaped inputs along a new output axis (negative counts from the
end of the output's dimensions). TFLM copies bytes without looking at quantization. Each
input contributes, for each index over the dimensions before the axis, one contiguous block
of prod(input shape[axis:]) elements; that is CONCATENATION's copy (kernels/concatenation.c).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, refuse_empty, resolve_axis

TYPES = ("int8", "int16", "int32", "int64", "float32")


@register("PACK")
def lower(ctx) -> None:
    refuse_empty(ctx)
    y = ctx.require_dtype(ctx.output(0), TYPES, "output")
    count = len(ctx.op.inputs)
    values_count = int(ctx.options.get("values_count", count))
    if values_count != count:
        raise ctx.unsupported(f"values_count is {values_count} but the op has {count} inputs")
    rank = len(y.shape)
    axis = resolve_axis(ctx, int(ctx.options.get("axis", 0)), rank)
    in_shape = list(y.shape[:axis]) + list(y.shape[axis + 1:])
    if y.shape[axis] != count:
        raise ctx.unsupported(f"output dimension {axis} is {y.shape[axis]}, not the {count} inputs")
    for i in range(count):
        t = ctx.require_dtype(ctx.input(i), (y.dtype,), f"input {i}")
        if list(t.shape) != in_shape:
            raise ctx.unsupported(f"input {i} has shape {list(t.shape)}, expected {in_shape}")
    elem = ELEMENT_BYTES[y.dtype]
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    block = int(np.prod(y.shape[axis + 1:], dtype=np.int64)) * elem
    for i in range(count):
        ctx.call("tml_concatenation", ctx.input_ptr(i), f"(uint8_t *){ctx.output_ptr(0)} + {i * block}",
                 str(outer), str(block), str(count * block), kernel="concatenation")
