"""GATHER_ND: slices of params addressed by index tuples (kernels/gather.c: tml_gather_nd).

Types and checks are the pinned TFLM's (kernels/gather_nd.cc): params float32 or int8, indices
int32, params and indices at least rank 1, index depth (indices' last dimension) at most
params' rank and at most 5. The output shape is indices.shape[:-1] + params.shape[depth:].
TFLM checks only each tuple's flat start position (not every coordinate): the kernel does the
same and invoke() fails where TFLM's Eval fails. Constant indices are checked here instead and
the op refused when TFLM would fail on them. No requantization (bytes copied).
"""

import math

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, refuse_empty, row_major_strides

MAX_INDEX_DEPTH = 5  # MAX_INDICES_ND in gather_nd.cc


def flat_starts(index_array, dim_elements) -> np.ndarray:
    """Each index tuple's start element, as TFLM's GatherNd computes from_pos."""
    tuples = np.asarray(index_array, dtype=np.int64).reshape(-1, len(dim_elements))
    return tuples @ np.asarray(dim_elements, dtype=np.int64)


@register("GATHER_ND")
def lower(ctx) -> None:
    refuse_empty(ctx)
    params = ctx.require_dtype(ctx.input(0), ("float32", "int8"), "params")
    indices = ctx.require_dtype(ctx.input(1), ("int32",), "indices")
    out = ctx.require_dtype(ctx.output(0), (params.dtype,), "output")
    rank, index_rank = len(params.shape), len(indices.shape)
    if rank < 1 or index_rank < 1:
        raise ctx.unsupported("params and indices must be at least vectors (TFLM's Prepare)")
    depth = int(indices.shape[-1])
    if depth > rank or depth > MAX_INDEX_DEPTH:
        raise ctx.unsupported(f"index depth {depth} exceeds params' rank {rank} or TFLM's {MAX_INDEX_DEPTH}")
    expected = list(indices.shape[:-1]) + list(params.shape[depth:])
    if list(out.shape) != expected:
        raise ctx.unsupported(f"output shape {list(out.shape)} is not the gathered shape {expected}")
    dim_elements = row_major_strides(params.shape)[:depth]
    slice_elements = math.prod(params.shape[depth:])
    if indices.is_constant and depth:  # depth 0: every slice is all of params
        starts = flat_starts(indices.array(), dim_elements)
        bad = starts[(starts < 0) | (starts + slice_elements > params.elements)]
        if bad.size:
            raise ctx.unsupported(f"a constant index tuple starts at element {int(bad[0])}, outside params' "
                                  f"{params.elements} (TFLM's Eval fails)", fix="fix the model's indices")
    fields = {"slices": math.prod(indices.shape[:-1]), "index_depth": depth, "slice_elements": slice_elements,
              "params_elements": params.elements, "elem_bytes": ELEMENT_BYTES[params.dtype],
              "dim_elements": dim_elements + [0] * (MAX_INDEX_DEPTH - depth)}
    ctx.call("tml_gather_nd", ctx.params("tml_gather_nd_params", fields), ctx.input_ptr(0), ctx.input_ptr(1),
             ctx.output_ptr(0), kernel="gather", checked=not indices.is_constant)
