"""SignalFilterBankLog (TFLM Signal library): scaled natural log of uint32 channels into int16.

TFLM's Log32 (signal/src/log.cc) corrects its linear log2 mantissa with a 130-entry table,
round(2^16 * (log2(1 + i/128) - i/128)) for i = 0..128 and a trailing 0; `log_lut` computes it
(tests compare it with the pinned TFLM's table) and the model's C carries it as a constant.
"""

import functools
import math

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, option_in_range, signal_tensor

CORRECTION_BITS, OUTPUT_SCALE = ("input_correction_bits", 0), ("output_scale", 1)  # TFLM's read positions
LOG_SEGMENTS = 128


@functools.cache
def log_lut() -> tuple[int, ...]:
    """Q16 correction log2(1 + f) - f at the 129 segment ends, then TFLM's trailing 0 (never read)."""
    return tuple(round(65536 * (math.log2(1 + i / LOG_SEGMENTS) - i / LOG_SEGMENTS))
                 for i in range(LOG_SEGMENTS + 1)) + (0,)


@register("SignalFilterBankLog")
def lower(ctx) -> None:
    io_count(ctx, 1, 1)
    x = signal_tensor(ctx, ctx.input(0), "uint32", "input", rank=1)
    y = signal_tensor(ctx, ctx.output(0), "int16", "output", rank=1)
    bits = option_in_range(ctx, CORRECTION_BITS[0], ctx.custom_options.int(*CORRECTION_BITS), 0, 31,
                           "a C shift of a 32-bit value")
    scale = ctx.custom_options.int(*OUTPUT_SCALE)
    if y.elements != x.elements:
        raise ctx.unsupported(f"output has {y.elements} elements, input {x.elements} (TFLM writes one per input)")
    if x.elements == 0:
        return
    ctx.call("tml_signal_filter_bank_log", ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements),
             f"{scale & 0xFFFFFFFF}u", str(bits), ctx.array(log_lut(), "uint16_t", "log2 correction table"),
             kernel="signal_filter_bank_log")
