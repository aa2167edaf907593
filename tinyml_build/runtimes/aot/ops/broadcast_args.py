"""BROADCAST_ARGS: the broadcast of two shapes, folded at build time.

Checks are the pinned TFLM's (kernels/broadcast_args.cc): two rank-1 shape tensors of int32 or
int64, the output of the same type and rank 1; values broadcast as reference_ops::BroadcastArgs
(aligned at the end, over the output's length). Folded when each input is a constant or a SHAPE
output (static shapes: what converters emit) and copied into the output (`shape.copy_constant`);
other run-time shapes are refused (no kernel for them).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints
from tinyml_build.runtimes.aot.ops.shape import CTYPE, copy_constant


def static_values(ctx, tensor, role: str) -> list[int]:
    """The values of a constant integer tensor, or of one SHAPE writes (a static shape)."""
    if tensor.is_constant:
        return constant_ints(ctx, tensor, role, tuple(CTYPE))
    producer = next((op for op in ctx.sg.operators if tensor.index in op.outputs), None)
    if producer is not None and producer.name == "SHAPE":
        return [int(d) for d in ctx.sg.tensors[producer.inputs[0]].shape]
    raise ctx.unsupported(f"{role} (tensor #{tensor.index} '{tensor.name}') is computed at run time; aot folds "
                          "BROADCAST_ARGS of constant shapes and of SHAPE outputs only")


def broadcast_args(shape1: list[int], shape2: list[int], size: int) -> list[int] | None:
    """reference_ops::BroadcastArgs for an output of `size` elements, aligned at the end (a missing
    dimension counts as 1); None where TFLM's TFLITE_CHECK_EQ would abort."""
    def backward(shape, i):
        return shape[len(shape) - 1 - i] if i < len(shape) else 1

    result = []
    for i in range(size):
        a, b = backward(shape1, i), backward(shape2, i)
        if a != b and 1 not in (a, b):
            return None
        result.append(b if a == 1 else a)
    return result[::-1]


@register("BROADCAST_ARGS")
def lower(ctx) -> None:
    s1 = ctx.require_dtype(ctx.input(0), tuple(CTYPE), "shape 1")
    ctx.require_dtype(ctx.input(1), (s1.dtype,), "shape 2")
    out = ctx.require_dtype(ctx.output(0), (s1.dtype,), "output")
    for n in (0, 1):
        if len(ctx.input(n).shape) != 1:
            raise ctx.unsupported(f"shape {n + 1} has rank {len(ctx.input(n).shape)}; TFLM requires rank 1")
    if len(out.shape) != 1:
        raise ctx.unsupported(f"output has rank {len(out.shape)}; TFLM requires rank 1")
    shape1, shape2 = (static_values(ctx, ctx.input(n), f"shape {n + 1}") for n in (0, 1))
    if any(not -(1 << 31) <= v < (1 << 31) for v in shape1 + shape2):
        raise ctx.unsupported(f"shapes {shape1} and {shape2} have values outside int (TFLM truncates them)")
    result = broadcast_args(shape1, shape2, out.elements)
    if result is None:
        raise ctx.unsupported(f"shapes {shape1} and {shape2} do not broadcast (TFLM's BroadcastArgs aborts)")
    copy_constant(ctx, result, out.dtype, "broadcast shape")
