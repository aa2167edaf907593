"""SQUARED_DIFFERENCE: int8, int16, int32, float32, with broadcasting (kernels/squared_difference.c).

Mirrors TFLM's SquaredDifferencePrepare / PrepareQuantized (kernels/squared_difference.cc): for
int8 (left shift 7) and int16 (left shift 0, zero points 0) both inputs are rescaled to twice the
larger input scale (QuantizeMultiplierSmallerThanOneExp, in double), the squared difference by
twice_max^2 / (2^(2 * left_shift) * output_scale) (QuantizeMultiplier); no fused activation, the
output is clamped to its type. TFLM broadcasts with a 4-D routine, so inputs of different shapes
above rank 4 are refused.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._binary import broadcast_operands, quantize_smaller_than_one
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "float32": "f32"}
LIMITS = {"int8": (-128, 127), "int16": (-32768, 32767)}


def squared_difference_params(ctx, dtype, in1, in2, out) -> dict:
    (s1, z1), (s2, z2), (so, zo) = in1, in2, out
    left_shift = 7 if dtype == "int8" else 0
    twice_max = 2.0 * float(max(np.float32(s1), np.float32(s2)))
    m1, sh1 = quantize_smaller_than_one(ctx, float(np.float32(s1)) / twice_max)
    m2, sh2 = quantize_smaller_than_one(ctx, float(np.float32(s2)) / twice_max)
    denominator = float(np.float32(1 << (2 * left_shift)) * np.float32(so))  # int * float in float32
    mo, sho = quantize_multiplier(twice_max * twice_max / denominator)
    lo, hi = LIMITS[dtype]
    return {"input1_offset": -z1, "input2_offset": -z2, "output_offset": zo, "left_shift": left_shift,
            "input1_multiplier": m1, "input1_shift": -sh1, "input2_multiplier": m2, "input2_shift": -sh2,
            "output_multiplier": mo, "output_shift": sho, "act_min": lo, "act_max": hi}


@register("SQUARED_DIFFERENCE")
def lower(ctx) -> None:
    operands = broadcast_operands(ctx, SUFFIX)
    if operands is None:
        return
    out, in1, in2, loops = operands
    if list(in1.shape) != list(in2.shape) and max(len(in1.shape), len(in2.shape), len(out.shape)) > 4:
        raise ctx.unsupported("broadcasting above rank 4 (TFLM's squared difference broadcasts in 4-D only)")
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    args = [shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0)]
    if out.dtype in LIMITS:
        q1, q2, qo = ctx.quantization(in1), ctx.quantization(in2), ctx.quantization(out)
        if out.dtype == "int16" and (q1[1], q2[1], qo[1]) != (0, 0, 0):
            raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {q1[1]}, {q2[1]}, {qo[1]})")
        fields = squared_difference_params(ctx, out.dtype, q1, q2, qo)
        args.insert(0, ctx.params("tml_squared_difference_params", fields))
    ctx.call(f"tml_squared_difference_{SUFFIX[out.dtype]}", *args, kernel="squared_difference")
