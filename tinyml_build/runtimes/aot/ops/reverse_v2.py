"""REVERSE_V2: reverse along constant axes, as one gather with a negative step.

Types and checks are the pinned TFLM's (kernels/reverse.cc): input int32, float32, uint8,
int8, int16, int64 or bool, output of the same type; axis int32, rank 1, no more entries than
the input's rank, each in [-rank, rank). TFLM's Eval sorts the axes and fails unless they are
consecutive (a repeated axis fails too), then reverses the block they span as one dimension
(reference_ops::Reverse): the gather walks that block backwards, inner dimensions forwards.
The axis values must be constant (aot computes the loops at build time; TFLM reads them in
Eval, and every converter emits them as constants).
"""

import math

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty

TYPES = ("int32", "float32", "uint8", "int8", "int16", "int64", "bool")
MAX_RANK = 6  # RuntimeShape::kMaxSmallSize


@register("REVERSE_V2")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    axis_tensor = ctx.require_dtype(ctx.input(1), ("int32",), "axis")
    rank = len(x.shape)
    if len(axis_tensor.shape) != 1:
        raise ctx.unsupported(f"axis has rank {len(axis_tensor.shape)}; TFLM requires rank 1")
    if rank > MAX_RANK:
        raise ctx.unsupported(f"input rank {rank} is above TFLM's {MAX_RANK}")
    axes = constant_ints(ctx, axis_tensor, "axis")
    if not axes:
        raise ctx.unsupported("no axis given (TFLM's Reverse reads axes[-1])")
    if len(axes) > rank:
        raise ctx.unsupported(f"{len(axes)} axes for an input of rank {rank}")
    if any(not -rank <= a < rank for a in axes):
        raise ctx.unsupported(f"axes {axes} out of range for rank {rank}")
    axes = sorted(a + rank if a < 0 else a for a in axes)
    if axes != list(range(axes[0], axes[0] + len(axes))):
        raise ctx.unsupported(f"axes {axes} are not consecutive (TFLM's Eval fails)")
    outer = math.prod(x.shape[:axes[0]])
    middle = math.prod(x.shape[axes[0]:axes[-1] + 1])
    inner = math.prod(x.shape[axes[-1] + 1:])
    loops = [(outer, middle * inner), (middle, -inner), (inner, 1)]
    emit_gather(ctx, x.dtype, (middle - 1) * inner, loops, ctx.input_ptr(0), ctx.output_ptr(0))
