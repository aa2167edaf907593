"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16 (TFLM's reference integer pooling); float32 in
_window_f32.py.

Both integer types take the same parameters (_window.quantized_pool_params: TFLM's Prepare requires
input and output to share scale and zero point, so a nonzero int16 zero point needs no special
case); int8 has one kernel file per op, int16 one file for both (kernels/pool2d_s16.c).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._window import quantized_pool_params
from tinyml_build.runtimes.aot.ops._window_f32 import lower_pool2d_f32

# (op, type) -> (C function, kernel file)
_KERNELS = {("AVERAGE_POOL_2D", "int8"): ("tml_average_pool2d_s8", "average_pool2d"),
            ("MAX_POOL_2D", "int8"): ("tml_max_pool2d_s8", "max_pool2d"),
            ("AVERAGE_POOL_2D", "int16"): ("tml_average_pool2d_s16", "pool2d_s16"),
            ("MAX_POOL_2D", "int16"): ("tml_max_pool2d_s16", "pool2d_s16")}

# the types lowered elsewhere (int8 and int16 below)
OTHER_TYPES = {"float32": lower_pool2d_f32}


@register("AVERAGE_POOL_2D", "MAX_POOL_2D")
def lower(ctx) -> None:
    if ctx.lower_by_input_type(OTHER_TYPES, here=("int8", "int16")):
        return
    dtype = ctx.input(0).dtype
    params = quantized_pool_params(ctx, dtype)
    function, kernel = _KERNELS[ctx.name, dtype]
    ctx.call(function, params, ctx.input_ptr(0), ctx.output_ptr(0), kernel=kernel)
