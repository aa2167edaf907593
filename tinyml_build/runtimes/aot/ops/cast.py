"""CAST between int8, int16, int32, uint32, float32 and bool (kernels/cast.c; uint32: kernels/cast_u32.c).

The pinned TFLM (kernels/cast.cc) converts each element with static_cast, from int8, int16,
int32, uint32, float32 or bool to int8, int16, int32, uint32 or float32, ignoring any
quantization parameters (a cast, not a (de)quantization). aot does the same for every pair of
these types; refused: bool outputs and other input/output types (TFLM's Eval fails on them).
uint32 is its own small kernel file: TFLM's audio preprocessor casts SignalEnergy's uint32
energies to int32 and back, which keeps the bytes, so those casts are aliases.

float -> integer outside the target's range is undefined behaviour in TFLM's C++; the kernel
reproduces what TFLM computes on the x86-64 host oracle (truncate, saturate to the target's
range, NaN -> 0; see cast.c) without undefined behaviour.
"""

from tinyml_build.runtimes.aot.ops import register

SUFFIX_IN = {"int8": "s8", "int16": "s16", "int32": "s32", "uint32": "u32", "float32": "f32", "bool": "b"}
SUFFIX_OUT = {"int8": "s8", "int16": "s16", "int32": "s32", "uint32": "u32", "float32": "f32"}
# static_cast keeps every bit of these (modulo 2^32): the output aliases the input, no instructions.
SAME_BITS = {("int32", "uint32"), ("uint32", "int32"), ("uint32", "uint32")}


@register("CAST")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX_IN), "input")
    out = ctx.require_dtype(ctx.output(0), tuple(SUFFIX_OUT), "output")
    if x.elements != out.elements:
        raise ctx.unsupported(f"input has {x.elements} elements, output {out.elements}")
    if out.elements == 0:
        return
    if (x.dtype, out.dtype) in SAME_BITS:
        if x.is_constant:
            ctx.call("tml_copy", ctx.output_ptr(0), ctx.input_ptr(0), f"{out.nbytes}u", kernel="copy")
        else:
            ctx.alias(out, x)
        return
    kernel = "cast_u32" if "uint32" in (x.dtype, out.dtype) else "cast"
    ctx.call(f"tml_cast_{SUFFIX_IN[x.dtype]}_{SUFFIX_OUT[out.dtype]}", str(out.elements), ctx.input_ptr(0),
             ctx.output_ptr(0), kernel=kernel)
