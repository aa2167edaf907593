"""DEPTH_TO_SPACE for int8 and float32 (TFLM micro's types): a strided gather.

TFLM's Prepare requires a rank-4 NHWC input, block_size > 0 and a depth divisible by
block_size^2, and sets the output shape to [N, H*b, W*b, C/b^2]; the reference kernel copies
elements without looking at quantization. Output element (n, h*b + i, w*b + j, c) is input
element (n, h, w, (i*b + j)*C_out + c): written in order that is the loops n, h, i, w and one
contiguous run of b*C_out elements (j and c merge), i.e. one `tml_strided_slice` call.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import emit_gather, refuse_empty, row_major_strides

TYPES = ("int8", "float32")


def block_size(ctx) -> int:
    b = int(ctx.options.get("block_size", 0))
    if b < 1:
        raise ctx.unsupported(f"block_size {b} is not positive (TFLM requires block_size > 0)")
    return b


@register("DEPTH_TO_SPACE")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if len(x.shape) != 4:
        raise ctx.unsupported(f"input has rank {len(x.shape)}; TFLM's DEPTH_TO_SPACE needs 4 (NHWC)")
    b = block_size(ctx)
    n, h, w, c = (int(d) for d in x.shape)
    if c % (b * b):
        raise ctx.unsupported(f"input depth {c} is not a multiple of block_size^2 = {b * b}")
    c_out = c // (b * b)
    expected = [n, h * b, w * b, c_out]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {expected}")
    sn, sh, sw, _ = row_major_strides(x.shape)
    loops = [(n, sn), (h, sh), (b, b * c_out), (w, sw), (b * c_out, 1)]
    emit_gather(ctx, x.dtype, 0, loops, ctx.input_ptr(0), ctx.output_ptr(0))
