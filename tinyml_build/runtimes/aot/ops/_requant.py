"""The per-channel int8 output stage shared by FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D.

Emits the initializer of a `tml_requant_s8_params` (tml_kernels.h): (multiplier, rshift) pairs
per channel, with rshift = -2 - shift as tml_requant (tml_fixedpoint.h) takes it, and whether
any channel needs its general (slower) form, so kernels pick the fast loop once per call.
"""

from tinyml_build.runtimes.aot.quantization import requant_rshift


def output_stage(ctx, multipliers, shifts, offset: int, act_min: int, act_max: int) -> str:
    """C initializer `{.multiplier_rshift = ..., ...}` for the `out` field of FC / conv / depthwise params."""
    rshifts = [requant_rshift(s) for s in shifts]
    pairs = [v for m, r in zip(multipliers, rshifts) for v in (m, r)]
    table = ctx.array(pairs, "int32_t", "output multipliers and shifts per channel (multiplier, -2 - shift)")
    general = int(any(r < 0 for r in rshifts))
    return (f"{{.multiplier_rshift = {table}, .offset = {offset}, .lo = {act_min}, .hi = {act_max}, "
            f".general = {general}}}")
