"""SVDF: int8 input with int16 or int8 state/time weights, and float32.

Mirrors TFLM's PrepareSvdf / svdf_common.cc. The state (input 4) is a variable tensor the op
rewrites in place: the arena keeps it for the whole run and init() fills it (lower.py), so it
carries over between invocations as on TFLM. Both effective scales are float32 products taken
to double, as Prepare computes them. The kernel subtracts the input and state zero points in its
dot products (free with SXTAB16 on Cortex-M4) rather than reading per-filter folded constants:
those cost 8 B of flash per filter, more than 5 % of keyword_scrambled's weights. The int8
feature weights are stored in the order the kernel's four-row pass reads them (interleaved_rows,
the row interleaving of FULLY_CONNECTED 16x8's layout): the same bytes, rearranged at build time.
The float path applies the fused activation as TFLM's ActivationValFloat: every one the schema
names (NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT), with fmax/fmin rather than a clamp.
"""

import numpy as np

from tinyml_build.runtimes.aot.ops import register
from tinyml_build.runtimes.aot.ops.fully_connected_16x8 import ROW_GROUP, interleaved_rows
from tinyml_build.runtimes.aot.quantization import quantize_multiplier

STATE_CALLS = {"int16": "tml_svdf_s8_s16", "int8": "tml_svdf_s8_s8"}
# The kernel's feature pass reads four rows at a time from FULLY_CONNECTED 16x8's row interleaving
# (interleaved_rows; kernels/svdf.c TML_SVDF_GROUP is this ROW_GROUP).
FEATURE_GROUP = ROW_GROUP
# The float path's fused activations: TFLM's ActivationValFloat, as TML_SVDF_ACT_* (tml_kernels.h) numbers them.
FLOAT_ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4, "SIGN_BIT": 5}


def _dims(ctx):
    """(batches, input_size, filters, memory, rank) after PrepareSvdf's shape checks."""
    x, wf, wt, y = ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0)
    state = ctx.input(4)
    if wf is None or wt is None or state is None:
        raise ctx.unsupported("SVDF needs feature weights, time weights and a state tensor (inputs 1, 2, 4)")
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(y.shape) != 2:
        raise ctx.unsupported("input, weights and output must be 2-D as TFLM requires")
    rank = int(ctx.options.get("rank", 0) or 0)
    batches, input_size = x.shape
    filters, memory = wf.shape[0], wt.shape[1]
    if rank <= 0 or filters % rank:
        raise ctx.unsupported(f"rank {rank} does not divide the {filters} filters")
    units = filters // rank
    if wf.shape[1] != input_size or wt.shape[0] != filters or tuple(y.shape) != (batches, units):
        raise ctx.unsupported(f"shapes do not match: input {list(x.shape)}, feature weights {list(wf.shape)}, "
                              f"time weights {list(wt.shape)}, output {list(y.shape)}")
    if not state.is_variable or tuple(state.shape) != (batches, memory * filters):
        raise ctx.unsupported(f"state tensor #{state.index} '{state.name}' must be a variable "
                              f"[{batches}, {memory * filters}] tensor")
    for t in (wf, wt, ctx.input(3)):
        if t is not None:
            ctx.require_constant(t)
    return batches, input_size, filters, memory, rank


@register("SVDF")
def lower(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int8", "float32"), "input")
    dims = _dims(ctx)
    if x.dtype == "float32":
        _lower_float(ctx, dims)
    else:
        _lower_int8(ctx, dims)


def _f32(x) -> np.float32:
    return np.float32(x)


def _lower_int8(ctx, dims) -> None:
    batches, input_size, filters, memory, rank = dims
    x = ctx.input(0)
    wf = ctx.require_dtype(ctx.input(1), ("int8",), "feature weights")
    state = ctx.require_dtype(ctx.input(4), ("int16", "int8"), "state")
    wt = ctx.require_dtype(ctx.input(2), (state.dtype,), "time weights")
    bias = ctx.require_dtype(ctx.input(3), ("int32",), "bias")  # TFLM's Prepare reads its scale
    y = ctx.require_dtype(ctx.output(0), ("int8",), "output")
    in_scale, in_zp = ctx.quantization(x)
    wf_scale, _ = ctx.quantization(wf)
    wt_scale, _ = ctx.quantization(wt)
    state_scale, state_zp = ctx.quantization(state)
    bias_scale, _ = ctx.quantization(bias)
    out_scale, out_zp = ctx.quantization(y)
    if abs(float(_f32(bias_scale)) - float(_f32(state_scale) * _f32(wt_scale))) >= 1e-5:
        raise ctx.unsupported("bias scale differs from state scale x time weight scale (TFLM refuses it)")
    # PrepareSvdf: float32 arithmetic, then double for QuantizeMultiplier.
    m1, s1 = quantize_multiplier(float(_f32(in_scale) * _f32(wf_scale) / _f32(state_scale)))
    m2, s2 = quantize_multiplier(float(_f32(state_scale) * _f32(wt_scale) / _f32(out_scale)))

    units = filters // rank
    if bias.elements != units:
        raise ctx.unsupported(f"bias has {bias.elements} elements, expected {units}")
    params = ctx.params("tml_svdf_s8_params", {
        "weights_feature": ctx.array(interleaved_rows(wf.array()), "int8_t",
                                     f"feature weights of tensor #{wf.index} in the kernel's row-group order"),
        "weights_time": ctx.ptr(wt),
        "bias": ctx.ptr(bias),
        "batches": batches, "input_size": input_size, "filters": filters, "memory": memory, "rank": rank,
        "multiplier1": m1, "shift1": s1, "multiplier2": m2, "shift2": s2,
        "input_zero_point": in_zp, "state_zero_point": state_zp, "output_zero_point": out_zp,
    })
    ctx.call(STATE_CALLS[state.dtype], params, ctx.input_ptr(0), ctx.ptr(state, const=False), ctx.output_ptr(0),
             kernel="svdf")


def _lower_float(ctx, dims) -> None:
    batches, input_size, filters, memory, rank = dims
    for n, role in ((1, "feature weights"), (2, "time weights"), (4, "state")):
        ctx.require_dtype(ctx.input(n), ("float32",), role)
    bias = ctx.require_dtype(ctx.input(3), ("float32",), "bias")  # the pinned TFLM aborts without one
    if bias.elements != filters // rank:
        raise ctx.unsupported(f"bias has {bias.elements} elements, expected {filters // rank}")
    ctx.require_dtype(ctx.output(0), ("float32",), "output")
    activation = ctx.options.get("fused_activation_function", "NONE")
    if activation not in FLOAT_ACTIVATIONS:
        raise ctx.unsupported(f"fused activation {activation}: TFLM's float SVDF knows "
                              f"{', '.join(FLOAT_ACTIVATIONS)}")
    params = ctx.params("tml_svdf_f32_params", {
        "weights_feature": ctx.ptr(ctx.input(1)),
        "weights_time": ctx.ptr(ctx.input(2)),
        "bias": ctx.ptr(bias),
        "batches": batches, "input_size": input_size, "filters": filters, "memory": memory, "rank": rank,
        "activation": FLOAT_ACTIVATIONS[activation],
    })
    ctx.call("tml_svdf_f32", params, ctx.input_ptr(0), ctx.ptr(ctx.input(4), const=False), ctx.output_ptr(0),
             kernel="svdf_f32")
