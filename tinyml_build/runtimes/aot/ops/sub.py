"""SUB: int8 and int16, with broadcasting (kernels/sub.c).

The same arithmetic as ADD with the second input subtracted; the multiplier math is shared
(_binary.add_sub_params).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import add_sub_params, lower_binary


@register("SUB")
def lower(ctx) -> None:
    lower_binary(ctx, "sub", add_sub_params)
