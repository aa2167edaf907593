"""SignalStacker (int16): left + 1 + right context frames stacked every stacker_step frames, TFLM's
signal/micro/kernels/stacker.cc. State: a FIFO of the stacked size and whether the first frame
(replicated as left context) has been seen, reset by init() as TFLM's Init leaves them.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import int_option, require_shape, valid_flag

KERNEL = "signal_stacker"


@register("SignalStacker")
def lower(ctx) -> None:
    io_count(ctx, 1, 2)
    num = int_option(ctx, "num_channels", 0, 1)
    left = int_option(ctx, "stacker_left_context", 1, 0)
    right = int_option(ctx, "stacker_right_context", 2, 0)
    frames = left + right + 1
    step = int_option(ctx, "stacker_step", 3, 1, frames,
                      "TFLM's circular buffer asserts on discarding none or more frames than it stacks")
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    valid = valid_flag(ctx, 1)
    require_shape(ctx, x, (num,), "input")
    require_shape(ctx, y, (num * frames,), "output")
    params = ctx.params("tml_signal_stacker_params", {
        "channels": num, "size": num * frames, "step": num * step, "left_context": left,
        "cursor": ctx.state("int32_t", 3, "FIFO read position, fill, first frame seen"),
        "samples": ctx.state("int16_t", 2 * num * frames, f"FIFO of {frames} frames, mirrored"),
    })
    ctx.on_init("tml_signal_stacker_reset", params, kernel=KERNEL)
    ctx.call("tml_signal_stacker", params, ctx.input_ptr(0), ctx.output_ptr(0), ctx.ptr(valid, const=False),
             kernel=KERNEL)
