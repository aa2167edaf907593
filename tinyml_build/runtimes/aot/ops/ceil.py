"""CEIL: float32 only, as TFLM's micro kernel (reference_ops::Ceil); ceilf is exact."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("CEIL")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_ceil_f32")
