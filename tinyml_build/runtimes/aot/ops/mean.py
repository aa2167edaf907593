"""MEAN for int8 and int16 over constant axes; float32 in kernels/mean_f32.c (lower_mean_f32).

Mirrors TFLM's QuantizedMeanOrSum: int32 sums, then one rescale by
QuantizeMultiplier(in_scale / out_scale) with 1 / (number of reduced elements) folded into
the multiplier exactly as TFLM folds it (integer division of the multiplier shifted left).
The input shape is collapsed into kept loops (one output each) and reduced loops (summed).
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

MAX_LOOPS = 4  # TML_MEAN_MAX_LOOPS
SUFFIX = {"int8": "s8", "int16": "s16"}


@register("MEAN")
def lower(ctx) -> None:
    if ctx.lower_by_input_type({"float32": lower_mean_f32}, here=tuple(SUFFIX)):
        return
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    count, loops = reduction_loops(ctx, x, y)
    multiplier, shift = mean_multiplier(in_scale, out_scale, count)
    params = ctx.params("tml_mean_params", {
        **loops, "input_zero_point_sum": in_zp * count, "output_zero_point": out_zp,
        "multiplier": multiplier, "shift": shift,
    })
    ctx.call(f"tml_mean_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="mean")


def lower_mean_f32(ctx) -> None:
    """float32 as TFLM's reference_ops::Mean: the float sum in input order divided by the reduced
    element count (its 4-D H,W special case adds in the same order and divides by the same count)."""
    x = ctx.input(0)
    y = ctx.require_dtype(ctx.output(0), ("float32",), "output")
    count, loops = reduction_loops(ctx, x, y)
    params = ctx.params("tml_mean_params", loops)
    ctx.call("tml_mean_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), str(count), kernel="mean_f32")


def reduction_loops(ctx, x, y) -> tuple[int, dict]:
    """(reduced element count, tml_mean_params loop fields) for reducing x into y over the
    constant int32 axes of input 1 (negative axes count from the end, repeats allowed)."""
    axis_tensor = ctx.require_dtype(ctx.input(1), ("int32",), "axis")
    ctx.require_constant(axis_tensor, "axis")
    rank = len(x.shape)
    axes = set()
    for a in axis_tensor.array().reshape(-1):
        a = int(a)
        if not -rank <= a < rank:
            raise ctx.unsupported(f"axis {a} is out of range for rank {rank}")
        axes.add(a + rank if a < 0 else a)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if count == 0 or y.elements != x.elements // count:
        raise ctx.unsupported(f"output shape {list(y.shape)} does not match reducing {list(x.shape)} "
                              f"over {sorted(axes)}")
    kept, reduced = _loops(x.shape, axes)
    if len(kept) > MAX_LOOPS or len(reduced) > MAX_LOOPS:
        raise ctx.unsupported(f"reducing {list(x.shape)} over {sorted(axes)} needs more than {MAX_LOOPS} loops")
    pad = lambda loops: [list(v) + [0] * (MAX_LOOPS - len(v)) for v in zip(*loops)]  # noqa: E731
    kept_count, kept_step = pad(kept)
    reduced_count, reduced_step = pad(reduced)
    return count, {"kept_loops": len(kept), "kept_count": kept_count, "kept_step": kept_step,
                   "reduced_loops": len(reduced), "reduced_count": reduced_count, "reduced_step": reduced_step}


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """QuantizeMultiplier(in/out), then TFLM's folding of 1/count into it."""
    multiplier, shift = quantize_multiplier(float(in_scale) / float(out_scale))
    fold = count.bit_length() - 1  # 63 - CountLeadingZeros(count)
    fold = min(fold, 32, 31 + shift)
    return int((multiplier << fold) // count), shift - fold


def _loops(shape, axes) -> tuple[list, list]:
    """(kept, reduced) loops as [(count, element step)], outermost first, merging neighbours of a kind."""
    kept, reduced = [], []
    last_kind = None
    stride = 1
    entries = []
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] != 1:
            entries.append((d in axes, shape[d], stride))
        stride *= shape[d]
    for is_reduced, size, step in reversed(entries):
        target = reduced if is_reduced else kept
        if last_kind is is_reduced and target:
            count, inner_step = target[-1]
            target[-1] = (count * size, step)  # the outer neighbour continues linearly into this one
        else:
            target.append((size, step))
        last_kind = is_reduced
    return kept or [(1, 0)], reduced or [(1, 0)]
