"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with broadcasting (kernels/comparisons.c).

Types are the pinned TFLM's (kernels/comparisons.cc Eval): EQUAL and NOT_EQUAL take bool,
float32, int32, int64 and int8; the four orderings take float32, int32, int64 and int8. The
output is bool. Non-int8 types compare the stored values. int8 compares both inputs after
ComparisonsPrepare's rescaling: offset = -zero_point, left shift 8, each input's own scale as
a QuantizeMultiplierSmallerThanOneExp multiplier (in double). The output does not depend on the
scales' ratio alone, so the Prepare-time numbers are reproduced exactly here.

Refused (runtime=tflm cannot run them either, or not defined):
- int16 GREATER: TFLM's Eval has an int16 case, but Prepare computes the rescaling parameters
  for int8 only, so its result depends on uninitialised persistent memory;
- int8 with an input scale >= 1 (or <= 0): QuantizeMultiplierSmallerThanOneExp aborts TFLM;
- inputs of different types, other types (TFLM's Eval fails).
"""

from tinyml_build.runtimes.aot.broadcast import BroadcastError, broadcast_loops
from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

SUFFIX = {"bool": "b", "int8": "s8", "int32": "s32", "int64": "s64", "float32": "f32"}
ORDERED = ("float32", "int32", "int64", "int8")
TYPES = {"EQUAL": ("bool",) + ORDERED, "NOT_EQUAL": ("bool",) + ORDERED, "LESS": ORDERED,
         "LESS_EQUAL": ORDERED, "GREATER": ORDERED, "GREATER_EQUAL": ORDERED}
LEFT_SHIFT = 8  # kLeftShift in ComparisonsPrepare


def struct(ctx, fields: dict) -> str:
    """A nested C struct initializer (designated) for a params field."""
    return "{" + ", ".join(f".{k} = {ctx._initializer(v)}" for k, v in fields.items()) + "}"


@register("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
def lower(ctx) -> None:
    ctx.require_dtype(ctx.output(0), ("bool",), "output")
    in1 = ctx.input(0)
    if ctx.name == "GREATER" and in1 is not None and in1.dtype == "int16":
        raise ctx.unsupported("int16 GREATER: TFLM's Prepare sets no rescaling parameters for int16, "
                              "so its result is undefined")
    in1 = ctx.require_dtype(in1, TYPES[ctx.name], "input 1")
    in2 = ctx.require_dtype(ctx.input(1), (in1.dtype,), "input 2")
    out = ctx.output(0)
    if out.elements == 0:
        return
    try:
        shape = broadcast_loops(in1.shape, in2.shape, out.shape).fields()
    except BroadcastError as exc:
        raise ctx.unsupported(str(exc)) from None
    kind = ctx.name.lower()
    function = f"tml_{kind}_{SUFFIX[in1.dtype]}"
    if in1.dtype != "int8":
        ctx.call(function, ctx.params("tml_broadcast", shape, "broadcast loops"), ctx.input_ptr(0),
                 ctx.input_ptr(1), ctx.output_ptr(0), kernel="comparisons")
        return
    fields = {"shape": struct(ctx, shape), "left_shift": LEFT_SHIFT}
    for n, tensor in ((1, in1), (2, in2)):
        scale, zero_point = ctx.quantization(tensor)
        if not 0.0 < scale < 1.0:
            raise ctx.unsupported(f"input {n} scale {scale!r} is outside (0, 1): TFLM's "
                                  "QuantizeMultiplierSmallerThanOneExp aborts on it")
        multiplier, shift = quantize_multiplier(float(scale))
        fields.update({f"input{n}_offset": -zero_point, f"input{n}_multiplier": multiplier,
                       f"input{n}_rshift": -shift})
    ctx.call(function, ctx.params("tml_compare_s8_params", fields), ctx.input_ptr(0), ctx.input_ptr(1),
             ctx.output_ptr(0), kernel="comparisons")
