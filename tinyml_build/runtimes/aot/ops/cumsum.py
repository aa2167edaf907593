"""CUMSUM: running sums along one constant axis, forwards or reversed, inclusive or exclusive
(kernels/cumsum.c).

Types and checks are the pinned TFLM's (kernels/cumsum.cc): float32 or int8, input and output of
one type and shape, rank >= 1; axis int32 with one element, negative counting from the end.
TFLM reads the axis in Eval; aot needs it constant (the loop plan is built here; converters
emit it as a constant). int8 takes CalculateOpData's parameters, ADD's with both inputs at one
scale (`_binary.add_sub_params`) and no fused activation.
"""

import math

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import add_sub_params
from tinyml_build.runtimes.aot.ops._gather import constant_ints, refuse_empty
from tinyml_build.runtimes.aot.ops.comparisons import struct
from tinyml_build.runtimes.aot.quantization import activation_range

SUFFIX = {"int8": "s8", "float32": "f32"}


@register("CUMSUM")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if list(out.shape) != list(x.shape):
        raise ctx.unsupported(f"output shape {list(out.shape)} differs from the input's {list(x.shape)}")
    rank = len(x.shape)
    if rank < 1:
        raise ctx.unsupported("the input is a scalar; TFLM requires rank >= 1")
    axis_values = constant_ints(ctx, ctx.input(1), "axis")
    if len(axis_values) != 1:
        raise ctx.unsupported(f"axis has {len(axis_values)} elements; TFLM requires 1")
    axis = axis_values[0] + (rank if axis_values[0] < 0 else 0)
    if not 0 <= axis < rank:
        raise ctx.unsupported(f"axis {axis_values[0]} is out of range for rank {rank} (TFLM's Eval fails)")
    fields = {"before": math.prod(x.shape[:axis]), "depth": int(x.shape[axis]), "after": math.prod(x.shape[axis + 1:]),
              "reverse": int(bool(ctx.options.get("reverse", False))),
              "exclusive": int(bool(ctx.options.get("exclusive", False)))}
    if x.dtype == "int8":
        quant, out_quant = ctx.quantization(x), ctx.quantization(out)
        quant_fields = add_sub_params(ctx, quant, quant, out_quant)
        quant_fields["act_min"], quant_fields["act_max"] = activation_range("NONE", "int8", *out_quant)
        fields["quant"] = struct(ctx, quant_fields)
    ctx.call(f"tml_cumsum_{SUFFIX[x.dtype]}", ctx.params("tml_cumsum_params", fields), ctx.input_ptr(0),
             ctx.output_ptr(0), kernel="cumsum")
