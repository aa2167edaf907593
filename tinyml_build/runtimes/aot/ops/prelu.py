"""PRELU: int8, int16 (with int8 alpha), float32, alpha broadcast against the input (kernels/prelu.c).

Mirrors TFLM's CalculatePreluParams (kernels/prelu_common.cc): output multiplier 1 is
input_scale / output_scale (the identity path, input >= its zero point), multiplier 2 is
input_scale * alpha_scale / output_scale (the alpha path), both QuantizeMultiplier in double.
TFLM's float kernel broadcasts in 4-D only, so float PRELU above rank 4 is refused.
"""

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

SUFFIX = {"int8": "s8", "int16": "s16", "float32": "f32"}
ALPHA = {"int8": "int8", "int16": "int8", "float32": "float32"}


@register("PRELU")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    alpha = ctx.require_dtype(ctx.input(1), (ALPHA[x.dtype],), "alpha")
    out = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if out.elements == 0:
        return
    if x.dtype == "float32" and max(len(x.shape), len(alpha.shape), len(out.shape)) > 4:
        raise ctx.unsupported("float32 above rank 4 (TFLM's float PRELU broadcasts in 4-D only)")
    try:
        loops = broadcast_loops(x.shape, alpha.shape, out.shape)
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    args = [shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0)]
    if x.dtype != "float32":
        (si, zi), (sa, za), (so, zo) = ctx.quantization(x), ctx.quantization(alpha), ctx.quantization(out)
        m1, s1 = quantize_multiplier(si / so)
        m2, s2 = quantize_multiplier(si * sa / so)
        fields = {"input_offset": -zi, "alpha_offset": -za, "output_offset": zo, "output_multiplier_1": m1,
                  "output_shift_1": s1, "output_multiplier_2": m2, "output_shift_2": s2}
        args.insert(0, ctx.params("tml_prelu_params", fields))
    ctx.call(f"tml_prelu_{SUFFIX[x.dtype]}", *args, kernel="prelu")
