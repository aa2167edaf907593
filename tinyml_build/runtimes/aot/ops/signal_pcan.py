"""SignalPCAN (TFLM Signal library): per-channel amplitude normalization of uint32 filter bank channels.

The gain table must be constant and hold the 125 entries TFLM's WideDynamicFunction can index for a
32-bit noise estimate (the estimate comes from the graph at run time); snr_shift must be 0..63
(a C shift of a 64-bit value). TFLM copies the input into the output before normalizing it in
place, so both must have the same size here.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, option_in_range, signal_tensor

SNR_SHIFT = ("snr_shift", 0)  # (key, position TFLM's PcanInit reads it at)
GAIN_LUT_ENTRIES = 4 * 32 - 6 + 3  # entries 4 * bits - 6 .. + 2 for noise estimates of up to 32 bits


@register("SignalPCAN")
def lower(ctx) -> None:
    io_count(ctx, 3, 1)
    x = signal_tensor(ctx, ctx.input(0), "uint32", "input", rank=1)
    noise = signal_tensor(ctx, ctx.input(1), "uint32", "noise estimate", rank=1)
    lut = ctx.require_constant(signal_tensor(ctx, ctx.input(2), "int16", "gain table", rank=1), "gain table")
    y = signal_tensor(ctx, ctx.output(0), "uint32", "output", rank=1)
    shift = option_in_range(ctx, SNR_SHIFT[0], ctx.custom_options.int(*SNR_SHIFT), 0, 63,
                            "a C shift of a 64-bit value")
    if lut.elements < GAIN_LUT_ENTRIES:
        raise ctx.unsupported(f"gain table has {lut.elements} entries; TFLM indexes up to {GAIN_LUT_ENTRIES} for a "
                              "32-bit noise estimate and would read past it")
    if y.elements != x.elements or noise.elements < x.elements:
        raise ctx.unsupported(f"input {x.elements}, noise estimate {noise.elements} and output {y.elements} "
                              "elements: TFLM needs output == input <= noise estimate")
    if x.elements == 0:
        return
    ctx.call("tml_signal_pcan", ctx.input_ptr(0), ctx.input_ptr(1), ctx.input_ptr(2), ctx.output_ptr(0),
             str(x.elements), str(shift), kernel="signal_pcan")
    ctx.allow_in_place(y, x)
