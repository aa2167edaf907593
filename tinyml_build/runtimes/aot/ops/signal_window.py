"""SignalWindow (TFLM Signal library): int16 frames times a constant int16 window, >> shift.

TFLM's kernel (signal/micro/kernels/window.cc) walks the input in steps of the window's length;
an input whose size is not a multiple of it would make TFLM read past both tensors, so it is
refused here, as is a shift outside 0..31 (undefined in C).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, option_in_range, signal_tensor

SHIFT = ("shift", 0)  # (key, position TFLM's WindowInit reads it at)


@register("SignalWindow")
def lower(ctx) -> None:
    io_count(ctx, 2, 1)
    x = signal_tensor(ctx, ctx.input(0), "int16", "input")
    weights = ctx.require_constant(signal_tensor(ctx, ctx.input(1), "int16", "window weights", rank=1), "window")
    y = signal_tensor(ctx, ctx.output(0), "int16", "output", rank=len(x.shape))
    if len(x.shape) < 1:
        raise ctx.unsupported("input is a scalar; TFLM's kernel needs rank >= 1")
    shift = option_in_range(ctx, SHIFT[0], ctx.custom_options.int(*SHIFT), 0, 31, "a C shift of a 32-bit value")
    size = weights.shape[0]
    if size == 0 or x.elements % size or y.elements != x.elements:
        raise ctx.unsupported(f"input of {x.elements} and output of {y.elements} elements are not whole frames of "
                              f"the {size}-sample window (TFLM would read past them)")
    if x.elements == 0:
        return
    ctx.call("tml_signal_window_s16", ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             str(x.elements // size), str(size), str(shift), kernel="signal_window")
    ctx.allow_in_place(y, x)
