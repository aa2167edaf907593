"""NEG: float32 only, as TFLM's micro kernel (kernels/neg.cc has no int8/int16 case)."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import same_shape_io


@register("NEG")
def lower(ctx) -> None:
    x, _y = same_shape_io(ctx, ("float32",))
    if x.elements == 0:
        return
    ctx.call("tml_neg_f32", ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="neg")
