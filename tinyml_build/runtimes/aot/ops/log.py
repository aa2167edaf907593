"""LOG: float32 only, std::log per element as TFLM's micro kernel (elementwise.cc); libm's logf."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("LOG")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_log_f32")
