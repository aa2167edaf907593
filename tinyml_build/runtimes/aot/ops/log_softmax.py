"""LOG_SOFTMAX over the last dimension: int8 (kernels/log_softmax.c) and float32
(kernels/log_softmax_f32.c, libm), as TFLM's micro kernel.

int8 needs the output quantization TFLM requires (scale 16/256, zero point 127). Prepare's numbers
are TFLM's PreprocessLogSoftmaxScalingExp (beta 1, 5 integer bits for the scaled diff): the input
multiplier and left shift, the reverse-scaling multiplier, diff_min = -CalculateInputRadius. The
exponentials of the 256 possible diffs are a build-time table in Q12 (gemmlowp's exp_on_negative_values,
as the softmax table); the row's log runs in the kernel.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._unary import same_shape_io
from tinyml_build.runtimes.aot.quantization import (
    calculate_input_radius,
    exp_on_negative_values,
    mbqm,
    preprocess_softmax_scaling,
    quantize_multiplier,
    rdbpot,
)

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12
OUTPUT_SCALE, OUTPUT_ZERO_POINT = 16.0 / 256, 127


def log_softmax_s8_fields(input_scale: float) -> dict:
    """TFLM's int8 LogSoftmax Prepare (log_softmax.cc CalculateOpData) and the exp table."""
    multiplier, left_shift = preprocess_softmax_scaling(1.0, input_scale, SCALED_DIFF_INTEGER_BITS)
    reverse_multiplier, reverse_shift = quantize_multiplier((1 << (31 - left_shift)) / float(multiplier))
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    table = []
    for d in range(256):
        if -d < diff_min:
            table.append(0)
            continue
        scaled = mbqm(-d, multiplier, left_shift)
        table.append(rdbpot(exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS), ACCUMULATION_INTEGER_BITS))
    return {"input_multiplier": multiplier, "input_left_shift": left_shift, "reverse_multiplier": reverse_multiplier,
            "reverse_shift": reverse_shift, "diff_min": diff_min, "table": table}


@register("LOG_SOFTMAX")
def lower(ctx) -> None:
    x, y = same_shape_io(ctx, ("float32", "int8"))
    if list(x.shape) != list(y.shape) or not x.shape:
        raise ctx.unsupported(f"input shape {list(x.shape)} and output shape {list(y.shape)} must be equal, rank >= 1")
    depth = x.shape[-1]
    if x.dtype == "int8":
        out_scale, out_zp = ctx.quantization(y)
        if (out_scale, out_zp) != (OUTPUT_SCALE, OUTPUT_ZERO_POINT):
            raise ctx.unsupported(f"int8 output quantization ({out_scale:g}, {out_zp}) is not TFLM's required "
                                  f"({OUTPUT_SCALE:g}, {OUTPUT_ZERO_POINT})")
        try:
            fields = log_softmax_s8_fields(ctx.quantization(x)[0])
        except ValueError as error:
            raise ctx.unsupported(str(error)) from None
    if x.elements == 0:
        return
    if x.dtype == "float32":
        params = ctx.params("tml_log_softmax_params", {"rows": x.elements // depth, "depth": depth})
        ctx.call("tml_log_softmax_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="log_softmax_f32")
        return
    table = ctx.array(fields.pop("table"), "int32_t", "exp of each row diff, Q12")
    params = ctx.params("tml_log_softmax_s8_params", {"exp_table": table, "rows": x.elements // depth,
                                                      "depth": depth, **fields})
    ctx.call("tml_log_softmax_s8", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="log_softmax")
