"""CONV_2D with int16 activations and int8 weights (TFLM's 16x8 path); called by conv2d.py.

Not registered itself: the CONV_2D lowering dispatches here for int16 inputs. Mirrors
TFLM's conv Prepare (per-channel multipliers, padding with dilation) and Eval's choice of
accumulator: int64 with a 64-bit rescale for an int64 bias (or none, unless the model asks
for int32 via quantized_bias_type), int32 for an int32 bias. Single-group convolutions run on a
gathered patch per output pixel (emit_patch_call), grouped ones on the kernel's tap runs.
"""

from tinyml_build.runtimes.aot.ops._requant import scale_tables
from tinyml_build.runtimes.aot.ops.fully_connected_16x8 import ROW_GROUP, s16x8_rows
from tinyml_build.runtimes.aot.quantization import (
    activation_range,
    compute_padding,
    i64_requant_problem,
    per_channel_multipliers,
)

TFLITE_INT32 = 2  # TensorType value of quantized_bias_type
STACK_PATCH = 256  # TML_CONV16X8_STACK_PATCH (tml_kernels.h): patch values the kernel can keep on its stack


def lower_conv2d_16x8(ctx) -> None:
    x = ctx.require_dtype(ctx.input(0), ("int16",), "input")
    w = ctx.require_dtype(ctx.input(1), ("int8",), "weights")
    y = ctx.require_dtype(ctx.output(0), ("int16",), "output")
    bias = ctx.input(2)
    ctx.require_constant(w, "weights")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise ctx.unsupported("input, weights and output must be 4-D (NHWC / OHWI)")
    batches, in_h, in_w, in_ch = x.shape
    out_ch, filter_h, filter_w, filter_in_ch = w.shape
    if in_ch % filter_in_ch or out_ch % (in_ch // filter_in_ch) or y.shape[0] != batches or y.shape[3] != out_ch:
        raise ctx.unsupported(f"shapes do not fit: input {list(x.shape)}, weights {list(w.shape)}, "
                              f"output {list(y.shape)}")
    opts = ctx.options
    stride_h, stride_w = int(opts.get("stride_h", 1)), int(opts.get("stride_w", 1))
    dilation_h, dilation_w = int(opts.get("dilation_h_factor", 1)), int(opts.get("dilation_w_factor", 1))
    if min(stride_h, stride_w, dilation_h, dilation_w) < 1:
        raise ctx.unsupported(f"strides ({stride_h}, {stride_w}) and dilations ({dilation_h}, {dilation_w}) "
                              "must be >= 1")
    padding = opts.get("padding", "SAME")
    if padding not in ("SAME", "VALID"):
        raise ctx.unsupported(f"padding {padding} is not supported")
    ph = compute_padding(padding, in_h, filter_h, stride_h, dilation_h)
    pw = compute_padding(padding, in_w, filter_w, stride_w, dilation_w)
    if (ph.out_size, pw.out_size) != (y.shape[1], y.shape[2]):
        raise ctx.unsupported(f"output {list(y.shape)} does not match the convolution's {ph.out_size}x{pw.out_size}")

    in_scale, in_zp = ctx.quantization(x)
    out_scale, out_zp = ctx.quantization(y)
    if (in_zp, out_zp) != (0, 0):
        raise ctx.unsupported(f"int16 tensors need zero points of 0 (got {in_zp}, {out_zp}), as in TFLM")
    wq = w.quantization
    if wq is None or any(z != 0 for z in wq.zero_point):
        raise ctx.unsupported(f"weights tensor #{w.index} '{w.name}' must be symmetrically quantized")
    if wq.per_channel and (len(wq.scale) != out_ch or wq.axis != 0):
        raise ctx.unsupported("per-channel weights must be quantized along the output channel (axis 0)")
    multipliers, shifts = per_channel_multipliers(in_scale, wq.scale, out_scale, out_ch)
    act_min, act_max = activation_range(opts.get("fused_activation_function", "NONE"), "int16", out_scale, out_zp)

    if bias is not None:
        ctx.require_dtype(bias, ("int64", "int32"), "bias")
        if not bias.is_constant or bias.elements != out_ch:
            raise ctx.unsupported(f"bias tensor #{bias.index} '{bias.name}' must be constant with {out_ch} values")
    int32_accumulator = ((bias.dtype == "int32") if bias is not None
                         else opts.get("quantized_bias_type", 0) == TFLITE_INT32)
    if not int32_accumulator and i64_requant_problem(shifts):
        raise ctx.unsupported(i64_requant_problem(shifts))
    params = ctx.params("tml_conv16x8_params", {
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_ch": in_ch,
        "out_h": y.shape[1], "out_w": y.shape[2], "out_ch": out_ch,
        "filter_h": filter_h, "filter_w": filter_w, "filter_in_ch": filter_in_ch,
        "stride_h": stride_h, "stride_w": stride_w, "dilation_h": dilation_h, "dilation_w": dilation_w,
        "pad_h": ph.before, "pad_w": pw.before, "act_min": act_min, "act_max": act_max,
        **scale_tables(ctx, multipliers, shifts),
    })
    accumulator = "acc32" if int32_accumulator else "acc64"
    bias_arg = ctx.ptr(bias) if bias is not None else "NULL"
    if filter_in_ch == in_ch:
        emit_patch_call(ctx, w, params, accumulator, bias_arg)
    else:
        ctx.call(f"tml_conv2d_s16x8_{accumulator}", params, ctx.input_ptr(0), ctx.ptr(w), bias_arg,
                 ctx.output_ptr(0), kernel="conv2d_16x8")


def emit_patch_call(ctx, w, params: str, accumulator: str, bias_arg: str) -> None:
    """tml_conv2d_s16x8_patch_*: a single-group convolution as one FULLY_CONNECTED 16x8 row per output
    pixel (its gathered receptive field, column-major: consecutive pixels share columns) against the
    weights transposed to that order, in FULLY_CONNECTED 16x8's layout."""
    out_ch = w.shape[0]
    depth = w.elements // out_ch
    column_major = w.array().transpose(0, 2, 1, 3).reshape(out_ch, depth)
    layout = ctx.array(s16x8_rows(column_major), "int8_t",
                       f"weights of tensor #{w.index} '{w.name}' as [out][filter_w][filter_h][in], rows "
                       f"interleaved in groups of {ROW_GROUP}")
    patch = ctx.scratch(2 * 2 * depth, optional=2 * depth <= STACK_PATCH)  # a mirrored ring: 2 * depth int16
    ctx.call(f"tml_conv2d_s16x8_patch_{accumulator}", params, ctx.input_ptr(0), layout, bias_arg,
             ctx.output_ptr(0), f"(int16_t *){patch}", kernel="conv2d_16x8")
