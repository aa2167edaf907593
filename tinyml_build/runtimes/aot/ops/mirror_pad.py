"""MIRROR_PAD (REFLECT / SYMMETRIC) for int8 and float32 (kernels/mirror_pad.c).

Types are the pinned TFLM's (kernels/mirror_pad.cc Eval: float32, int8); padding is an
int32/int64 [rank, 2] matrix. TFLM maps each output coordinate with GetInputDimension (offset
1 for REFLECT, 0 for SYMMETRIC); `source_index` is the same function, evaluated here once per
output coordinate into per-dimension offset tables. The paddings must be constant (the
tables are built at build time; converters emit them as constants). Refused: paddings that
make TFLM read outside the input (e.g. REFLECT padding >= the dimension), an output shape
other than input + paddings, rank above 5. Bytes are copied (no requantization).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, constant_ints, refuse_empty, row_major_strides

LOOPS = 5
REFLECT = 0  # MirrorPadMode.REFLECT in the schema; SYMMETRIC is 1


def source_index(i: int, left: int, size: int, offset: int) -> int:
    """TFLM's GetInputDimension: the input coordinate output coordinate `i` copies."""
    if i < left:
        original = left + offset - 1
        return original - min(i, original - offset)
    i -= left
    if i >= size:
        i -= size
        original = size - (1 + offset)
        return original - min(i, original)
    return i


@register("MIRROR_PAD")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), ("int8", "float32"), "input")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    rank = len(x.shape)
    paddings_tensor = ctx.require_dtype(ctx.input(1), ("int32", "int64"), "paddings")
    if list(paddings_tensor.shape) != [rank, 2]:
        raise ctx.unsupported(f"paddings shape {list(paddings_tensor.shape)}, TFLM requires [{rank}, 2]")
    if rank > LOOPS:
        raise ctx.unsupported(f"rank {rank} is above the kernel's {LOOPS}")
    pads = constant_ints(ctx, paddings_tensor, "paddings", ("int32", "int64"))
    offset = 1 if int(ctx.options.get("mode", REFLECT)) == REFLECT else 0
    strides = row_major_strides(x.shape)
    tables = []
    for d, size in enumerate(x.shape):
        left, right = pads[2 * d], pads[2 * d + 1]
        if left < 0 or right < 0 or out.shape[d] != left + size + right:
            raise ctx.unsupported(f"dimension {d}: paddings ({left}, {right}) around {size} do not give the "
                                  f"output's {out.shape[d]}")
        index = [source_index(i, left, size, offset) for i in range(out.shape[d])]
        if any(not 0 <= s < size for s in index):
            raise ctx.unsupported(f"dimension {d}: paddings ({left}, {right}) are too large for size {size} in "
                                  f"{'REFLECT' if offset else 'SYMMETRIC'} mode (TFLM reads outside the input)")
        tables.append([s * strides[d] for s in index])
    tables = [[0]] * (LOOPS - rank) + tables
    params = ctx.params("tml_mirror_pad_params", {
        "elem_bytes": ELEMENT_BYTES[x.dtype],
        "count": [len(t) for t in tables],
        "offset": [ctx.array(t, "int32_t", f"input offsets along output dimension {d}")
                   for d, t in enumerate(tables)],
    })
    ctx.call("tml_mirror_pad", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="mirror_pad")
