"""SIN: float32 only, std::sin per element as TFLM's micro kernel (elementwise.cc); libm's sinf."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("SIN")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_sin_f32")
