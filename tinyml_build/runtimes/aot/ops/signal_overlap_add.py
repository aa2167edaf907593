"""SignalOverlapAdd (int16, float32): overlap-add resynthesis, TFLM's signal/micro/kernels/overlap_add.cc.

Input [..., frames, frame_size], output [..., frames * frame_step]. State: one frame_size buffer per
channel (zeros after init(), as TFLM's Prepare leaves them). The option T names the type (TFLM's
Init picks its kernel by it, and Prepare checks the tensors against it).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._signal import io_count
from tinyml_build.runtimes.aot.ops._signal_state import int_option, require_shape

KERNEL = "signal_overlap_add"
# TFLite TensorType numbers of the types TFLM's Init accepts for T.
TYPES = {7: ("int16", "int16_t", "s16"), 0: ("float32", "float", "f32")}


@register("SignalOverlapAdd")
def lower(ctx) -> None:
    io_count(ctx, 1, 1)
    code = ctx.custom_options.int("T", 0)
    if code not in TYPES:
        raise ctx.unsupported(f"custom option T is tensor type {code}; TFLM's kernel takes INT16 (7) or FLOAT32 (0)")
    dtype, ctype, suffix = TYPES[code]
    step = int_option(ctx, "frame_step", 1, 1)
    x = ctx.require_dtype(ctx.input(0), (dtype,), "input")
    y = ctx.require_dtype(ctx.output(0), (dtype,), "output")
    if len(x.shape) < 2 or x.elements == 0:
        raise ctx.unsupported(f"input shape {list(x.shape)}: TFLM needs [..., frames, frame_size], not empty")
    frames, size = x.shape[-2], x.shape[-1]
    if step > size:
        raise ctx.unsupported(f"frame_step {step} is larger than frame_size {size} (TFLM's buffer shift would "
                              "run backwards)")
    require_shape(ctx, y, (*x.shape[:-2], frames * step), "output")
    outer = x.elements // (frames * size)
    params = ctx.params(f"tml_signal_overlap_add_{suffix}_params", {
        "outer": outer, "frames": frames, "frame_size": size, "frame_step": step,
        "buffers": ctx.state(ctype, outer * size, f"overlap-add buffer of {size} samples per channel"),
    })
    ctx.on_init(f"tml_signal_overlap_add_{suffix}_reset", params, kernel=KERNEL)
    ctx.call(f"tml_signal_overlap_add_{suffix}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel=KERNEL)
