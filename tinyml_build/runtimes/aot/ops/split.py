"""SPLIT for int8, int16, int32 and float32 (TFLM micro's types): one strided gather per output.

TFLM needs a constant axis (negative counts from the end) and takes each output's extent
along it from the output tensor itself: NumOutputs equal parts for SPLIT, the outputs'
own sizes for SPLIT_V (split_v.py). It copies bytes, so quantization is not looked at.
Output i reads, for each index over the dimensions before the axis, one contiguous run
that starts after the runs of outputs 0..i-1. Every output gets its own arena buffer (the
planner has no sub-buffer views), so the copy is real even along the outermost axis.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty, resolve_axis

TYPES = ("int8", "int16", "int32", "float32")


@register("SPLIT")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(1), TYPES, "input")
    axis, outputs = split_axis_and_outputs(ctx, x, ctx.input(0))
    if x.shape[axis] % outputs:
        raise ctx.unsupported(f"input dimension {axis} ({x.shape[axis]}) does not split into {outputs} parts")
    lower_split(ctx, x, axis, [x.shape[axis] // outputs] * outputs)


def split_axis_and_outputs(ctx, x, axis_tensor) -> tuple[int, int]:
    """(axis, number of outputs) of SPLIT/SPLIT_V: one constant axis, num_splits equal to the outputs."""
    axis_values = constant_ints(ctx, axis_tensor, "axis")
    if len(axis_values) != 1:
        raise ctx.unsupported(f"axis has {len(axis_values)} values; one is needed")
    axis = resolve_axis(ctx, axis_values[0], len(x.shape))
    outputs = len(ctx.op.outputs)
    num_splits = int(ctx.options.get("num_splits", outputs))
    if num_splits != outputs:
        raise ctx.unsupported(f"num_splits is {num_splits} but the op has {outputs} outputs")
    return axis, outputs


def lower_split(ctx, x, axis: int, sizes: list[int]) -> None:
    """Emit the copies of a split of `x` along `axis` into outputs of `sizes` (checked here)."""
    if sum(sizes) != x.shape[axis]:
        raise ctx.unsupported(f"the outputs' sizes along axis {axis} ({sizes}) do not add up to "
                              f"the input's {x.shape[axis]}")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    row = x.shape[axis] * inner
    offset = 0
    for i, size in enumerate(sizes):
        y = ctx.require_dtype(ctx.output(i), (x.dtype,), f"output {i}")
        expected = list(x.shape[:axis]) + [size] + list(x.shape[axis + 1:])
        if list(y.shape) != expected:
            raise ctx.unsupported(f"output {i} has shape {list(y.shape)}, expected {expected}")
        emit_gather(ctx, x.dtype, offset, [(outer, row), (size * inner, 1)], ctx.ptr(x), ctx.output_ptr(i))
        offset += size * inner
