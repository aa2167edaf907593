"""ADD: int8 and int16, with broadcasting (kernels/add.c, which also holds SUB); float32 in _binary_f32.py, int32 in
_binary_s32.py.

TFLM micro always runs the general-scale int16 path, whatever pot_scale_int16 says, and so
does this. The multiplier math is shared with SUB (_binary.add_sub_params).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._arithmetic import lower_arithmetic
from tinyml_build.runtimes.aot.ops._binary import add_sub_params


@register("ADD")
def lower(ctx) -> None:
    lower_arithmetic(ctx, "add", add_sub_params)
