"""float32 ADD, SUB and MUL (kernels/add_f32.c, mul_f32.c), as TFLM's float reference kernels.

Not an op itself (registers nothing): add.py, sub.py and mul.py send float32 outputs here. TFLM
(add.cc, sub.cc, mul_common.cc) computes one IEEE operation per element and clamps it with
ActivationFunctionWithMinMax to CalculateActivationRange<float>'s bounds; broadcasting is the one
the quantized path collapses (broadcast.py). Fused activations TFLM's float range does not name
(TANH, SIGN_BIT) are refused: TFLM would silently leave them out.
"""

from tinyml_build.runtimes.aot.ops._binary import broadcast_operands
from tinyml_build.runtimes.aot.quantization import float_activation_range

KERNEL_FILES = {"add": "add_f32", "sub": "add_f32", "mul": "mul_f32"}  # SUB shares ADD's file, as add.c


def lower_binary_f32(ctx, kind: str) -> None:
    """Lower a float32 ADD/SUB/MUL (`kind`: "add", "sub" or "mul") with its fused activation."""
    operands = broadcast_operands(ctx, ("float32",))
    if operands is None:
        return
    out, in1, in2, loops = operands
    activation = ctx.options.get("fused_activation_function", "NONE")
    try:
        act_min, act_max = float_activation_range(activation)
    except ValueError:
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    params = ctx.params("tml_arith_f32_params", {"act_min": act_min, "act_max": act_max})
    for operand in (in1, in2):  # each block writes out[i] after reading the full-shape inputs' element i
        if operand.shape == out.shape:
            ctx.allow_in_place(out, operand)
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    ctx.call(f"tml_{kind}_f32", params, shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             kernel=KERNEL_FILES[kind])
