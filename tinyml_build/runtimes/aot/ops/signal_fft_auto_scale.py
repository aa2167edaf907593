"""SignalFftAutoScale (TFLM Signal library): shift int16 samples up to use the full range before an FFT.

Two outputs: the scaled samples and the shift (an int32 scalar). TFLM's kernel takes the sample
count from the output; an input of another size is refused.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, signal_tensor


@register("SignalFftAutoScale")
def lower(ctx) -> None:
    io_count(ctx, 1, 2)
    x = signal_tensor(ctx, ctx.input(0), "int16", "input", rank=1)
    y = signal_tensor(ctx, ctx.output(0), "int16", "output", rank=1)
    signal_tensor(ctx, ctx.output(1), "int32", "scale bits output", rank=0)
    if y.elements != x.elements:
        raise ctx.unsupported(f"output has {y.elements} samples, input {x.elements} (TFLM reads as many input "
                              "samples as the output has)")
    ctx.call("tml_signal_fft_auto_scale", ctx.input_ptr(0), ctx.output_ptr(0), ctx.output_ptr(1), str(x.elements),
             kernel="signal_fft_auto_scale")
