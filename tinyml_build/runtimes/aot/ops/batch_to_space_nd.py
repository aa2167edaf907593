"""BATCH_TO_SPACE_ND for int8 and float32 (TFLM micro's types), rank 3 or 4 (kernels/space_batch.c).

TFLM's Prepare checks only ranks (3 or 4) and equal types; its reference kernel reads
block_shape (int32, one entry per spatial dimension) and crops (int32 [spatial, 2]) at Eval
time, runs a rank-3 NHC tensor as NH1C (block width 1, no left crop) and copies whole depth
rows without looking at quantization. Here block_shape and crops must be constant, positive
resp. non-negative, the batch a multiple of the block's product and the model's output shape
the cropped one, so every output row is written exactly once (as in TFLM for such models).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, constant_ints, refuse_empty

TYPES = ("int8", "float32")


def spatial_operands(ctx, what: str):
    """(input, output, rank, 4-D input shape, block [h, w], edges [[top, bottom], [left, right]])."""
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    rank = len(x.shape)
    if rank not in (3, 4) or len(y.shape) != rank:
        raise ctx.unsupported(f"input/output ranks {rank}/{len(y.shape)}; TFLM's {ctx.name} needs 3 or 4 (equal)")
    spatial = rank - 2
    block = constant_ints(ctx, ctx.input(1), "block_shape")
    edges = constant_ints(ctx, ctx.input(2), what)
    if len(block) != spatial or len(edges) != 2 * spatial:
        raise ctx.unsupported(f"block_shape {block} / {what} {edges} do not have {spatial} spatial dimension(s)")
    if min(block) < 1:
        raise ctx.unsupported(f"block_shape {block} has an entry below 1")
    if min(edges) < 0:
        raise ctx.unsupported(f"{what} {edges} has a negative entry")
    shape = [int(d) for d in x.shape]
    if rank == 3:  # TFLM's ExtendShapeBatchToSpace / ExtendShapeSpaceToBatch: NHC -> NH1C
        shape, block, edges = [shape[0], shape[1], 1, shape[2]], block + [1], edges + [0, 0]
    return x, y, shape, block, [edges[0:2], edges[2:4]]


def emit(ctx, kernel_function: str, x, y, in_shape, out_shape, block, top: int, left: int, pad: int = 0) -> None:
    expected = out_shape if len(y.shape) == 4 else [out_shape[0], out_shape[1], out_shape[3]]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {expected}")
    params = ctx.params("tml_space_batch_params", {
        "row_bytes": in_shape[3] * ELEMENT_BYTES[x.dtype],
        "in_batch": in_shape[0], "in_h": in_shape[1], "in_w": in_shape[2],
        "out_batch": out_shape[0], "out_h": out_shape[1], "out_w": out_shape[2],
        "block_h": block[0], "block_w": block[1], "top": top, "left": left, "pad_byte": pad,
    })
    ctx.call(kernel_function, params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="space_batch")


@register("BATCH_TO_SPACE_ND")
def lower(ctx) -> None:
    x, y, shape, block, crops = spatial_operands(ctx, "crops")
    n, h, w, c = shape
    blocks = int(np.prod(block))
    if n % blocks:
        raise ctx.unsupported(f"input batch {n} is not a multiple of the block's {blocks} positions")
    out_h, out_w = h * block[0] - sum(crops[0]), w * block[1] - sum(crops[1])
    if out_h < 1 or out_w < 1:
        raise ctx.unsupported(f"crops {crops} leave no output")
    emit(ctx, "tml_batch_to_space_nd", x, y, shape, [n // blocks, out_h, out_w, c], block, crops[0][0], crops[1][0])
