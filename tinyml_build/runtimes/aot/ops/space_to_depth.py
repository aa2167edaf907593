"""SPACE_TO_DEPTH for int8 and float32 (TFLM micro's types): a strided gather.

TFLM's Prepare requires a rank-4 NHWC input whose height and width are multiples of
block_size and sets the output shape to [N, H/b, W/b, C*b^2]; the reference kernel copies
elements without looking at quantization. Output element (n, h, w, (i*b + j)*C + c) is input
element (n, h*b + i, w*b + j, c): written in order that is the loops n, h, w, i and one
contiguous run of b*C elements (j and c merge), i.e. one `tml_strided_slice` call.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import emit_gather, refuse_empty, row_major_strides
from tinyml_build.runtimes.aot.ops.depth_to_space import TYPES, block_size


@register("SPACE_TO_DEPTH")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if len(x.shape) != 4:
        raise ctx.unsupported(f"input has rank {len(x.shape)}; TFLM's SPACE_TO_DEPTH needs 4 (NHWC)")
    b = block_size(ctx)  # TFLM does not check it and would divide by zero
    n, h, w, c = (int(d) for d in x.shape)
    if h % b or w % b:
        raise ctx.unsupported(f"input height/width {h}/{w} are not multiples of block_size {b}")
    expected = [n, h // b, w // b, c * b * b]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {expected}")
    sn, sh, sw, _ = row_major_strides(x.shape)
    loops = [(n, sn), (h // b, b * sh), (w // b, b * sw), (b, sh), (b * c, 1)]
    emit_gather(ctx, x.dtype, 0, loops, ctx.input_ptr(0), ctx.output_ptr(0))
