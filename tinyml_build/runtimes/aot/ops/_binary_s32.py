"""int32 ADD, SUB and MUL (kernels/add_s32.c), as TFLM's micro kernels: what TF's while-loop counters
and shape arithmetic use.

Not an op itself (registers nothing): add.py, sub.py and mul.py send int32 outputs here. TFLM (add.cc,
sub.cc, mul.cc) computes element by element, wrapping as the host build's int32 arithmetic does (mul:
WrappingMul; aot computes all three in uint32, free of C's undefined overflow), and clamps: ADD to the
whole int32 range whatever its fused activation says, SUB and MUL to CalculateActivationRange<int32_t>
of their fused activation. ADD and SUB take int32 only without quantization (their Prepare refuses
it); MUL ignores an int32 tensor's quantization, as TFLM's MulPrepare does. Broadcasting is the one
the other types collapse (broadcast.py); TFLM's int32 ADD/SUB broadcast in 4-D (BroadcastAdd4DSlow),
MUL in 6-D (BroadcastMul6DSlow), so broadcasts above those ranks are refused.
"""

from tinyml_build.runtimes.aot.ops._binary import broadcast_operands

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
# CalculateActivationRange<int32_t> (kernels/internal/common.h)
INT32_ACTIVATION_RANGES = {"NONE": (INT32_MIN, INT32_MAX), "RELU": (0, INT32_MAX), "RELU6": (0, 6),
                           "RELU_N1_TO_1": (-1, 1)}


def lower_binary_s32(ctx, kind: str) -> None:
    """Lower an int32 ADD, SUB or MUL (`kind`: "add", "sub" or "mul")."""
    operands = broadcast_operands(ctx, ("int32",))
    if operands is None:
        return
    out, in1, in2, loops = operands
    for tensor in (in1, in2) if kind != "mul" else ():
        if tensor.quantization is not None:
            raise ctx.unsupported(f"int32 input #{tensor.index} '{tensor.name}' is quantized (TFLM's int32 "
                                  f"{kind.upper()} takes unquantized tensors only)")
    max_rank = 6 if kind == "mul" else 4
    if in1.shape != in2.shape and len(out.shape) > max_rank:
        raise ctx.unsupported(f"int32 broadcast at rank {len(out.shape)} (TFLM broadcasts int32 {kind.upper()} in "
                              f"{max_rank}-D only)")
    activation = ctx.options.get("fused_activation_function", "NONE")
    if kind == "add":
        act_min, act_max = INT32_MIN, INT32_MAX  # TFLM's int32 ADD ignores the fused activation
    elif activation in INT32_ACTIVATION_RANGES:
        act_min, act_max = INT32_ACTIVATION_RANGES[activation]
    else:
        raise ctx.unsupported(f"fused activation {activation} is not supported")
    params = ctx.params("tml_arith_s32_params", {"act_min": act_min, "act_max": act_max})
    for operand in (in1, in2):  # each block writes out[i] after reading the full-shape inputs' element i
        if operand.shape == out.shape:
            ctx.allow_in_place(out, operand)
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    ctx.call(f"tml_{kind}_s32", params, shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0),
             kernel="add_s32")
