"""DYNAMIC_UPDATE_SLICE: the operand with an update written at run-time start indices
(kernels/dynamic_update_slice.c).

Types and checks are the pinned TFLM's (kernels/dynamic_update_slice.cc): operand and update of
one type, float32, int8, int16 or int32 (the output the same); start indices int32 or int64,
rank 1, one per operand dimension; update of the operand's rank, no dimension larger. The
indices may be computed at run time (a KV cache position): the kernel clamps them as TFLM's
CalculateClampedStartIndices. Bytes are copied (no requantization), rank <= 6
(RuntimeShape::kMaxSmallSize).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, refuse_empty

TYPES = ("float32", "int8", "int16", "int32")
MAX_RANK = 6  # TML_DUS_MAX_RANK


@register("DYNAMIC_UPDATE_SLICE")
def lower(ctx) -> None:
    refuse_empty(ctx)
    operand = ctx.require_dtype(ctx.input(0), TYPES, "operand")
    update = ctx.require_dtype(ctx.input(1), (operand.dtype,), "update")
    indices = ctx.require_dtype(ctx.input(2), ("int32", "int64"), "start indices")
    out = ctx.require_dtype(ctx.output(0), (operand.dtype,), "output")
    rank = len(operand.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.unsupported(f"operand rank {rank} is outside 1..{MAX_RANK}")
    if list(indices.shape) != [rank]:
        raise ctx.unsupported(f"start indices shape {list(indices.shape)}, TFLM requires [{rank}]")
    if len(update.shape) != rank or any(u > o for u, o in zip(update.shape, operand.shape)):
        raise ctx.unsupported(f"update shape {list(update.shape)} does not fit in the operand's {list(operand.shape)}")
    if list(out.shape) != list(operand.shape):
        raise ctx.unsupported(f"output shape {list(out.shape)} differs from the operand's {list(operand.shape)}")
    pad = [0] * (MAX_RANK - rank)
    fields = {"elem_bytes": ELEMENT_BYTES[operand.dtype], "index_bytes": ELEMENT_BYTES[indices.dtype], "rank": rank,
              "operand_dims": list(operand.shape) + pad, "update_dims": list(update.shape) + pad,
              "operand_elements": operand.elements, "update_elements": update.elements}
    ctx.call("tml_dynamic_update_slice", ctx.params("tml_dynamic_update_slice_params", fields), ctx.input_ptr(0),
             ctx.input_ptr(1), ctx.input_ptr(2), ctx.output_ptr(0), kernel="dynamic_update_slice")
