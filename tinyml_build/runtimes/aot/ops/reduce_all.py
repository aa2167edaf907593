"""REDUCE_ALL: logical AND over constant axes of a bool tensor, REDUCE_MIN's kernel.

Types are the pinned TFLM's (kernels/reduce_common.cc PrepareAllHelper / EvalAllHelper):
input bool, output bool, axis int32. TFLM runs ReduceGeneric starting from `true` with
`in && current`. Bool bytes are 0 or 1, so that is the minimum starting from any value above
1: `tml_reduce_min_s8` (start 127) on the same bytes, with MEAN's loop plan
(`mean.reduction_loops`: negative and repeated axes, keep_dims either way).
"""

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops._gather import refuse_empty
from tinyml_build.runtimes.aot.ops.mean import reduction_loops


@register("REDUCE_ALL")
def lower(ctx) -> None:
    refuse_empty(ctx)
    x = ctx.require_dtype(ctx.input(0), ("bool",), "input")
    y = ctx.require_dtype(ctx.output(0), ("bool",), "output")
    _count, loops = reduction_loops(ctx, x, y)
    ctx.call("tml_reduce_min_s8", ctx.params("tml_mean_params", loops), f"(const int8_t *){ctx.input_ptr(0)}",
             f"(int8_t *){ctx.output_ptr(0)}", kernel="reduce")
