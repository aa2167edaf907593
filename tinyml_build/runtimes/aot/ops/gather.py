"""GATHER: int8 and float32 params, int32 indices, any axis and batch_dims (kernels/gather.c).

Types and checks are the pinned TFLM's (kernels/gather.cc Prepare): params float32 or int8,
indices int32 (TFLM's Prepare fails on anything else, so aot refuses it), axis and batch_dims
negative counting from the end (of params' and indices' ranks), batch_dims <= axis, the
leading batch_dims dimensions of params and indices equal. No requantization: the output has
params' type and values.

Out-of-range indices: TFLM only has debug assertions (a release build copies from outside the
tensor). Constant indices are checked here and refused; indices computed at run time are
checked by the kernel, and invoke() returns TML_ERROR.
"""

import math

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import refuse_constant_out_of_range

ELEMENT_BYTES = {"int8": 1, "float32": 4}


@register("GATHER")
def lower(ctx) -> None:
    params = ctx.require_dtype(ctx.input(0), tuple(ELEMENT_BYTES), "params")
    indices = ctx.require_dtype(ctx.input(1), ("int32",), "indices")
    out = ctx.require_dtype(ctx.output(0), (params.dtype,), "output")
    rank, index_rank = len(params.shape), len(indices.shape)
    axis = ctx.options.get("axis", 0)
    axis += rank if axis < 0 else 0
    batch_dims = ctx.options.get("batch_dims", 0)
    batch_dims += index_rank if batch_dims < 0 else 0
    if not 0 <= axis < rank:
        raise ctx.unsupported(f"axis {ctx.options.get('axis', 0)} is outside params' {rank} dimensions")
    if not (0 <= batch_dims <= axis and batch_dims < rank and batch_dims <= index_rank):
        raise ctx.unsupported(f"batch_dims {ctx.options.get('batch_dims', 0)} is invalid for axis {axis}, "
                              f"params rank {rank} and indices rank {index_rank}")
    if list(params.shape[:batch_dims]) != list(indices.shape[:batch_dims]):
        raise ctx.unsupported(f"the first {batch_dims} dimensions of params {list(params.shape)} and indices "
                              f"{list(indices.shape)} differ")
    expected = list(params.shape[:axis]) + list(indices.shape[batch_dims:]) + list(params.shape[axis + 1:])
    if list(out.shape) != expected:
        raise ctx.unsupported(f"output shape {list(out.shape)} is not the gathered shape {expected}")
    axis_size = int(params.shape[axis])
    refuse_constant_out_of_range(ctx, indices, axis_size, "index", where=f" along axis {axis}",
                                 fix="fix the model's indices (TFLM would read outside the tensor)")
    if out.elements == 0:
        return
    fields = {"batches": math.prod(params.shape[:batch_dims]), "outer": math.prod(params.shape[batch_dims:axis]),
              "coords": math.prod(indices.shape[batch_dims:]), "axis_size": axis_size,
              "inner_bytes": math.prod(params.shape[axis + 1:]) * ELEMENT_BYTES[params.dtype]}
    p = ctx.params("tml_gather_params", fields)
    ctx.call("tml_gather", p, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0), kernel="gather",
             checked=not indices.is_constant)
