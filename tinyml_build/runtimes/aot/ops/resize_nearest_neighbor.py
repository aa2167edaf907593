"""RESIZE_NEAREST_NEIGHBOR for int8, int16 and float32 (TFLM micro's types), NHWC.

TFLM's Prepare requires a rank-4 input and a constant int32 `size` of two entries (output
height, width); Eval copies depth rows (float32 as int32 bytes) without looking at
quantization, the source of output row y / column x being GetNearestNeighbor(y, in, out,
align_corners, half_pixel_centers) computed in float. `source_indices` repeats that float32
arithmetic on the host; the kernel (kernels/resize_nearest_neighbor.c) gets one table of byte
offsets for the rows and one for the columns.
"""

import math

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, constant_ints, refuse_empty

TYPES = ("int8", "int16", "float32")


def source_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """TFLM's reference_ops::GetNearestNeighbor for 0..out_size-1, in float32 as it computes it."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5 if half_pixel_centers else 0.0)
    indices = []
    for i in range(out_size):
        value = float((f32(i) + offset) * scale)  # float32 product, exactly representable in double
        if align_corners:  # std::round: half away from zero
            source = int(math.copysign(math.floor(abs(value) + 0.5), value))
        else:
            source = int(math.floor(value))
        source = min(source, in_size - 1)
        if half_pixel_centers:
            source = max(0, source)
        indices.append(source)
    return indices


@register("RESIZE_NEAREST_NEIGHBOR")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if len(x.shape) != 4:
        raise ctx.unsupported(f"input has rank {len(x.shape)}; TFLM's RESIZE_NEAREST_NEIGHBOR needs 4 (NHWC)")
    size_t = ctx.input(1)
    if size_t is not None and size_t.is_constant and len(size_t.shape) != 1:
        raise ctx.unsupported(f"size has shape {list(size_t.shape)}; TFLM needs a 1-D tensor of 2")
    size = constant_ints(ctx, size_t, "size")
    if len(size) != 2:
        raise ctx.unsupported(f"size {size} does not have 2 entries (height, width)")
    n, h, w, c = (int(d) for d in x.shape)
    expected = [n, size[0], size[1], c]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {expected} (input batch and depth, size)")
    align = bool(ctx.options.get("align_corners", False))
    half = bool(ctx.options.get("half_pixel_centers", False))
    row = c * ELEMENT_BYTES[x.dtype]
    rows = [i * w * row for i in source_indices(h, size[0], align, half)]
    cols = [i * row for i in source_indices(w, size[1], align, half)]
    params = ctx.params("tml_resize_nearest_params", {
        "batches": n, "out_h": size[0], "out_w": size[1], "row_bytes": row, "in_batch_bytes": h * w * row,
        "y_offsets": ctx.array(rows, "int32_t", "source row byte offsets"),
        "x_offsets": ctx.array(cols, "int32_t", "source column byte offsets"),
    })
    ctx.call("tml_resize_nearest_neighbor", params, ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="resize_nearest_neighbor")
