"""FLOOR: float32 only, as TFLM's micro kernel (reference_ops::Floor); floorf is exact."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("FLOOR")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_floor_f32")
