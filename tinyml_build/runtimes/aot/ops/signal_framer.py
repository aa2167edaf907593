"""SignalFramer (int16): overlapping frames of an audio stream, TFLM's signal/micro/kernels/framer.cc.

State: per channel a FIFO of `capacity` samples (frame_size rounded up to a multiple of frame_step,
TFLM's capacity) in the model's static state; init() prefills it with frame_size - frame_step
zeros when `prefill` is set, as TFLM's Prepare does.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import channels, int_option, require_shape, valid_flag

KERNEL = "signal_framer"


@register("SignalFramer")
def lower(ctx) -> None:
    io_count(ctx, 1, 2)
    size = int_option(ctx, "frame_size", 0, 1)
    step = int_option(ctx, "frame_step", 1, 1)
    prefill = ctx.custom_options.bool("prefill", 2)
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    valid = valid_flag(ctx, 1)
    outer, inner = channels(ctx, x, "input")
    if inner < step or inner % step:
        raise ctx.unsupported(f"the innermost input dimension ({inner}) is not a multiple of frame_step {step} "
                              "(TFLM's Prepare requires it)")
    if prefill and size < step:
        raise ctx.unsupported(f"prefill with frame_size {size} < frame_step {step}: TFLM's reset would write a "
                              "negative number of zeros", fix="set prefill false or frame_size >= frame_step")
    frames = inner // step
    require_shape(ctx, y, (*x.shape[:-1], frames, size), "output")
    capacity = -(-size // step) * step
    params = ctx.params("tml_signal_framer_params", {
        "outer": outer, "frames": frames, "frame_size": size, "frame_step": step, "capacity": capacity,
        "prefill": size - step if prefill else 0,
        "cursors": ctx.state("int32_t", 2 * outer, "FIFO read positions and fill"),
        "samples": ctx.state("int16_t", 2 * capacity * outer, f"FIFO of {capacity} samples per channel, mirrored"),
    })
    ctx.on_init("tml_signal_framer_reset", params, kernel=KERNEL)
    ctx.call("tml_signal_framer", params, ctx.input_ptr(0), ctx.output_ptr(0), ctx.ptr(valid, const=False),
             kernel=KERNEL)
