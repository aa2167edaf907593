"""DEPTHWISE_CONV_2D with int16 activations and int8 weights (TFLM's 16x8 path); called by depthwise_conv2d.py.

Not registered itself: the DEPTHWISE_CONV_2D lowering dispatches here for int16 inputs. Mirrors
TFLM's depthwise Prepare (per-channel multipliers from double scales, a per-tensor scale broadcast
over the channels) and its int16 Eval, which always accumulates in int64 and reads the bias as
int64: an int32 bias would be misread there, so it is refused, as are nonzero zero points (the
kernel ignores them, so TFLM's result would not be the quantized convolution).
"""

from tinyml_build.runtimes.aot.ops._requant import scale_tables
from tinyml_build.runtimes.aot.ops._window import window
from tinyml_build.runtimes.aot.quantization import activation_range, i64_requant_problem, per_channel_multipliers


def lower_depthwise_conv2d_16x8(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    bias = ctx.input(2)
    ctx.require_constant(w, "weights")
    if len(w.shape) != 4 or w.shape[0] != 1:
        raise ctx.unsupported(f"weights must be [1, k_h, k_w, out_c], got {list(w.shape)}")
    _, k_h, k_w, out_c = w.shape
    g = window(ctx, x, y, k_h, k_w)
    if g.out_c != out_c:
        raise ctx.unsupported(f"output has {g.out_c} channels, weights {out_c}")
    multiplier = ctx.options.get("depth_multiplier", 1) or 1
    if g.in_c * multiplier != out_c:
        if out_c % g.in_c:  # TFLM derives the multiplier from the shapes when the option disagrees
            raise ctx.unsupported(f"{out_c} output channels are not a multiple of {g.in_c} input channels")
        multiplier = out_c // g.in_c
    if bias is not None:
        ctx.require_dtype(bias, ("int64",), "bias (TFLM's int16 depthwise kernel reads an int64 bias)")
        if not bias.is_constant or bias.elements != out_c:
            raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' must be constant with {out_c} values")

    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {in_zp}, {out_zp}): TFLM's 16x8 depthwise "
                              "kernel ignores them")
    wq = w.quantization
    if wq is None or any(z != 0 for z in wq.zero_point):
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' must be symmetrically quantized")
    if wq.per_channel and (len(wq.scale) != out_c or wq.axis != 3):
        raise ctx.unsupported("per-channel weights must be quantized along the output channel (axis 3)")
    multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, out_c)
    if i64_requant_problem(shifts):
        raise ctx.unsupported(i64_requant_problem(shifts))
    act_min, act_max = activation_range(ctx.options.get("fused_activation_function", "NONE"), "int16",
                                        out_scale, out_zp)
    params = ctx.params("tml_dwconv16x8_params", {
        "batches": g.batches, "in_h": g.in_h, "in_w": g.in_w, "in_ch": g.in_c,
        "out_h": g.out_h, "out_w": g.out_w, "out_ch": out_c, "depth_multiplier": multiplier,
        "filter_h": k_h, "filter_w": k_w, "stride_h": g.stride_h, "stride_w": g.stride_w,
        "dilation_h": g.dilation_h, "dilation_w": g.dilation_w, "pad_h": g.pad_h, "pad_w": g.pad_w,
        "act_min": act_min, "act_max": act_max,
        **scale_tables(ctx, multipliers, shifts),
    })
    ctx.call("tml_depthwise_conv2d_s16x8", params, ctx.input_ptr(0), ctx.ptr(w),
             ctx.ptr(bias) if bias is not None else "NULL", ctx.output_ptr(0), kernel="depthwise_conv2d_16x8")
