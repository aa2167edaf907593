"""BATCH_MATMUL for int8, int16 and float32 (TFLM micro's types): kernels/batch_matmul.c.

TFLM (micro/kernels/batch_matmul.cc, reference_ops::BatchMatMul): ranks 2..5, equal types for
A (lhs), B (rhs) and output, batch dimensions broadcast numpy-style (a 1 against anything),
adj_x / adj_y transpose the last two dimensions of A / B. It transposes into persistent copies
and flattens batch dimensions where it can; neither changes which products are summed or their
order (k ascending from 0), so aot reads A and B in place with steps and a per-output-matrix
table of start offsets. Quantized: per-tensor scales only, multiplier QuantizeMultiplier(
float32(sa * sb) / so) (GetQuantizedConvolutionMultipler), no fused activation (full type range);
int16 needs all zero points 0 (TFLM's Prepare). B may be a constant or an activation.
"""

import itertools

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import i64_requant_problem, per_tensor_fc_multiplier

SUFFIX = {"int8": "s8", "int16": "s16", "float32": "f32"}


@register("BATCH_MATMUL")
def lower(ctx) -> None:
    a = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "lhs")
    b = ctx.require_dtype(ctx.input(1), (a.dtype,), "rhs")
    y = ctx.require_dtype(ctx.output(0), (a.dtype,), "output")
    for t, role in ((a, "lhs"), (b, "rhs")):
        if not 2 <= len(t.shape) <= 5:
            raise ctx.unsupported(f"{role} has rank {len(t.shape)}; TFLM's BATCH_MATMUL supports 2 to 5")
    adj_x = bool(ctx.options.get("adj_x", False))
    adj_y = bool(ctx.options.get("adj_y", False))
    rank = max(len(a.shape), len(b.shape))
    a_shape = [1] * (rank - len(a.shape)) + list(a.shape)
    b_shape = [1] * (rank - len(b.shape)) + list(b.shape)
    a_rows, a_cols = a_shape[-2:]
    b_rows, b_cols = b_shape[-2:]
    rows, depth = (a_cols, a_rows) if adj_x else (a_rows, a_cols)
    b_depth, cols = (b_cols, b_rows) if adj_y else (b_rows, b_cols)
    if depth != b_depth:
        raise ctx.unsupported(f"lhs {list(a.shape)} and rhs {list(b.shape)} (adj_x={adj_x}, adj_y={adj_y}) "
                              f"have different depths {depth} and {b_depth}")
    batch = []
    for da, db in zip(a_shape[:-2], b_shape[:-2]):
        if da != db and 1 not in (da, db):
            raise ctx.unsupported(f"batch dimensions of {list(a.shape)} and {list(b.shape)} do not broadcast")
        batch.append(max(da, db))
    if list(y.shape) != batch + [rows, cols]:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not {batch + [rows, cols]}")
    if y.elements == 0:
        raise ctx.unsupported("empty tensors")

    a_offsets, b_offsets = [], []
    a_strides = _batch_strides(a_shape)
    b_strides = _batch_strides(b_shape)
    for index in itertools.product(*[range(n) for n in batch]):
        a_offsets.append(sum(i * s for i, s, d in zip(index, a_strides, a_shape) if d != 1))
        b_offsets.append(sum(i * s for i, s, d in zip(index, b_strides, b_shape) if d != 1))
    fields = {
        "batches": len(a_offsets),
        "a_offsets": ctx.array(np.array(a_offsets, np.int32), "int32_t", "lhs matrix offsets"),
        "b_offsets": ctx.array(np.array(b_offsets, np.int32), "int32_t", "rhs matrix offsets"),
        "rows": rows, "cols": cols, "depth": depth,
        "a_row_step": 1 if adj_x else a_cols, "a_k_step": a_cols if adj_x else 1,
        "b_k_step": 1 if adj_y else b_cols, "b_col_step": b_cols if adj_y else 1,
    }
    if a.dtype != "float32":
        (sa, za), (sb, zb), (so, zo) = (ctx.quantization(t) for t in (a, b, y))
        if a.dtype == "int16" and (za, zb, zo) != (0, 0, 0):
            raise ctx.unsupported(f"int16 zero points {za}, {zb}, {zo} are not all 0 (TFLM requires it)")
        multiplier, shift = per_tensor_fc_multiplier(sa, sb, so)
        if a.dtype == "int16" and i64_requant_problem([shift]):
            raise ctx.unsupported(i64_requant_problem([shift]))
        fields.update({"a_offset": -za, "b_offset": -zb, "output_offset": zo,
                       "multiplier": multiplier, "shift": shift})
    params = ctx.params("tml_batch_matmul_params", fields)
    ctx.call(f"tml_batch_matmul_{SUFFIX[a.dtype]}", params, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             kernel="batch_matmul")


def _batch_strides(shape) -> list[int]:
    """Element stride of each batch dimension (all but the last two) of a row-major tensor."""
    strides, step = [], shape[-2] * shape[-1]
    for d in reversed(shape[:-2]):
        strides.append(step)
        step *= d
    return strides[::-1]
