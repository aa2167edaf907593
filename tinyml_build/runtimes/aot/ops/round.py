"""ROUND: float32 only, TFLM's RoundToNearest (ties to even, reference_ops::Round)."""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import lower_float_map


@register("ROUND")
def lower(ctx) -> None:
    lower_float_map(ctx, "tml_round_to_nearest_f32")
