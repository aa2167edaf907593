"""SignalFilterBank (TFLM Signal library): mel-style triangular filters over a uint32 spectrum.

The weights, unweights and the three channel tables (frequency starts, weight starts, widths;
num_channels + 1 entries each, channel 0 only feeding channel 1) must be constant, as the
front-end generator writes them. TFLM's kernel (signal/micro/kernels/filter_bank.cc) indexes them
unchecked; every index a channel reads is checked here. Channels of width <= 0 read nothing in
TFLM; their starts are emitted as 0 so the C never forms a pointer outside the tensors.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, signal_tensor

NUM_CHANNELS = ("num_channels", 0)  # (key, position TFLM's FilterBankInit reads it at)
TABLES = ("weights", "unweights", "channel frequency starts", "channel weight starts", "channel widths")


@register("SignalFilterBank")
def lower(ctx) -> None:
    io_count(ctx, 6, 1)
    x = signal_tensor(ctx, ctx.input(0), "uint32", "input", rank=1)
    weights, unweights, freq_starts, weight_starts, widths = (
        ctx.require_constant(signal_tensor(ctx, ctx.input(n + 1), "int16", role, rank=1), role)
        for n, role in enumerate(TABLES))
    y = signal_tensor(ctx, ctx.output(0), "uint64", "output", rank=1)
    channels = ctx.custom_options.int(*NUM_CHANNELS)
    if channels < 0 or y.elements > channels:
        raise ctx.unsupported(f"output of {y.elements} values from num_channels = {channels} (TFLM copies the "
                              "output from its num_channels sums and would read past them)")
    tables = [t.array().astype(np.int64) for t in (freq_starts, weight_starts, widths)]
    if any(len(t) < channels + 1 for t in tables):
        raise ctx.unsupported(f"channel tables of {[len(t) for t in tables]} entries; num_channels = {channels} "
                              f"needs {channels + 1} each")
    freq, start, width = (t[:channels + 1] for t in tables)
    used = width > 0
    freq, start, width = np.where(used, freq, 0), np.where(used, start, 0), np.where(used, width, 0)
    limits = (("input", freq, x.elements), ("weights", start, weights.elements),
              ("unweights", start, unweights.elements))
    for role, first, size in limits:
        bad = np.flatnonzero(used & ((first < 0) | (first + width > size)))
        if bad.size:
            c = int(bad[0])
            raise ctx.unsupported(f"channel {c} reads {role} elements {int(first[c])}..{int(first[c] + width[c]) - 1} "
                                  f"of {size} (TFLM would read outside the tensor)")
    if y.elements == 0:
        return
    params = {
        "weights": ctx.input_ptr(1), "unweights": ctx.input_ptr(2),
        "freq_starts": ctx.array(freq, "int16_t", "channel frequency starts"),
        "weight_starts": ctx.array(start, "int16_t", "channel weight starts"),
        "widths": ctx.array(width, "int16_t", "channel widths"),
        "num_channels": channels, "out_count": y.elements,
    }
    unsigned = all((t.array() >= 0).all() for t in (weights, unweights))  # the front end's Q12 weights
    function = "tml_signal_filter_bank_unsigned" if unsigned else "tml_signal_filter_bank"
    ctx.call(function, ctx.params("tml_signal_filter_bank_params", params), ctx.input_ptr(0), ctx.output_ptr(0),
             kernel="signal_filter_bank")
