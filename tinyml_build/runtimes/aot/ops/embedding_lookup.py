"""EMBEDDING_LOOKUP: rows of a table selected by int32 ids, GATHER's kernel (kernels/gather.c).

Types and checks are the pinned TFLM's (kernels/embedding_lookup.cc): ids int32 of rank 1;
table float32 or int8 of rank >= 2; output float32 for a float32 table, int8 or float32 for
an int8 one. Same-type outputs are row copies (no requantization). int8 -> float32 (TFLM's
hybrid path, table zero point 0) gathers the int8 rows into scratch and dequantizes them with
DEQUANTIZE's kernel: TFLM's `(v - 0) * scale` in float, the same expression. An id outside
[0, rows) fails the op in TFLM; constant ids are checked here, run-time ids by the kernel
(invoke() returns TML_ERROR).
"""

import math

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import ELEMENT_BYTES, refuse_constant_out_of_range, refuse_empty
from tinyml_build.runtimes.aot.quantization import f32


@register("EMBEDDING_LOOKUP")
def lower(ctx) -> None:
    refuse_empty(ctx)
    ids = ctx.require_dtype(ctx.input(0), ("int32",), "ids")
    table = ctx.require_dtype(ctx.input(1), ("float32", "int8"), "table")
    out_types = ("float32",) if table.dtype == "float32" else ("int8", "float32")
    out = ctx.require_dtype(ctx.output(0), out_types, "output")
    if len(ids.shape) != 1 or len(table.shape) < 2:
        raise ctx.unsupported(f"ids rank {len(ids.shape)} (TFLM: 1), table rank {len(table.shape)} (TFLM: >= 2)")
    expected = [int(ids.shape[0])] + list(table.shape[1:])
    if list(out.shape) != expected:
        raise ctx.unsupported(f"output shape {list(out.shape)} is not the looked-up shape {expected}")
    rows = int(table.shape[0])
    refuse_constant_out_of_range(ctx, ids, rows, "id", fix="fix the model's ids (TFLM's Eval fails on them)")
    columns = math.prod(table.shape[1:])
    fields = {"batches": 1, "outer": 1, "coords": int(ids.shape[0]), "axis_size": rows,
              "inner_bytes": columns * ELEMENT_BYTES[table.dtype]}
    params = ctx.params("tml_gather_params", fields)
    checked = not ids.is_constant
    if out.dtype == table.dtype:
        ctx.call("tml_gather", params, ctx.input_ptr(1), ctx.input_ptr(0), ctx.output_ptr(0), kernel="gather",
                 checked=checked)
        return
    scale, zero_point = ctx.quantization(table)
    if zero_point != 0:
        raise ctx.unsupported(f"int8 table zero point {zero_point}; TFLM's hybrid lookup requires 0")
    rows_int8 = ctx.scratch(out.elements)
    ctx.call("tml_gather", params, ctx.input_ptr(1), ctx.input_ptr(0), rows_int8, kernel="gather", checked=checked)
    dequantize = ctx.params("tml_dequantize_params", {"scale": f32(scale), "zero_point": 0,
                                                      "size": f"{out.elements}u"}, "dequantization")
    ctx.call("tml_dequantize_s8_f32", dequantize, f"(const int8_t *){rows_int8}", ctx.output_ptr(0),
             kernel="dequantize")
