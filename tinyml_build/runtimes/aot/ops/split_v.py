"""SPLIT_V for int8, int16, int32 and float32: SPLIT with per-output sizes (split.py).

TFLM's Eval takes every output's size along the axis from the output tensor and ignores
`size_splits`; when `size_splits` is constant it is checked here against the outputs (one -1
entry stands for the rest), so an inconsistent model is refused instead of guessed at.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, refuse_empty, resolve_axis
from tinyml_build.runtimes.aot.ops.split import TYPES, lower_split


@register("SPLIT_V")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    axis_values = constant_ints(ctx, ctx.input(2), "axis")
    if len(axis_values) != 1:
        raise ctx.unsupported(f"axis has {len(axis_values)} values; one is needed")
    axis = resolve_axis(ctx, axis_values[0], len(x.shape))
    outputs = len(ctx.op.outputs)
    num_splits = int(ctx.options.get("num_splits", outputs))
    if num_splits != outputs:
        raise ctx.unsupported(f"num_splits is {num_splits} but the op has {outputs} outputs")
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
