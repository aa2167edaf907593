"""Shared lowering of elementwise unary ops (not an op itself: registers nothing).

int8 ops become a 256-entry table (tinyml_build/runtimes/aot/int8_tables.py) run by kernels/lut.c
(tml_lut8_s8); ops with int16 kernels call their own kernel with the element count.
"""


def same_shape_io(ctx, dtypes):
    """(input, output) after checking dtypes match one of `dtypes` and the element counts agree."""
    x = ctx.require_dtype(ctx.input(0), dtypes, "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if x.elements != y.elements:
        raise ctx.unsupported(f"input has {x.elements} elements but output {y.elements}")
    return x, y


def lower_table(ctx, table, what: str) -> None:
    """Emit tml_lut8_s8 over the whole tensor with `table` (256 int8 values, indexed by input byte)."""
    x = ctx.input(0)
    if x.elements == 0:
        return
    params = ctx.params("tml_lut8_params", {"table": ctx.array(table, "int8_t", what), "size": f"{x.elements}u"})
    ctx.allow_in_place(ctx.output(0), x)  # lut.c reads byte i, then writes byte i
    ctx.call("tml_lut8_s8", params, f"(const uint8_t *){ctx.input_ptr(0)}", ctx.output_ptr(0), kernel="lut")


def lower_float_map(ctx, function: str) -> None:
    """float32 in, float32 out of the same size: `function` (kernels/float_math.c) per element."""
    x, _ = same_shape_io(ctx, ("float32",))
    if x.elements:
        ctx.call(function, ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="float_math")


def lower_sigmoid16(ctx, function: str, pot_shifts: tuple[int, ...]) -> None:
    """int16 LOGISTIC / TANH (kernels/sigmoid16.c) with TFLM's Prepare checks and input scaling."""
    from tinyml_build.runtimes.aot.quantization import checked_log2, sigmoid16_input_scaling
    from tinyml_build.runtimes.aot.upstream_tables import sigmoid_table_uint16

    x, y = ctx.input(0), ctx.output(0)
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {in_zp}, {out_zp}), as in TFLM")
    is_pot, log2 = checked_log2(out_scale)
    if not is_pot or log2 != -15:
        raise ctx.unsupported(f"the int16 output scale must be 2^-15 (got {out_scale:g}), as in TFLM")
    scaling = sigmoid16_input_scaling(in_scale, pot_shifts)
    if scaling is None:
        raise ctx.unsupported(f"input scale {in_scale:g} is too large for TFLM's int16 kernel "
                              "(its multiplier would exceed 32767)")
    if x.elements == 0:
        return
    multiplier, left_shift = scaling
    params = ctx.params("tml_sigmoid16_params", {
        "table": ctx.array(sigmoid_table_uint16(f"op #{ctx.index} {ctx.name}"), "uint16_t", "TFLM's sigmoid table"),
        "multiplier": multiplier, "round": (1 << (left_shift - 1)) if left_shift > 0 else 0,
        "left_shift": left_shift})
    ctx.call(function, params, ctx.input_ptr(0), ctx.output_ptr(0), str(x.elements), kernel="sigmoid16")
