"""EXP: float32 only, as TFLM's micro kernel (exp.cc has no quantized case); libm's expf."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("EXP")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_exp_f32")
