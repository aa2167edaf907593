"""BROADCAST_TO: numpy broadcasting of one tensor to a constant shape, as a step-0 gather.

Checks are the pinned TFLM's (kernels/broadcast_to.cc): shape tensor constant, rank 1, int32
or int64, equal to the output shape; output rank <= 5 and >= the input's; each input
dimension 1 or equal to the output's; input and output of one type (any fixed-size type: the
kernel copies bytes, quantization is not looked at). A broadcast dimension is a loop with
input step 0, so the whole op is one `emit_gather` call (merged loops, memcpy rows where the
input is copied whole).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import (
    ELEMENT_BYTES,
    constant_ints,
    emit_gather,
    refuse_empty,
    row_major_strides,
)

MAX_DIMS = 5  # kMaxDims in broadcast_to.cc


@register("BROADCAST_TO")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), tuple(ELEMENT_BYTES), "input")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    shape_tensor = ctx.require_dtype(ctx.input(1), ("int32", "int64"), "shape")
    if len(shape_tensor.shape) != 1:
        raise ctx.unsupported(f"shape has rank {len(shape_tensor.shape)}; TFLM requires rank 1")
    shape = constant_ints(ctx, shape_tensor, "shape", ("int32", "int64"))
    if shape != list(out.shape):
        raise ctx.unsupported(f"shape {shape} differs from the output shape {list(out.shape)}")
    rank = len(out.shape)
    if not len(x.shape) <= rank <= MAX_DIMS:
        raise ctx.unsupported(f"input rank {len(x.shape)} to output rank {rank}: TFLM broadcasts to at most "
                              f"{MAX_DIMS} dimensions, never to fewer")
    extended = [1] * (rank - len(x.shape)) + list(x.shape)
    if any(d not in (1, o) for d, o in zip(extended, out.shape)):
        raise ctx.unsupported(f"input shape {list(x.shape)} does not broadcast to {list(out.shape)}")
    strides = row_major_strides(extended)
    loops = [(o, 0 if d == 1 else s) for d, o, s in zip(extended, out.shape, strides)]
    emit_gather(ctx, x.dtype, 0, loops, ctx.input_ptr(0), ctx.output_ptr(0))
