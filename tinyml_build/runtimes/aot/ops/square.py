"""SQUARE: float32 only, x * x as TFLM's micro kernel (elementwise.cc)."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("SQUARE")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_square_f32")
