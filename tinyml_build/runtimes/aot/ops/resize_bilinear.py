"""RESIZE_BILINEAR: float32 and int8, NHWC (kernels/resize_bilinear.c), as TFLM's micro kernel.

TFLM's Prepare needs a rank-4 input, a constant int32 `size` (output height, width) and not both
align_corners and half_pixel_centers. Its scales are computed here as TFLM does: float32 in / out
(align_corners: (in - 1) / (out - 1)) for float32, ((1 << 10) * in + out / 2) / out in integers for
int8; the kernel repeats the per-row and per-column coordinate arithmetic. int8 copies the input's
quantization (TFLM does not look at it).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, refuse_empty

SUFFIX = {"float32": "f32", "int8": "s8"}


def scales(in_size: int, out_size: int, align_corners: bool) -> tuple[float, int]:
    """(float32 scale, 10-bit integer scale) of one axis, as ResizeBilinear / ResizeBilinearInteger."""
    if align_corners and out_size > 1:
        return float(np.float32(in_size - 1) / np.float32(out_size - 1)), \
            ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return float(np.float32(in_size) / np.float32(out_size)), ((1 << 10) * in_size + out_size // 2) // out_size


@register("RESIZE_BILINEAR")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if len(x.shape) != 4:
        raise ctx.unsupported(f"input has rank {len(x.shape)}; TFLM's RESIZE_BILINEAR needs 4 (NHWC)")
    size = constant_ints(ctx, ctx.input(1), "size")
    if len(size) != 2 or min(size) < 1:
        raise ctx.unsupported(f"size {size} is not 2 positive entries (height, width)")
    n, h, w, c = (int(d) for d in x.shape)
    expected = [n, size[0], size[1], c]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {expected} (input batch and depth, size)")
    align = bool(ctx.options.get("align_corners", False))
    half = bool(ctx.options.get("half_pixel_centers", False))
    if align and half:
        raise ctx.unsupported("align_corners and half_pixel_centers together (TFLM's Prepare refuses them)")
    (h_f32, h_q10), (w_f32, w_q10) = scales(h, size[0], align), scales(w, size[1], align)
    params = ctx.params("tml_resize_bilinear_params", {
        "batches": n, "in_h": h, "in_w": w, "depth": c, "out_h": size[0], "out_w": size[1],
        "half_pixel_centers": int(half), "height_scale_f32": h_f32, "width_scale_f32": w_f32,
        "height_scale_q10": h_q10, "width_scale_q10": w_q10})
    ctx.call(f"tml_resize_bilinear_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="resize_bilinear")
