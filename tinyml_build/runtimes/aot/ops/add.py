"""ADD: int8 and int16, with broadcasting (kernels/add.c, which also holds SUB); float32 in _binary_f32.py, int32 in
_binary_s32.py.

TFLM micro always runs the general-scale int16 path, whatever pot_scale_int16 says, and so
does this. The multiplier math is shared with SUB (_binary.add_sub_params).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import add_sub_params, lower_binary
from tinyml_build.runtimes.aot.ops._binary_f32 import lower_binary_f32
from tinyml_build.runtimes.aot.ops._binary_s32 import lower_binary_s32


@register("ADD")
def lower(ctx) -> None:
    if ctx.output(0).dtype == "float32":
        lower_binary_f32(ctx, "add")
        return
    if ctx.output(0).dtype == "int32":
        lower_binary_s32(ctx, "add")
        return
    lower_binary(ctx, "add", add_sub_params)
