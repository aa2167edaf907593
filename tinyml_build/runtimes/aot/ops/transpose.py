"""TRANSPOSE for int8, int16 and float32 (TFLM micro's types), rank 1..5: a strided gather.

TFLM's Prepare requires a constant int32 `perm` of the input's rank with entries in
[0, rank) and equal input/output types; it copies bytes, so quantization parameters are not
looked at (a model whose output scale differs gets the same bytes as in TFLM). The output is
written in order; output dimension d reads the input with the stride of dimension perm[d].
Output dimensions that stay adjacent in the input merge, so e.g. NCHW -> NHWC is three
loops and an identity permutation is one memcpy.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import constant_ints, emit_gather, refuse_empty, row_major_strides

TYPES = ("int8", "int16", "float32")
MAX_RANK = 5  # TFLM: "Transpose op only supports 1D-5D input arrays."


@register("TRANSPOSE")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), TYPES, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    rank = len(x.shape)
    if not 1 <= rank <= MAX_RANK:
        raise ctx.unsupported(f"input has rank {rank}; TFLM's TRANSPOSE supports 1 to {MAX_RANK}")
    perm = constant_ints(ctx, ctx.input(1), "perm")
    if len(perm) != rank:
        raise ctx.unsupported(f"perm has {len(perm)} entries for a rank-{rank} input")
    if sorted(perm) != list(range(rank)):
        raise ctx.unsupported(f"perm {perm} is not a permutation of 0..{rank - 1}")
    expected = [x.shape[p] for p in perm]
    if list(y.shape) != expected:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not the permuted input shape {expected}")
    strides = row_major_strides(x.shape)
    loops = [(y.shape[d], strides[perm[d]]) for d in range(rank)]
    emit_gather(ctx, x.dtype, 0, loops, ctx.input_ptr(0), ctx.output_ptr(0))
