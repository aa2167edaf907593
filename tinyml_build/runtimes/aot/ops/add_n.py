"""ADD_N: the elementwise sum of two or more equally shaped inputs (kernels/add_n.c).

Types and checks are the pinned TFLM's (kernels/add_n.cc): float32 or int8, at least two
inputs of the output's type and one shape; int8 inputs share one scale and zero point. int8
takes CalculateOpData's parameters, which are ADD's with both inputs at the same scale
(`_binary.add_sub_params`: left shift 20, input multiplier 1/2, output multiplier
2 * s_in / (2^20 * s_out), in double) and no fused activation. The kernel receives the inputs
as an array of pointers built in invoke() (a compound literal: no table in flash or arena).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import add_sub_params
from tinyml_build.runtimes.aot.ops._gather import refuse_empty
from tinyml_build.runtimes.aot.quantization import activation_range

CTYPE = {"int8": "int8_t", "float32": "float"}


@register("ADD_N")
def lower(ctx) -> None:
    refuse_empty(ctx)
    out = ctx.require_dtype(ctx.output(0), tuple(CTYPE), "output")
    count = len(ctx.op.inputs)
    if count < 2:
        raise ctx.unsupported(f"{count} input(s); TFLM requires at least 2")
    inputs = [ctx.require_dtype(ctx.input(i), (out.dtype,), f"input {i}") for i in range(count)]
    for i, t in enumerate(inputs):
        if list(t.shape) != list(out.shape):
            raise ctx.unsupported(f"input {i} has shape {list(t.shape)}, the output {list(out.shape)}")
    listed = ", ".join(ctx.input_ptr(i) for i in range(count))
    pointers = f"(const {CTYPE[out.dtype]} *const[]){{{listed}}}"
    if out.dtype == "float32":
        ctx.call("tml_add_n_f32", pointers, str(count), ctx.output_ptr(0), str(out.elements), kernel="add_n")
        return
    quant = ctx.quantization(inputs[0])
    for i, t in enumerate(inputs[1:], 1):
        if ctx.quantization(t) != quant:
            raise ctx.unsupported(f"input {i} quantization {ctx.quantization(t)} differs from input 0's {quant} "
                                  "(TFLM's Prepare requires them equal)")
    out_quant = ctx.quantization(out)
    fields = add_sub_params(ctx, quant, quant, out_quant)
    fields["act_min"], fields["act_max"] = activation_range("NONE", "int8", *out_quant)
    ctx.call("tml_add_n_s8", ctx.params("tml_add_params", fields), pointers, str(count), ctx.output_ptr(0),
             str(out.elements), kernel="add_n")
