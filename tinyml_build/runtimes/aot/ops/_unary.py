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
