"""The int8 output stage shared by FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D.

Emits the initializer of a `tml_requant_s8_params` (tml_kernels.h), with rshift = -2 - shift as
tml_requant (tml_fixedpoint.h) takes it, and whether any channel needs its general (slower)
form, so kernels pick the fast loop once per call. A layer whose channels all share one
(multiplier, shift) -- per-tensor quantization -- gets that pair in the struct and no table:
a per-channel table would cost 8 bytes of flash per output channel for nothing.
"""

from tinyml_build.runtimes.aot.quantization import requant_rshift


def output_stage(ctx, multipliers, shifts, offset: int, act_min: int, act_max: int) -> str:
    """C initializer `{.multiplier_rshift = ..., ...}` for the `out` field of FC / conv / depthwise params."""
    rshifts = [requant_rshift(s) for s in shifts]
    general = int(any(r < 0 for r in rshifts))
    common = f".offset = {offset}, .lo = {act_min}, .hi = {act_max}, .general = {general}"
    if len(set(zip(multipliers, rshifts))) == 1:
        return f"{{.multiplier_rshift = NULL, .multiplier = {multipliers[0]}, .rshift = {rshifts[0]}, {common}}}"
    pairs = [v for m, r in zip(multipliers, rshifts) for v in (m, r)]
    table = ctx.array(pairs, "int32_t", "output multipliers and shifts per channel (multiplier, -2 - shift)")
    return f"{{.multiplier_rshift = {table}, .multiplier = 0, .rshift = 0, {common}}}"


def scale_tables(ctx, multipliers, shifts) -> dict:
    """`multiplier`, `shift`, `channel_mask` fields of ops that index TFLM's (multiplier, shift)
    per channel (TRANSPOSE_CONV, int16 CONV_2D): one entry and mask 0 when all channels share it."""
    if len(set(zip(multipliers, shifts))) == 1:
        multipliers, shifts, mask = multipliers[:1], shifts[:1], 0
    else:
        mask = -1
    return {"multiplier": ctx.array(multipliers, "int32_t", "output multipliers"),
            "shift": ctx.array(shifts, "int32_t", "output shifts"), "channel_mask": mask}
