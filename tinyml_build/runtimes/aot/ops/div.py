"""DIV: float32 and int32 with broadcasting (kernels/div.c), as TFLM's micro kernel (div.cc).

The fused activation clamps as CalculateActivationRange (float32: FLT_MAX-wide for NONE; int32:
the type's range). TFLM broadcasts in at most 5-D (BroadcastDivSlow<5>), so different input shapes
above rank 5 are refused. int8 DIV is refused for now: TFLM's reference DivElementwise shifts by more
than 31 bits for some quotients of small dividends by large divisors (its RoundingDivideByPOT is then
undefined and differs between x86 and Arm), which needs its own treatment.
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands
from tinyml_build.runtimes.aot.quantization import DTYPE_RANGES, float_activation_range

SUFFIX = {"int32": "s32", "float32": "f32"}
INT32_RANGES = {"RELU": (0, DTYPE_RANGES["int32"][1]), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}


@register("DIV")
def lower(ctx) -> None:
    operands = broadcast_operands(ctx, SUFFIX)
    if operands is None:
        return
    out, in1, in2, loops = operands
    if list(in1.shape) != list(in2.shape) and max(len(in1.shape), len(in2.shape), len(out.shape)) > 5:
        raise ctx.unsupported("broadcasting above rank 5 (TFLM's DIV broadcasts in 5-D only)")
    activation = ctx.options.get("fused_activation_function", "NONE")
    try:
        if out.dtype == "float32":
            act_min, act_max = float_activation_range(activation)
        else:
            act_min, act_max = DTYPE_RANGES["int32"] if activation == "NONE" else INT32_RANGES[activation]
    except (KeyError, ValueError):
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    suffix = SUFFIX[out.dtype]
    params = ctx.params(f"tml_div_{suffix}_params", {"act_min": act_min, "act_max": act_max})
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    ctx.call(f"tml_div_{suffix}", params, shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0), kernel="div")
