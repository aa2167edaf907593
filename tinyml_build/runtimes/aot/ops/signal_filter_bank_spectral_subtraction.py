"""SignalFilterBankSpectralSubtraction (uint32): noise reduction of filter bank energies, TFLM's
signal/micro/kernels/filter_bank_spectral_subtraction.cc. State: the per-channel noise estimate
(zeros after init(), as TFLM's Prepare leaves it); the op also outputs it.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import int_option, require_shape

KERNEL = "signal_filter_bank_spectral_subtraction"
# Options TFLM reads as int32 (by position in the sorted map) and keeps as uint32 (a negative value wraps).
COEFFICIENTS = {"alternate_one_minus_smoothing": 0, "alternate_smoothing": 1, "min_signal_remaining": 3,
                "one_minus_smoothing": 5, "smoothing": 6}


@register("SignalFilterBankSpectralSubtraction")
def lower(ctx) -> None:
    io_count(ctx, 1, 2)
    num = int_option(ctx, "num_channels", 4, 1)
    coefficients = {key: f"{ctx.custom_options.int(key, position) & 0xFFFFFFFF}u"
                    for key, position in COEFFICIENTS.items()}
    smoothing_bits = int_option(ctx, "smoothing_bits", 7, 0, 31, "a shift of a 32-bit value")
    subtraction_bits = int_option(ctx, "spectral_subtraction_bits", 8, 0, 63, "a shift of a 64-bit value")
    clamping = ctx.custom_options.bool("clamping", 2)
    for role, tensor in (("input", ctx.input(0)), ("output", ctx.output(0)), ("noise_estimate", ctx.output(1))):
        ctx.require_dtype(tensor, ("uint32",), role)
        require_shape(ctx, tensor, (num,), role)
    params = ctx.params("tml_signal_spectral_subtraction_params", {
        "channels": num, **coefficients, "smoothing_bits": smoothing_bits,
        "spectral_subtraction_bits": subtraction_bits, "clamping": int(clamping),
        "noise": ctx.state("uint32_t", num, "noise estimate per channel"),
    })
    ctx.on_init("tml_signal_spectral_subtraction_reset", params, kernel=KERNEL)
    ctx.call("tml_signal_spectral_subtraction", params, ctx.input_ptr(0), ctx.output_ptr(0), ctx.output_ptr(1),
             kernel=KERNEL)
