"""int8 CONV_2D on FULLY_CONNECTED's SMLAD weight layout (kernel conv2d.c, tml_conv2d_s8_smlad).

Why: a convolution is a matrix product (receptive-field rows x weights), and its speed is the
cost per weight word. Stored as smlad_weights stores FC rows (groups of four rows interleaved quad
by quad, bytes 0 and 2 offset by 128: the same byte count as the weights), each weight word needs
one sign extension and serves two output pixels; the layout's per-row constant is folded into the
bias here. Single-group convolutions with at least ROW_GROUP output channels and k >= MIN_DEPTH
take this path (the kernel is exact from k = 4); the others keep tml_conv2d_s8's row-major rows.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops._requant import output_stage
from tinyml_build.runtimes.aot.ops.fully_connected import ROW_GROUP, smlad_weights
from tinyml_build.runtimes.aot.quantization import wrap_int32

# Shortest receptive field (k bytes) that takes the layout. A pass's set-up is paid per two rows of
# two pixels: at k = 8 the passes lost to the row-major kernel (person_detect's 8 -> 16 pointwise
# layer 1.52 M instructions against 1.42 M), so k = 8 has its own one-pixel path (1.25 M); at
# k = 16 the passes win (0.70 M against 0.82 M). Below 8 nothing was measured: row-major.
MIN_DEPTH = 8

# tml_conv2d_s8_smlad's work buffer (TML_CONV_WORK_BYTES, tml_kernels.h): the accumulators of two
# pixels' block of TML_REQUANT_BLOCK = 32 channels, then the forms of two pixels' rows, 16 bytes per
# input quad (4 bytes of depth), at most FORM_QUADS (TML_CONV_FORM_QUADS) quads at a time. On the
# kernel's frame they made CONV_2D the deepest stack of kws and person_detect (932 B): arena scratch
# where the arena has room for it, else the kernel's stack (the aot arena stays within TFLM's).
ACC_BYTES = 2 * 32 * 4
FORM_QUADS = 32


def work_bytes(k: int) -> int:
    """Bytes of tml_conv2d_s8_smlad's work buffer for receptive fields of k bytes (TML_CONV_WORK_BYTES)."""
    return ACC_BYTES + 16 * min(k // 4, FORM_QUADS)


def smlad_applies(out_c: int, k: int, groups: int) -> bool:
    """Whether tml_conv2d_s8_smlad runs a convolution; the others keep tml_conv2d_s8's row-major rows."""
    return groups == 1 and out_c >= ROW_GROUP and k >= MIN_DEPTH


def emit_conv2d_s8_smlad(ctx, weights: np.ndarray, g, rq, what: str, stack_col: int) -> None:
    """Emit tml_conv2d_s8_smlad from input 0 to output 0; `weights` is [out_c, k_h, k_w, in_c]."""
    out_c, k_h, k_w, filter_in_c = weights.shape
    k = k_h * k_w * filter_in_c
    layout, carried = smlad_weights(weights.reshape(out_c, k))
    bias = [wrap_int32(int(b) - int(c)) for b, c in zip(rq.bias, carried)]
    emit_conv_call(ctx, "tml_conv2d_s8_smlad", weights.shape,
                   ctx.array(layout, "int8_t", what + " in the kernel's SMLAD layout"),
                   ctx.array(bias, "int32_t", "bias with the input zero point and the layout's constant folded in"),
                   g, rq, stack_col, work=work_bytes(k))


def emit_conv_call(ctx, function: str, shape, weights_c: str, bias_c: str, g, rq, stack_col: int,
                   work: int) -> None:
    """The tml_conv_s8_params of a convolution whose weight and bias arrays are made, and the call of
    `function` (tml_conv2d_s8 or tml_conv2d_s8_smlad): two pixels' receptive fields at a time; 1x1
    unpadded convolutions read the input in place, small ones fit the kernel's stack buffer (arena
    scratch only where it does not grow the arena). work: bytes of the kernel's work buffer (its last
    argument, also placed only where the arena has room: else NULL and the kernel's stack)."""
    out_c, k_h, k_w, filter_in_c = shape
    k = k_h * k_w * filter_in_c
    direct = k_h == 1 and k_w == 1 and filter_in_c == g.in_c and not g.padded
    params = ctx.params("tml_conv_s8_params", {
        "weights": weights_c,
        "bias": bias_c,
        "out": output_stage(ctx, rq.multiplier, rq.shift, rq.output_offset, rq.act_min, rq.act_max),
        **{name: v for name, v in g.fields().items() if name not in ("k_h", "k_w")},
        "filter_in_c": filter_in_c,
        "k_h": k_h,
        "k_w": k_w,
        "input_zero_point": rq.input_zero_point,
        "direct": int(direct),
    })
    im2col = "NULL" if direct else f"(int8_t *){ctx.scratch(2 * k, optional=2 * k <= stack_col)}"
    work_c = f"(int32_t *)(void *){ctx.scratch(work, optional=True)}"
    ctx.call(function, params, ctx.input_ptr(0), ctx.output_ptr(0), im2col, work_c, kernel="conv2d")
