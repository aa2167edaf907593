"""REDUCE_MAX, REDUCE_MIN (int8, float32) and SUM (int8, int16, float32) over constant axes.

TFLM (micro/kernels/reduce_common.cc) -- TILE has no micro kernel, so it is not here:
- REDUCE_MAX / REDUCE_MIN: ReduceGeneric with the type's lowest / highest value as the initial
  value; int8 needs the output's scale and zero point equal to the input's (Eval fails
  otherwise: refused here), values are compared as stored. kernels/reduce.c.
- SUM float32: ReduceGeneric, 0.0f plus each reduced element in input order (kernels/reduce.c,
  same order, so the same float rounding).
- SUM int8 / int16: QuantizedMeanOrSum with compute_sum: int32 sums minus zero point * count,
  one MultiplyByQuantizedMultiplier by QuantizeMultiplier(in_scale / out_scale) (double), no
  1/count folding: MEAN's kernel (kernels/mean.c) with that multiplier.
Axes: ops/mean.py's reduction_loops (constant int32, negative allowed, keep_dims either way
since only the element order matters).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops.mean import reduction_loops
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

SUFFIX = {"int8": "s8", "int16": "s16", "float32": "f32"}


@register("REDUCE_MAX", "REDUCE_MIN")
def lower_min_max(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int8", "float32"), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    if x.dtype == "int8" and ctx.quantization(x) != ctx.quantization(y):
        raise ctx.unsupported(f"int8 output quantization {ctx.quantization(y)} differs from the input's "
                              f"{ctx.quantization(x)} (TFLM requires them equal)")
    _count, loops = reduction_loops(ctx, x, y)
    params = ctx.params("tml_mean_params", loops)
    kind = "max" if ctx.name == "REDUCE_MAX" else "min"
    ctx.call(f"tml_reduce_{kind}_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="reduce")


@register("SUM")
def lower_sum(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), tuple(SUFFIX), "input")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    count, loops = reduction_loops(ctx, x, y)
    if x.dtype == "float32":
        params = ctx.params("tml_mean_params", loops)
        ctx.call("tml_reduce_sum_f32", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="reduce")
        return
    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    multiplier, shift = quantize_multiplier(float(in_scale) / float(out_scale))
    params = ctx.params("tml_mean_params", {
        **loops, "input_zero_point_sum": in_zp * count, "output_zero_point": out_zp,
        "multiplier": multiplier, "shift": shift,
    })
    ctx.call(f"tml_mean_{SUFFIX[x.dtype]}", params, ctx.input_ptr(0), ctx.output_ptr(0), kernel="mean")
