"""PAD and PADV2 for int8, int16, int32 and float32 (a byte copy with fills).

Mirrors TFLM's PadPrepare/PadEval: paddings must be constant; the pad value is the
constant_values input when given, else the output zero point for int8 and 0 otherwise.
The shape is extended to 5-D (TFLM's maximum) and unpadded inner dimensions are merged into
their neighbour, so the kernel copies whole contiguous rows.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register

MAX_RANK = 5
ELEMENT_BYTES = {"int8": 1, "int16": 2, "int32": 4, "float32": 4}


@register("PAD", "PADV2")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(ELEMENT_BYTES), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    paddings = ctx.require_dtype(ctx.input(1), ("int32",), "paddings")
    if not paddings.is_constant:
        raise ctx.unsupported(f"paddings tensor #{paddings.index} '{paddings.name}' is not constant (TFLM requires it)")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise ctx.unsupported(f"input has rank {rank}; TFLM's PAD supports at most {MAX_RANK}")
    pads = paddings.array().reshape(-1).astype(np.int64)
    if pads.size != 2 * len(y.shape) or len(y.shape) != rank:
        raise ctx.unsupported(f"paddings has {pads.size} values for a rank-{rank} input")
    pads = pads.reshape(rank, 2)
    if (pads < 0).any():
        raise ctx.unsupported("negative paddings are not supported (TFLM produces a shape mismatch)")
    expected = tuple(int(d + p[0] + p[1]) for d, p in zip(x.shape, pads))
    if expected != tuple(y.shape):
        raise ctx.unsupported(f"output shape {list(y.shape)} does not match input {list(x.shape)} "
                              f"plus paddings ({list(expected)})")
    value = _pad_value(ctx, x, y)
    if y.elements == 0:
        return
    dims = _collapse([(int(d), int(p[0]), int(p[1])) for d, p in zip(x.shape, pads)])
    fields = _kernel_fields(dims, ELEMENT_BYTES[x.dtype], value)
    ctx.call("tml_pad", ctx.params("tml_pad_params", fields), ctx.input_ptr(0), ctx.output_ptr(0), kernel="pad")


def _pad_value(ctx, x, y) -> int:
    """The fill value as an int32 bit pattern of one element."""
    constant = ctx.input(2) if ctx.name == "PADV2" else None
    if constant is not None:
        ctx.require_dtype(constant, (x.dtype,), "constant_values")
        if not constant.is_constant or constant.elements != 1:
            raise ctx.unsupported("constant_values must be a constant scalar")
        if x.dtype == "int8" and ctx.quantization(constant) != ctx.quantization(y):
            raise ctx.unsupported("constant_values must have the output's quantization (TFLM requires it)")
        raw = constant.array().reshape(-1)[:1]
    elif x.dtype == "int8":
        raw = np.array([ctx.quantization(y)[1]], dtype=np.int8)
    else:
        raw = np.zeros(1, dtype=np.float32 if x.dtype == "float32" else np.int32)
    bits = raw.view({1: np.int8, 2: np.int16, 4: np.int32}[raw.dtype.itemsize])
    return int(bits[0])


def _collapse(dims):
    """Merge each unpadded dimension into its outer neighbour: [(in, before, after)], rank <= 5 -> 5."""
    merged = [list(dims[0])]
    for size, before, after in dims[1:]:
        if before == 0 and after == 0:
            outer = merged[-1]
            merged[-1] = [outer[0] * size, outer[1] * size, outer[2] * size]
        else:
            merged.append([size, before, after])
    return [[1, 0, 0]] * (MAX_RANK - len(merged)) + merged


def _kernel_fields(dims, elem_bytes: int, value: int) -> dict:
    """Fill counts per level in elements: padding rows times the output slice below that level."""
    out_sizes = [size + before + after for size, before, after in dims]
    before, after = [], []
    for d, (_, b, a) in enumerate(dims):
        slice_elements = int(np.prod(out_sizes[d + 1:], dtype=np.int64))
        before.append(b * slice_elements)
        after.append(a * slice_elements)
    return {"elem_bytes": elem_bytes, "value": value, "in_dims": [d[0] for d in dims], "before": before, "after": after}
