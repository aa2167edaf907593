"""ADD, SUB and MUL choose their lowering by output type here, so the three ops cannot drift apart
and a type none of them has (int64, uint8...) is refused with the full list of types aot runs."""

from tinyml_build.runtimes.aot.ops._binary import SUFFIX, lower_binary
from tinyml_build.runtimes.aot.ops._binary_f32 import lower_binary_f32
from tinyml_build.runtimes.aot.ops._binary_s32 import lower_binary_s32

ARITHMETIC_TYPES = (*SUFFIX, "int32", "float32")


def lower_arithmetic(ctx, kind: str, params_fn, kernel: str | None = None) -> None:
    """Lower ADD/SUB/MUL (`kind`): float32 and int32 to their own modules, int8/int16 to lower_binary."""
    dtype = ctx.require_dtype(ctx.output(0), ARITHMETIC_TYPES, "output").dtype
    if dtype == "float32":
        lower_binary_f32(ctx, kind)
    elif dtype == "int32":
        lower_binary_s32(ctx, kind)
    else:
        lower_binary(ctx, kind, params_fn, kernel)
