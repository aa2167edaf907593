"""COS: float32 only, std::cos per element as TFLM's micro kernel (elementwise.cc); libm's cosf."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("COS")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_cos_f32")
