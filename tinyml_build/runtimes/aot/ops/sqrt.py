"""SQRT: float32 only, as TFLM's micro kernel (elementwise.cc); sqrtf is exact in IEEE arithmetic."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("SQRT")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_sqrt_f32")
