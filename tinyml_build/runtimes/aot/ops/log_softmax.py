"""LOG_SOFTMAX: float32 over the last dimension (kernels/log_softmax.c), as TFLM's micro kernel.

int8 is refused for now: TFLM's LogSoftmaxQuantized needs gemmlowp's log_x_for_x_greater_than_or_equal_to_1
at run time (the row's sum of exponentials is data), which aot does not reproduce yet.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import same_shape_io


@register("LOG_SOFTMAX")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("float32",))
    if list(x.shape) != list(y.shape) or not x.shape:
        raise ctx.unsupported(f"input shape {list(x.shape)} and output shape {list(y.shape)} must be equal, rank >= 1")
    if x.elements == 0:
        return
    depth = x.shape[-1]
    params = ctx.params("tml_log_softmax_params", {"rows": x.elements // depth, "depth": depth})
    ctx.call("tml_log_softmax_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="log_softmax")
