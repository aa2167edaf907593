"""Quantization parameters TFLM's reference kernels refuse at start-up: the TF_LITE_ENSUREs on
scales and zero points in their Prepare (and the first Invoke of REDUCE_MAX/MIN).

Why: a hand-made or non-TF-converter model whose int8 LOGISTIC output has zero point 0, or whose
int16 tensors are not symmetric, builds and links, then stops on the device at AllocateTensors with
"... was not true". reference_limits.check_use asks here once the op's types are accepted, so every
rule may assume the types the kernel takes. Each rule names the pinned TFLM file and function it was
read from (op_inventory's TFLM_COMMIT) and is checked against the pinned host oracle by
tests/test_reference_limits.py.

A tensor without quantization parameters has scale 0 and zero point 0 in TFLM (its `params`), and
so here. Per-channel tensors count with their first scale and zero point, as TFLM's `params` do.
"""

from __future__ import annotations

import math
from collections.abc import Callable

_INT16_OUT_SCALE = "scale 2^-15 (1/32768)"


def tensor_at(op, sg, position: str):
    """The tensor at 'in0'/'out0'..., None when absent (an omitted optional input or out of range)."""
    indices = op.inputs if position.startswith("in") else op.outputs
    k = int(position.lstrip("inout"))
    if k >= len(indices) or not 0 <= indices[k] < len(sg.tensors):
        return None
    return sg.tensors[indices[k]]


def _scale(t) -> float:
    return t.quantization.scale[0] if t.quantization else 0.0


def _zp(t) -> int:
    return t.quantization.zero_point[0] if t.quantization else 0


def _name(position: str, t) -> str:
    """The tensor as the refusal names it; its name from the model is escaped where the message is
    printed (TinyMLError, inspect), as every other refusal's is: escaping here too doubled it."""
    role = "input " if position.startswith("in") else "output "
    return f"{role}{position.lstrip('inout')} '{t.name}'"


def _fmt(value: float) -> str:
    return f"{value:.9g}"


def _log2_is(value: float, exponent: int) -> bool:
    """TFLM's CheckedLog2 (quantization_util.cc) of `value` succeeds and gives `exponent`."""
    if not value > 0:
        return False
    log2 = math.log(value) / math.log(2.0)
    return abs(log2 - round(log2)) < 1e-3 and round(log2) == exponent


# A check takes (op, sg) and returns (position, what the model has, what the kernel requires) or None.
Check = Callable[..., "tuple[str, str, str] | None"]


def _expand(op, positions: tuple[str, ...]) -> list[str]:
    """`positions` with "in*" standing for every input."""
    return [q for p in positions for q in ([f"in{k}" for k in range(len(op.inputs))] if p == "in*" else [p])]


def _zero_points_zero(*positions: str) -> Check:
    def check(op, sg):
        for p in _expand(op, positions):
            t = tensor_at(op, sg, p)
            if t is not None and _zp(t) != 0:
                return p, f"zero point {_zp(t)}", "zero point 0"
        return None
    return check


def _output(zero_point: int | None, scale: str | None, scale_ok: Callable[[float], bool] = lambda s: True) -> Check:
    """Output 0 must have `zero_point` (None: any) and a scale `scale_ok` accepts (described by `scale`)."""
    def check(op, sg):
        t = tensor_at(op, sg, "out0")
        if t is None:
            return None
        if zero_point is not None and _zp(t) != zero_point:
            return "out0", f"zero point {_zp(t)}", f"zero point {zero_point}"
        if scale is not None and not scale_ok(_scale(t)):
            return "out0", f"scale {_fmt(_scale(t))}", scale
        return None
    return check


def _same_as_output(*inputs: str, scale_tolerance: float | None = 0.0) -> Check:
    """Each of `inputs` has output 0's zero point and scale (|difference| <= tolerance; None: any scale)."""
    def check(op, sg):
        out = tensor_at(op, sg, "out0")
        for p in _expand(op, inputs):
            t = tensor_at(op, sg, p)
            if t is None or out is None:
                continue
            if scale_tolerance is not None and abs(_scale(t) - _scale(out)) > scale_tolerance:
                return p, f"scale {_fmt(_scale(t))}", f"output 0's scale {_fmt(_scale(out))}"
            if _zp(t) != _zp(out):
                return p, f"zero point {_zp(t)}", f"output 0's zero point {_zp(out)}"
        return None
    return check


def _all_inputs_like_first(op, sg):
    first = tensor_at(op, sg, "in0")
    for k in range(1, len(op.inputs)):
        t = tensor_at(op, sg, f"in{k}")
        if t is not None and (_zp(t), _scale(t)) != (_zp(first), _scale(first)):
            return (f"in{k}", f"zero point {_zp(t)}, scale {_fmt(_scale(t))}",
                    f"input 0's zero point {_zp(first)} and scale {_fmt(_scale(first))}")
    return None


def _filter_channels(dimension: int, data: str = "in0") -> Check:
    """A quantized conv's filter (input 1) has quantization, one scale or one per output channel
    (filter dimension `dimension`), and its data input (`data`) has quantization."""
    def check(op, sg):
        x, w = tensor_at(op, sg, data), tensor_at(op, sg, "in1")
        if x is None or w is None:
            return None
        for p, t in (("in1", w), (data, x)):
            if t.quantization is None:
                return p, "no quantization parameters", "a scale and zero point (affine quantization)"
        n = len(w.quantization.scale)
        if n > 1 and n != w.shape[dimension]:
            return ("in1", f"{n} per-channel scales along dimension {w.quantization.axis}",
                    f"one scale per output channel, along dimension {dimension} ({w.shape[dimension]} channels)")
        return None
    return check


def fc_bias_scale_problem(input_scale: float, weights_scale: float, bias,
                          output_scale: float) -> tuple[str, str] | None:
    """What TFLM's GetQuantizedConvolutionMultipler (kernel_util.cc) refuses in a per-tensor quantized
    FULLY_CONNECTED: a bias scale off input scale x weights scale by more than 2% of the output scale
    (aot's fully_connected lowering refuses the same): (what the bias has, what TFLM requires), None
    when it takes the bias."""
    product = input_scale * weights_scale
    if not (output_scale > 0 and abs(product - _scale(bias)) / output_scale > 0.02):
        return None
    return (f"scale {_fmt(_scale(bias))}",
            f"input scale x weights scale ({_fmt(product)}) within 2% of the output scale")


def _svdf_bias(op, sg):
    """int8 SVDF: bias scale within 1e-5 of activation state scale x weights_time scale."""
    bias, state, wt = tensor_at(op, sg, "in3"), tensor_at(op, sg, "in4"), tensor_at(op, sg, "in2")
    if bias is None or state is None or wt is None:
        return None
    product = _scale(state) * _scale(wt)
    if not abs(_scale(bias) - product) < 1e-5:
        return "in3", f"scale {_fmt(_scale(bias))}", f"activation state scale x weights_time scale ({_fmt(product)})"
    return None


def _fully_connected(op, sg):
    """Per-channel weights: not int4. Per-tensor weights with a bias: the bias scale within 2% of an
    output step of input scale x weights scale (GetQuantizedConvolutionMultipler)."""
    x, w, out = tensor_at(op, sg, "in0"), tensor_at(op, sg, "in1"), tensor_at(op, sg, "out0")
    bias = tensor_at(op, sg, "in2")
    if x is None or w is None or out is None:
        return None
    if w.quantization is not None and w.quantization.per_channel:
        if w.dtype == "int4":
            return "in1", "int4 with per-channel scales", "per-tensor quantization for int4 weights"
        return None
    problem = fc_bias_scale_problem(_scale(x), _scale(w), bias, _scale(out)) if bias is not None else None
    return ("in2", *problem) if problem else None


_INT16_POT_OUT = _output(0, _INT16_OUT_SCALE, lambda s: _log2_is(s, -15))



class Rule:
    """`checks` apply when the op's dtypes match `when` ("in0:int8|int16", "in0:int8 out0:int16":
    position, its accepted dtypes); read from `function` of `file` (under tensorflow/lite/micro/kernels/)."""

    def __init__(self, when: str, file: str, function: str, *checks: Check):
        self.when = tuple((p, tuple(d.split("|"))) for p, d in (w.split(":") for w in when.split()))
        self.file, self.function, self.checks = file, function, checks

    def applies(self, op, sg) -> str | None:
        """The dtype of the first position of `when` when the op matches, else None."""
        dtypes = [getattr(tensor_at(op, sg, p), "dtype", None) for p, _d in self.when]
        return dtypes[0] if all(d in accepted for d, (_p, accepted) in zip(dtypes, self.when)) else None


_POPULATE = "kernel_util.cc's PopulateConvolutionQuantizationParams"
_SOFTMAX = ("softmax_common.cc", "CalculateSoftmaxParams")

_RULES: dict[str, tuple[Rule, ...]] = {
    "LOGISTIC": (Rule("in0:int8", "logistic_common.cc", "CalculateArithmeticOpDataLogistic", _output(-128, None)),
                 Rule("in0:int16", "logistic_common.cc", "CalculateArithmeticOpDataLogistic",
                      _zero_points_zero("in0"), _INT16_POT_OUT)),
    "TANH": (Rule("in0:int16", "tanh.cc", "CalculateArithmeticOpData", _zero_points_zero("in0"), _INT16_POT_OUT),),
    "RELU": (Rule("in0:int16", "activations_common.cc", "ReluPrepare", _zero_points_zero("in0", "out0")),),
    "SOFTMAX": (Rule("in0:int16", *_SOFTMAX, _zero_points_zero("in0"),
                     _output(0, "scale 1/32768 (within 0.1%)", lambda s: abs(s - 1 / 32768) <= 0.001 / 32768)),
                Rule("in0:int8 out0:int16", *_SOFTMAX,
                     _output(-32768, "scale 1/65536 (within 0.1%)", lambda s: abs(s - 1 / 65536) <= 0.001 / 65536)),
                Rule("in0:int8 out0:int8", *_SOFTMAX, _output(-128, "scale exactly 1/256", lambda s: s == 1 / 256))),
    "LOG_SOFTMAX": (Rule("in0:int8", "log_softmax.cc", "CalculateOpData",
                         _output(127, "scale exactly 16/256", lambda s: s == 16 / 256)),),
    "MUL": (Rule("in0:int16", "mul_common.cc", "CalculateOpDataMul", _zero_points_zero("in0", "in1", "out0")),),
    "SQUARED_DIFFERENCE": (Rule("in0:int16", "squared_difference.cc", "SquaredDifferencePrepare",
                                _zero_points_zero("in0", "in1", "out0")),),
    "BATCH_MATMUL": (Rule("in0:int16", "batch_matmul.cc", "BatchMatMulPrepare",
                          _zero_points_zero("in0", "in1", "out0")),),
    "CONCATENATION": (Rule("out0:int8", "concatenation.cc", "ConcatenationPrepare",
                           _same_as_output("in*")),
                      Rule("out0:int16", "concatenation.cc", "ConcatenationPrepare",
                           _zero_points_zero("in*", "out0"))),
    "ADD_N": (Rule("out0:int8", "add_n.cc", "CalculateOpData", _all_inputs_like_first),),
    "PADV2": (Rule("in0:int8", "pad_common.cc", "PadPrepare", _same_as_output("in2")),),
    "AVERAGE_POOL_2D": (Rule("in0:int8|int16", "pooling_common.cc", "PoolingPrepare",
                             _same_as_output("in0", scale_tolerance=1e-6)),),
    "MAX_POOL_2D": (Rule("in0:int8|int16", "pooling_common.cc", "PoolingPrepare",
                         _same_as_output("in0", scale_tolerance=1e-6)),),
    "REDUCE_MAX": (Rule("in0:int8", "reduce_common.cc", "EvalMinMaxHelper", _same_as_output("in0")),),
    "REDUCE_MIN": (Rule("in0:int8", "reduce_common.cc", "EvalMinMaxHelper", _same_as_output("in0")),),
    "CONV_2D": (Rule("in0:int8|int16", "conv_common.cc", f"ConvPrepare; {_POPULATE}", _filter_channels(0)),),
    "DEPTHWISE_CONV_2D": (Rule("in0:int8|int16", "depthwise_conv_common.cc", f"DepthwiseConvPrepare; {_POPULATE}",
                               _filter_channels(3)),),
    # TRANSPOSE_CONV: input 0 is the output shape, 1 the filter, 2 the data
    "TRANSPOSE_CONV": (Rule("in2:int8|int16", "transpose_conv.cc", f"TransposeConvPrepare; {_POPULATE}",
                            _filter_channels(0, data="in2")),),
    "SVDF": (Rule("in0:int8", "svdf_common.cc", "PrepareSvdf", _svdf_bias),),
    "FULLY_CONNECTED": (Rule("in0:int8|int16", "fully_connected_common.cc",
                             "CalculateOpDataFullyConnected; kernel_util.cc's GetQuantizedConvolutionMultipler",
                             _fully_connected),),
}


def judged_ops() -> list[str]:
    return sorted(_RULES)


def check_quantization(op, sg, where: str) -> str | None:
    """The refusal of `op`'s quantization ('{where}: output 0 'y' has zero point 0; TFLM's reference
    logistic_common.cc (...) requires zero point -128 for int8'), None when the kernel takes it."""
    for rule in _RULES.get(op.name, ()):
        dtype = rule.applies(op, sg)
        if dtype is None:
            continue
        for check in rule.checks:
            found = check(op, sg)
            if found:
                position, got, need = found
                t = tensor_at(op, sg, position)
                return (f"{where}: {_name(position, t)} has {got}; TFLM's reference {rule.file} "
                        f"({rule.function}) requires {need} for {dtype}")
    return None
