"""SPLIT_V for int8, int16, int32 and float32: SPLIT with per-output sizes (split.py).

TFLM's Eval takes every output's size along the axis from the output tensor and ignores
`size_splits`; when `size_splits` is constant it is checked here against the outputs (one -1
entry stands for the rest), so an inconsistent model is refused instead of guessed at.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, refuse_empty
from tinyml_build.runtimes.aot.ops.split import TYPES, lower_split, split_axis_and_outputs


@register("SPLIT_V")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    axis, outputs = split_axis_and_outputs(ctx, x, ctx.input(2))
    sizes = []
    for i in range(outputs):
        y = ctx.output(i)
        if len(y.shape) != len(x.shape):
            raise ctx.unsupported(f"output {i} has rank {len(y.shape)}, the input {len(x.shape)}")
        sizes.append(y.shape[axis])
    splits = ctx.input(1)
    if splits is not None and splits.is_constant:
        given = constant_ints(ctx, splits, "size_splits", ("int32", "int64"))
        if given.count(-1) == 1:
            given[given.index(-1)] = x.shape[axis] - sum(v for v in given if v != -1)
        if given != sizes:
            raise ctx.unsupported(f"size_splits {constant_ints(ctx, splits, 'size_splits', ('int32', 'int64'))} "
                                  f"does not match the outputs' sizes {sizes} along axis {axis}")
    lower_split(ctx, x, axis, sizes)
