"""SUB: int8 and int16, with broadcasting (kernels/add.c, shared with ADD); float32 in _binary_f32.py, int32 in
_binary_s32.py.

The same arithmetic as ADD with the second input's scaled value subtracted: the multiplier
math (_binary.add_sub_params, in float32 for SUB as TFLM's sub_common.cc) and the C loops are
shared, only the operation differs. Not ADD
with a negated input-2 multiplier: TFLM rounds each input's scaling separately, with ties
toward +infinity, which is not symmetric (see kernels/add.c).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._arithmetic import lower_arithmetic
from tinyml_build.runtimes.aot.ops._binary import add_sub_params


def sub_params(ctx, in1, in2, out) -> dict:
    """ADD's parameters with the ratios taken in float32, as the pinned TFLM's sub_common.cc does."""
    return add_sub_params(ctx, in1, in2, out, in_float32=True)


@register("SUB")
def lower(ctx) -> None:
    lower_arithmetic(ctx, "sub", sub_params, kernel="add")
