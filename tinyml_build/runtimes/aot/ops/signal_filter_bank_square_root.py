"""SignalFilterBankSquareRoot (TFLM Signal library): rounded sqrt of uint64 channel sums >> scale_bits.

scale_bits is an int32 scalar input that TFLM reads at every Eval. A constant one is checked at
build time (a shift of 32 or more is undefined in C: refused); a computed one (TFLM's own audio
preprocessor feeds SignalFftAutoScale's shift) is read at run time like TFLM, and the kernel fails
the invoke (TML_ERROR) when it is outside 0..31 instead of shifting by it.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, signal_tensor


@register("SignalFilterBankSquareRoot")
def lower(ctx) -> None:
    io_count(ctx, 2, 1)
    x = signal_tensor(ctx, ctx.input(0), "uint64", "input", rank=1)
    bits_tensor = signal_tensor(ctx, ctx.input(1), "int32", "scale bits", rank=0)
    y = signal_tensor(ctx, ctx.output(0), "uint32", "output", rank=1)
    if bits_tensor.is_constant:
        scale_bits = int(bits_tensor.array().reshape(-1)[0])
        if not 0 <= scale_bits <= 31:
            raise ctx.unsupported(f"scale bits {scale_bits} are outside 0..31 (a C shift of a 32-bit value)")
    if y.elements != x.elements:
        raise ctx.unsupported(f"output has {y.elements} elements, input {x.elements} (TFLM writes one per input)")
    if x.elements == 0:
        return
    if bits_tensor.is_constant:
        ctx.call("tml_signal_filter_bank_sqrt", ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements),
                 str(scale_bits), kernel="signal_filter_bank_square_root")
    else:
        ctx.call("tml_signal_filter_bank_sqrt_run_time_bits", ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements),
                 ctx.input_ptr(1), kernel="signal_filter_bank_square_root", checked=True)
