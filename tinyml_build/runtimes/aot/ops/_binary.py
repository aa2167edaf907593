"""Shared lowering of the quantized elementwise binary ops (ADD, SUB, MUL).

Not an op itself (registers nothing): checks types and quantization, collapses the
broadcast (tinyml_build/runtimes/aot/broadcast.py), adds the fused activation's clamp range and
emits `tml_<kind>_s8/_s16(params, shape, in1, in2, out)`. Each op module supplies only
its TFLM Prepare-time multiplier math and, when it is not kernels/<kind>.c, the kernel file
(ADD and SUB share kernels/add.c).
"""

import numpy as np

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.quantization import QuantizationRangeError, activation_range, quantize_multiplier

SUFFIX = {"int8": "s8", "int16": "s16"}
TABLE_MIN_ELEMENTS = 1024  # int8 ADD/SUB outputs from this size use per-input tables in scratch


def broadcast_operands(ctx, types):
    """(out, in1, in2, loops) of a binary op whose inputs have the output's type (one of `types`),
    with the broadcast loops; None when the output is empty (nothing to compute)."""
    out = ctx.require_dtype(ctx.output(0), tuple(types), "output")
    in1 = ctx.require_dtype(ctx.input(0), (out.dtype,), "input 1")
    in2 = ctx.require_dtype(ctx.input(1), (out.dtype,), "input 2")
    if out.elements == 0:
        return None
    try:
        return out, in1, in2, broadcast_loops(in1.shape, in2.shape, out.shape)
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None


def lower_binary(ctx, kind: str, params_fn, kernel: str | None = None) -> None:
    """Lower ADD/SUB/MUL: params_fn(ctx, (s1, z1), (s2, z2), (so, zo)) gives the kernel's multipliers.

    `kernel` names the C file (runtime/aot/kernels/<kernel>.c) defining tml_<kind>_*; default `kind`.
    """
    operands = broadcast_operands(ctx, SUFFIX)
    if operands is None:
        return
    out, in1, in2, loops = operands
    q1, q2, qo = ctx.quantization(in1), ctx.quantization(in2), ctx.quantization(out)
    if out.dtype == "int16" and (q1[1], q2[1], qo[1]) != (0, 0, 0):
        raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {q1[1]}, {q2[1]}, {qo[1]})")
    fields = params_fn(ctx, q1, q2, qo)
    activation = ctx.options.get("fused_activation_function", "NONE")
    try:
        fields["act_min"], fields["act_max"] = activation_range(activation, out.dtype, qo[0], qo[1])
    except QuantizationRangeError as exc:
        raise ctx.unsupported(f"fused activation {activation}: {exc}") from None
    except ValueError:
        raise ctx.unsupported(f"fused activation {activation} is not supported") from None
    params = ctx.params(f"tml_{kind}_params", fields)
    shape = ctx.params("tml_broadcast", loops.fields(), "broadcast loops")
    args = [params, shape, ctx.input_ptr(0), ctx.input_ptr(1), ctx.output_ptr(0)]
    if kind in ("add", "sub") and out.dtype == "int8":
        # Tabulating both inputs' scaled values costs 512 evaluations and saves two per element.
        tables = out.elements >= TABLE_MIN_ELEMENTS
        args.append(f"(int32_t *){ctx.scratch(512 * 4)}" if tables else "NULL")
    ctx.call(f"tml_{kind}_{SUFFIX[out.dtype]}", *args, kernel=kernel or kind)


def add_sub_params(ctx, in1, in2, out, in_float32: bool = False) -> dict:
    """TFLM's CalculateOpDataAdd/Sub: both inputs rescaled to twice the larger input scale.

    Inputs are shifted left by 20 (int8) or 15 (int16) first. The pinned TFLM takes ADD's ratios
    in double (add_common.cc) and SUB's in float32, cast to double afterwards (sub_common.cc):
    `in_float32` (SUB). The two differ by one LSB on some elements of real models (sub0.tflite);
    the tflite-micro wheel, built from a later TFLM, takes both in double
    (verification/oracle/differences.py).
    """
    (s1, z1), (s2, z2), (so, zo) = in1, in2, out
    left_shift = 15 if ctx.output(0).dtype == "int16" else 20
    if in_float32:
        f1, f2, fo = np.float32(s1), np.float32(s2), np.float32(so)
        twice = np.float32(2) * max(f1, f2)
        r1, r2 = float(f1 / twice), float(f2 / twice)
        ro = float(twice / (np.float32(1 << left_shift) * fo))
    else:
        twice_max = 2.0 * max(s1, s2)
        r1, r2, ro = s1 / twice_max, s2 / twice_max, twice_max / ((1 << left_shift) * so)
    m1, sh1 = quantize_smaller_than_one(ctx, r1)
    m2, sh2 = quantize_smaller_than_one(ctx, r2)
    mo, sho = quantize_smaller_than_one(ctx, ro)
    return {"input1_offset": -z1, "input2_offset": -z2, "output_offset": zo, "left_shift": left_shift,
            "input1_multiplier": m1, "input1_shift": sh1, "input2_multiplier": m2, "input2_shift": sh2,
            "output_multiplier": mo, "output_shift": sho}


def quantize_smaller_than_one(ctx, real: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp; TFLM aborts outside (0, 1), so the build stops instead."""
    if not 0.0 < real < 1.0:
        raise ctx.unsupported(f"rescale factor {real!r} is outside (0, 1), which TFLM's kernel cannot represent",
                              fix="re-quantize the model (scales this far apart usually mean a broken calibration)")
    return quantize_multiplier(real)
