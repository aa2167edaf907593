"""FLOOR_MOD for float32 with broadcasting (kernels/floor_div.c: exact fmod, no libm).

Types are the pinned TFLM's (kernels/floor_mod.cc): Eval takes float32 only; shapes broadcast
as FLOOR_DIV's (`floor_div.float_operands`). TFLM has no zero-denominator check here: the
result is NaN there, as fmod's.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops.floor_div import float_operands


@register("FLOOR_MOD")
def lower(ctx) -> None:
    _in2, args = float_operands(ctx)
    ctx.call("tml_floor_mod_f32", *args, kernel="floor_div")
