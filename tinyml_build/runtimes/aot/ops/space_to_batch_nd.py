"""SPACE_TO_BATCH_ND for int8 and float32 (TFLM micro's types), rank 3 or 4 (kernels/space_batch.c).

TFLM's Prepare checks only ranks (3 or 4) and equal types; the reference kernel reads
block_shape and paddings (int32) at Eval time, runs rank 3 as NH1C, copies depth rows without
looking at quantization and fills padded rows with memset(params.output_offset).

Padding differs from TFLM on purpose: TFLM micro allocates that SpaceToBatchParams in Init and
never sets it (TFLite proper sets it to the output zero point), so its padded elements are
whatever byte the arena held there -- they vary from op to op and run to run of the oracle.
No implementation can match undefined bytes; aot writes the value the reference kernel means,
the output zero point for int8 (the real value 0) and 0.0 for float32. Every element that is
not padding is bit-exact with TFLM (tests/test_aot_ops_space.py compares them separately);
with zero paddings the whole output is. Block shape and paddings must be constant and
consistent with the model's output shape.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops.batch_to_space_nd import emit, spatial_operands


@register("SPACE_TO_BATCH_ND")
def lower(ctx) -> None:
    x, y, shape, block, pads = spatial_operands(ctx, "paddings")
    n, h, w, c = shape
    padded_h, padded_w = h + sum(pads[0]), w + sum(pads[1])
    if padded_h % block[0] or padded_w % block[1]:
        raise ctx.unsupported(f"padded height/width {padded_h}/{padded_w} are not multiples of the block {block}")
    out = [n * block[0] * block[1], padded_h // block[0], padded_w // block[1], c]
    pad = ctx.quantization(y)[1] & 0xFF if x.dtype == "int8" else 0
    emit(ctx, "tml_space_to_batch_nd", x, y, shape, out, block, pads[0][0], pads[1][0], pad)
