"""SignalDelay (int16): each channel delayed by delay_length samples, TFLM's
signal/micro/kernels/delay.cc. State: the last delay_length samples of each channel (zeros after
init(), as TFLM's Prepare writes delay_length zeros into its circular buffers).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import channels, int_option, require_shape

KERNEL = "signal_delay"


@register("SignalDelay")
def lower(ctx) -> None:
    io_count(ctx, 1, 1)
    delay = int_option(ctx, "delay_length", 0, 0)
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    outer, frame = channels(ctx, x, "input")
    require_shape(ctx, y, x.shape, "output")
    line = ctx.state("int16_t", outer * delay, f"the last {delay} samples of each channel") if delay else None
    params = ctx.params("tml_signal_delay_params", {"outer": outer, "frame": frame, "delay": delay, "line": line})
    ctx.on_init("tml_signal_delay_reset", params, kernel=KERNEL)
    ctx.call("tml_signal_delay", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel=KERNEL)
