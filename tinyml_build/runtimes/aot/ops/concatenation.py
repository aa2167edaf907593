"""CONCATENATION for int8, int16, int32 and float32: one strided block copy per input.

TFLM concatenates without requantizing and refuses int8 inputs whose quantization differs
from the output's; so does this. Each input contributes a block of
prod(shape[axis:]) elements per index over the dimensions before the axis.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register

ELEMENT_BYTES = {"int8": 1, "int16": 2, "int32": 4, "float32": 4}


@register("CONCATENATION")
def lower(ctx) -> None:
    y = ctx.require_dtype(ctx.output(0), tuple(ELEMENT_BYTES), "output")
    if ctx.options.get("fused_activation_function", "NONE") != "NONE":
        raise ctx.unsupported("a fused activation on CONCATENATION is not supported (TFLM rejects it too)")
    rank = len(y.shape)
    axis = int(ctx.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise ctx.unsupported(f"axis {ctx.options.get('axis')} is out of range for rank {rank}")
    inputs = [ctx.input(i) for i in range(len(ctx.op.inputs))]
    out_q = ctx.quantization(y) if y.dtype in ("int8", "int16") else None
    for i, t in enumerate(inputs):
        ctx.require_dtype(t, (y.dtype,), f"input {i}")
        if len(t.shape) != rank or t.shape[:axis] != y.shape[:axis] or t.shape[axis + 1:] != y.shape[axis + 1:]:
            raise ctx.unsupported(f"input {i} shape {list(t.shape)} does not fit output {list(y.shape)} on axis {axis}")
        if y.dtype == "int8" and ctx.quantization(t) != out_q:
            raise ctx.unsupported(f"input {i} is quantized differently from the output "
                                  "(TFLM requires equal int8 quantization)")
        if y.dtype == "int16" and (ctx.quantization(t)[1] != 0 or out_q[1] != 0):
            raise ctx.unsupported("int16 tensors need zero points of 0 (as in TFLM)")
    if sum(t.shape[axis] for t in inputs) != y.shape[axis]:
        raise ctx.unsupported(f"inputs' sizes along axis {axis} do not add up to the output's {y.shape[axis]}")
    if y.elements == 0:
        return
    elem = ELEMENT_BYTES[y.dtype]
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    out_block = int(np.prod(y.shape[axis:], dtype=np.int64)) * elem
    offset = 0
    for i, t in enumerate(inputs):
        block = int(np.prod(t.shape[axis:], dtype=np.int64)) * elem
        if block:
            ctx.call("tml_concatenation", ctx.input_ptr(i), f"(uint8_t *){ctx.output_ptr(0)} + {offset}",
                     str(outer), str(block), str(out_block), kernel="concatenation")
        offset += block
