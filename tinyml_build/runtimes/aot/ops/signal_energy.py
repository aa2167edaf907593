"""SignalEnergy (TFLM Signal library): |X[i]|^2 of int16 complex FFT bins into uint32.

TFLM's kernel (signal/micro/kernels/energy.cc) writes bins start_index..end_index-1 only and
checks no index; bins outside the tensors would be read and written anyway, so they are refused
here. The output elements TFLM leaves unwritten are 0 in aot (TFLM's are whatever the arena held).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count, signal_tensor

END, START = ("end_index", 0), ("start_index", 1)  # (key, position TFLM's EnergyInit reads it at)


@register("SignalEnergy")
def lower(ctx) -> None:
    io_count(ctx, 1, 1)
    x = signal_tensor(ctx, ctx.input(0), "int16", "input (complex int16 pairs)", rank=1)
    y = signal_tensor(ctx, ctx.output(0), "uint32", "output", rank=1)
    end, start = ctx.custom_options.int(*END), ctx.custom_options.int(*START)
    if not (0 <= start <= end <= y.elements and 2 * end <= x.elements):
        raise ctx.unsupported(f"bins {start}..{end} (start_index..end_index) do not lie within the output of "
                              f"{y.elements} bins and the input of {x.elements // 2} complex values "
                              "(TFLM would access memory outside them)",
                              fix="re-export the model with 0 <= start_index <= end_index <= the bin count")
    if y.elements == 0:
        return
    ctx.call("tml_signal_energy", ctx.input_ptr(0), ctx.output_ptr(0), str(y.elements), str(start), str(end),
             kernel="signal_energy")
