"""Op uses TFLM's reference kernels refuse at start-up: tensor types their Prepare/Eval have no case
for, inputs their Prepare requires to be constants of the model, and (reference_quant_limits.py)
quantization parameters their Prepare ENSUREs.

Why: a runtime=tflm image of such a model builds and links, then stops on the device at
AllocateTensors ("Type INT16 not currently supported", "Node RESIZE_BILINEAR failed to prepare") or
at the first Invoke. Known here, the build and `inspect` refuse it with the op, where it is, the types
and what the kernel takes. The facts were read from the pinned TFLM's kernels/*.cc (op_inventory's
TFLM_COMMIT: their type switches, TF_LITE_ENSURE checks and IsConstantTensor requirements) and are
checked against the pinned host oracle by tests/test_reference_limits.py. Ops missing from _LIMITS
are not judged here (TFLM's Prepare still says so on the target): resource variables, control flow,
signal and decode ops, detection, and the ops whose kernel checks no type (RESHAPE,
SQUEEZE, LOGICAL_AND/OR read any input as bool). Quantization is judged for the ops and rules
reference_quant_limits.py lists; not judged: RELU6/fused-activation bounds that overflow, the other
ops' quantization checks (ADD/SUB's affine-quantization requirement, the LSTM's gate parameters, ...),
per-channel zero-point counts (the reader widens one zero point to every channel), the int16
TRANSPOSE_CONV bias type, an int8 SVDF without its bias (TFLM reads it regardless). An op whose
kernel a kernel library replaces is judged only with the reference kernels (the build filters).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyml_build.analysis.reference_quant_limits import check_quantization, tensor_at
from tinyml_build.model.reader import Model

_NUMERIC = "float32|int8|int16|int32"


@dataclass(frozen=True)
class Limit:
    """What one reference kernel accepts: `positions` ("in0", "out0", ...) whose dtypes decide, and
    the accepted `combos`, one pattern per position with alternatives separated by "|" ("*": any)."""

    file: str  # the kernel source under tensorflow/lite/micro/kernels/
    positions: tuple[str, ...]
    combos: tuple[tuple[str, ...], ...]
    constant: tuple[int, ...] = ()  # input positions Prepare requires to be constant tensors

    def accepts(self, dtypes: tuple[str, ...]) -> bool:
        return any(all(p == "*" or d in p.split("|") for d, p in zip(dtypes, combo)) for combo in self.combos)

    def describe(self) -> str:
        """The accepted combinations in words, e.g. 'float32 or int8' or 'int8 -> float32, ...'."""
        if len(self.positions) == 1:
            return " or ".join(d for combo in self.combos for d in combo[0].split("|"))
        return "; ".join(" with ".join(f"{_position_name(p)} {d.replace('|', '/').replace('*', 'of any type')}"
                                       for p, d in zip(self.positions, combo)) for combo in self.combos)


def _one(file: str, position: str, dtypes: str, constant: tuple[int, ...] = ()) -> Limit:
    return Limit(file, (position,), ((dtypes,),), constant)


def _pairs(file: str, positions: tuple[str, ...], *combos: str) -> Limit:
    """combos as 'in0-pattern/out0-pattern' strings."""
    return Limit(file, positions, tuple(tuple(c.split("/")) for c in combos))


_FLOAT = "float32"
_CAST_TYPES = "int8|int16|int32|uint32|float32"

# op -> the reference kernel's accepted types (and constant inputs), read from TFLM_COMMIT.
_LIMITS: dict[str, Limit] = {
    # element-wise, one input
    "ABS": _one("elementwise.cc", "in0", "float32|int8|int16"),
    "RSQRT": _one("elementwise.cc", "in0", "float32|int8|int16"),
    **{op: _one("elementwise.cc", "in0", _FLOAT) for op in ("SIN", "COS", "LOG", "SQRT", "SQUARE")},
    "LOGICAL_NOT": _one("elementwise.cc", "in0", "bool"),
    "CEIL": _one("ceil.cc", "in0", _FLOAT),
    "FLOOR": _one("floor.cc", "in0", _FLOAT),
    "ROUND": _one("round.cc", "in0", _FLOAT),
    "EXP": _one("exp.cc", "in0", _FLOAT),
    "NEG": _one("neg.cc", "in0", _FLOAT),
    "RELU": _one("activations.cc", "in0", "float32|int8|int16"),
    "RELU6": _one("activations.cc", "in0", "float32|int8|int16"),
    "ELU": _one("elu.cc", "in0", "float32|int8"),
    "HARD_SWISH": _one("hard_swish.cc", "in0", "float32|int8"),
    "LEAKY_RELU": _one("leaky_relu.cc", "in0", "float32|int8|int16"),
    "LOGISTIC": _one("logistic.cc", "in0", "float32|int8|int16"),
    "TANH": _one("tanh.cc", "in0", "float32|int8|int16"),
    "PRELU": _one("prelu.cc", "in0", "float32|int8|int16"),
    "L2_NORMALIZATION": _one("l2norm.cc", "out0", "float32|int8"),
    "LOG_SOFTMAX": _one("log_softmax.cc", "in0", "float32|int8"),
    "SOFTMAX": _pairs("softmax.cc", ("in0", "out0"), "float32/float32", "int8/int8|int16", "int16/int16"),
    "ZEROS_LIKE": _one("zeros_like.cc", "in0", "float32|int8|int32|int64"),
    "CUMSUM": _one("cumsum.cc", "in0", "float32|int8"),
    # element-wise, two inputs
    "ADD": _one("add.cc", "out0", _NUMERIC),
    "SUB": _one("sub.cc", "out0", _NUMERIC),
    "MUL": _one("mul.cc", "in0", _NUMERIC),
    "DIV": _one("div.cc", "out0", "float32|int32|int8"),
    "ADD_N": _one("add_n.cc", "out0", "float32|int8"),
    "SQUARED_DIFFERENCE": _one("squared_difference.cc", "out0", _NUMERIC),
    "MAXIMUM": _one("maximum_minimum.cc", "out0", _NUMERIC + "|int64"),
    "MINIMUM": _one("maximum_minimum.cc", "out0", _NUMERIC + "|int64"),
    "FLOOR_DIV": _one("floor_div.cc", "in0", _FLOAT),
    "FLOOR_MOD": _one("floor_mod.cc", "in0", _FLOAT),
    "EQUAL": _one("comparisons.cc", "in0", "bool|float32|int8|int32|int64"),
    "NOT_EQUAL": _one("comparisons.cc", "in0", "bool|float32|int8|int32|int64"),
    "GREATER": _one("comparisons.cc", "in0", "float32|int8|int16|int32|int64"),
    "GREATER_EQUAL": _one("comparisons.cc", "in0", "float32|int8|int32|int64"),
    "LESS": _one("comparisons.cc", "in0", "float32|int8|int32|int64"),
    "LESS_EQUAL": _one("comparisons.cc", "in0", "float32|int8|int32|int64"),
    "SELECT_V2": _one("select.cc", "in1", "float32|int8|int16"),
    # type conversions
    "CAST": _pairs("cast.cc", ("in0", "out0"), f"{_CAST_TYPES}|bool/{_CAST_TYPES}"),
    "QUANTIZE": _pairs("quantize.cc", ("in0", "out0"), "float32/int8|int16", "int32/int8|int16",
                       "int16/int8|int16|int32", "int8/int8|uint8|int16|int32", "uint8/int8"),
    "DEQUANTIZE": _pairs("dequantize.cc", ("in0", "out0"), "int8|int16|uint8/float32"),
    # data movement
    "CONCATENATION": _one("concatenation.cc", "out0", "bool|float32|int8|int16|int32|int64"),
    "PACK": _one("pack.cc", "out0", "float32|int8|int16|int32|int64"),
    "UNPACK": _one("unpack.cc", "in0", _NUMERIC),
    "SPLIT": _one("split.cc", "in1", _NUMERIC, constant=(0,)),
    "SPLIT_V": _one("split_v.cc", "in0", _NUMERIC, constant=(2,)),
    "EXPAND_DIMS": _one("expand_dims.cc", "in0", "float32|int8|int16", constant=(1,)),
    "TRANSPOSE": _one("transpose.cc", "in0", "float32|int8|int16", constant=(1,)),
    "PAD": _one("pad.cc", "in0", _NUMERIC, constant=(1,)),
    "PADV2": _one("pad.cc", "in0", _NUMERIC, constant=(1,)),
    "MIRROR_PAD": _one("mirror_pad.cc", "out0", "float32|int8"),
    "SLICE": _one("slice.cc", "in0", _NUMERIC + "|bool"),
    "STRIDED_SLICE": _one("strided_slice.cc", "out0", _NUMERIC + "|bool", constant=(1, 2, 3)),
    "REVERSE_V2": _one("reverse.cc", "in0", "bool|float32|int8|int16|int32|int64|uint8"),
    "GATHER": _pairs("gather.cc", ("in0", "in1"), "float32|int8/int32"),
    "GATHER_ND": _pairs("gather_nd.cc", ("in0", "in1"), "float32|int8/int32"),
    "EMBEDDING_LOOKUP": _one("embedding_lookup.cc", "in1", "float32|int8"),
    "DYNAMIC_UPDATE_SLICE": _one("dynamic_update_slice.cc", "in0", _NUMERIC),
    "FILL": _one("fill.cc", "in1", "float32|int8|int32", constant=(0,)),
    "BROADCAST_TO": Limit("broadcast_to.cc", (), ((),), constant=(1,)),
    "BROADCAST_ARGS": _one("broadcast_args.cc", "in0", "int32|int64"),
    "SHAPE": _one("shape.cc", "out0", "int32"),
    "DEPTH_TO_SPACE": _one("depth_to_space.cc", "in0", "float32|int8"),
    "SPACE_TO_DEPTH": _one("space_to_depth.cc", "in0", "float32|int8"),
    "BATCH_TO_SPACE_ND": _one("batch_to_space_nd.cc", "in0", "float32|int8"),
    "SPACE_TO_BATCH_ND": _one("space_to_batch_nd.cc", "in0", "float32|int8"),
    "RESIZE_BILINEAR": _one("resize_bilinear.cc", "in0", "float32|int8", constant=(1,)),
    "RESIZE_NEAREST_NEIGHBOR": _one("resize_nearest_neighbor.cc", "in0", "float32|int8|int16", constant=(1,)),
    # reductions
    "MEAN": _one("reduce.cc", "in0", "float32|int8|int16"),
    "SUM": _one("reduce.cc", "in0", "float32|int8|int16"),
    "REDUCE_MAX": _one("reduce.cc", "in0", "float32|int8"),
    "REDUCE_MIN": _one("reduce.cc", "in0", "float32|int8"),
    "REDUCE_ALL": _one("reduce.cc", "in0", "bool"),
    "ARG_MAX": _pairs("arg_min_max.cc", ("in0", "out0"), "float32|int8/int32"),
    "ARG_MIN": _pairs("arg_min_max.cc", ("in0", "out0"), "float32|int8/int32"),
    # windows and matrix products
    "AVERAGE_POOL_2D": _one("pooling.cc", "in0", "float32|int8|int16"),
    "MAX_POOL_2D": _one("pooling.cc", "in0", "float32|int8|int16"),
    "L2_POOL_2D": _one("l2_pool_2d.cc", "in0", _FLOAT),
    "CONV_2D": _pairs("conv.cc", ("in0", "in1"), "float32/float32", "int8/int8|int4", "int16/int8"),
    "DEPTHWISE_CONV_2D": _pairs("depthwise_conv.cc", ("in0", "in1"), "float32/float32", "int8/int8|int4",
                                "int16/int8"),
    "FULLY_CONNECTED": _pairs("fully_connected.cc", ("in0", "in1"), "float32/float32", "int8/int8|int4",
                              "int16/int8"),
    "BATCH_MATMUL": _one("batch_matmul.cc", "in0", "float32|int8|int16"),
    # input 2 is TRANSPOSE_CONV's data, input 1 its filter (input 0 the output shape, which it does not read)
    # SVDF: input, weights_feature, weights_time, (bias,) activation state
    "SVDF": Limit("svdf_common.cc", ("in0", "in1", "in2", "in4"), (("float32",) * 4,
                                                                   ("int8", "int8", "int16|int8", "int16|int8"))),
    # UNIDIRECTIONAL_SEQUENCE_LSTM: input, input-to-forget weights (all eight alike: lstm_eval.cc), cell state;
    # Eval switches on the input type (float32 reads any weights as float), Prepare on the cell state's
    "UNIDIRECTIONAL_SEQUENCE_LSTM": Limit("unidirectional_sequence_lstm.cc", ("in0", "in2", "in19"),
                                          (("float32", "*", "float32|int16"), ("int8|int16", "int8", "float32|int16"))),
    "TRANSPOSE_CONV": _pairs("transpose_conv.cc", ("in2", "in1"), "float32/float32", "int8/int8", "int16/int8"),
}


def _position_name(position: str) -> str:
    return ("input " if position.startswith("in") else "output ") + position.lstrip("inout")


def limit_of(op_name: str) -> Limit | None:
    """The reference kernel's limits of `op_name`, None when this table does not judge it."""
    return _LIMITS.get(op_name)


def judged_ops() -> list[str]:
    return sorted(_LIMITS)


def _dtype_at(op, sg, position: str) -> str | None:
    t = tensor_at(op, sg, position)
    return None if t is None else t.dtype


def check_use(op, sg) -> str | None:
    """The refusal of one op use ('op #N NAME (subgraph S): what; what TFLM's kernel accepts'), or None."""
    limit = _LIMITS.get(op.name)
    if limit is None:
        return None
    where = f"op #{op.index} {op.name} (subgraph {sg.index})"
    dtypes = tuple(_dtype_at(op, sg, p) for p in limit.positions)
    if None not in dtypes and not limit.accepts(dtypes):
        got = ", ".join(f"{_position_name(p)} {d}" for p, d in zip(limit.positions, dtypes))
        return f"{where}: {got}; TFLM's reference {limit.file} takes {limit.describe()} there"
    for k in limit.constant:
        if k < len(op.inputs) and 0 <= op.inputs[k] < len(sg.tensors) and not sg.tensors[op.inputs[k]].is_constant:
            return (f"{where}: input {k} is computed at run time; TFLM's reference {limit.file} requires it to be "
                    "a constant of the model")
    return check_quantization(op, sg, where)


def reference_refusals(model: Model) -> tuple[tuple[str, str], ...]:
    """(op name, reason) for every op use the reference kernels refuse, in model order."""
    found = []
    for sg in model.subgraphs:
        for op in sg.operators:
            reason = check_use(op, sg)
            if reason is not None:
                found.append((op.name, reason))
    return tuple(found)


def refusal(reasons: list[str], aot_builds: bool) -> tuple[str, str]:
    """(what, fix) of the build's and `inspect`'s refusal: the first reason, how many more, and the
    way out -- runtime=aot when it builds the model, else a re-export."""
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    fix = ("use runtime=aot (it builds this model)" if aot_builds else
           "re-export the model so that the op gets types and quantization TFLM's kernel takes (e.g. int8 rather "
           "than 16x8 quantization, the scale and zero point named above, as the TF converter writes them) and "
           "constant shapes (a fixed batch size), or leave the op out")
    return f"runtime=tflm cannot run this model: {reasons[0]}{more}", fix
