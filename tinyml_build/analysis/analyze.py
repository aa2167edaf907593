"""What a model costs and whether it suits a microcontroller.

From a parsed model: per-op MACs, parameter and weight bytes, activation tensor lifetimes,
the static arena plan those lifetimes allow, and findings that would make a firmware build
fail later or compute wrong results (hybrid / dynamic-range quantization, float16 weights, output
shapes TFLM would take on trust: static_shapes.py), each naming the tensor and op and the fix.
"""

import math
from collections import Counter
from dataclasses import dataclass, field

from tinyml_build.analysis.memory_plan import Buffer, Plan, plan_memory
from tinyml_build.analysis.npu_ops import npu_op_findings
from tinyml_build.analysis.static_shapes import static_shape_findings
from tinyml_build.errors import ModelError
from tinyml_build.model.reader import Model, Operator, Subgraph, Tensor

FULL_INTEGER_FIX = (
    "convert with full-integer quantization: converter.optimizations = [tf.lite.Optimize.DEFAULT]; "
    "converter.representative_dataset = <a generator of real input samples>; "
    "converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]; "
    "converter.inference_input_type = converter.inference_output_type = tf.int8"
)


@dataclass(frozen=True)
class Finding:
    severity: str  # "error": the model cannot be built for a microcontroller; "warning": it can, but look
    what: str
    fix: str


@dataclass(frozen=True)
class OpCost:
    index: int
    name: str
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    macs: int


@dataclass(frozen=True)
class Lifetime:
    first: int  # op index where the tensor must first hold data
    last: int  # last op index that reads it


@dataclass
class Analysis:
    model: Model
    ops: list[OpCost]
    op_counts: dict[str, int]  # op name -> occurrences, sorted by name
    op_versions: dict[str, list[int]]
    parameters: int  # elements of constant tensors
    weight_bytes: int  # bytes of constant tensors
    macs: int
    lifetimes: dict[int, Lifetime]  # activation tensor index -> lifetime (main subgraph)
    arena: Plan  # static plan of the activation tensors
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def tensor_kind(self, tensor: Tensor) -> str:
        sg = self.model.main
        if tensor.index in sg.inputs:
            return "input"
        if tensor.index in sg.outputs:
            return "output"
        if tensor.is_variable:
            return "variable"
        if tensor.is_constant:
            return "constant"
        return "activation" if tensor.index in self.lifetimes else "unused"


def analyze(model: Model) -> Analysis:
    sg = model.main
    ops = [OpCost(op.index, op.name, op.opcode.version, op.inputs, op.outputs, op_macs(op, sg)) for op in sg.operators]
    counts = Counter(op.name for sg_ in model.subgraphs for op in sg_.operators)
    versions: dict[str, set[int]] = {}
    for sg_ in model.subgraphs:
        for op in sg_.operators:
            versions.setdefault(op.name, set()).add(op.opcode.version)
    constants = [t for sg_ in model.subgraphs for t in sg_.tensors if t.is_constant]
    lifetimes = activation_lifetimes(sg)
    plan = plan_memory([Buffer(i, sg.tensors[i].nbytes, lt.first, lt.last) for i, lt in sorted(lifetimes.items())])
    return Analysis(
        model=model,
        ops=ops,
        op_counts=dict(sorted(counts.items())),
        op_versions={k: sorted(v) for k, v in sorted(versions.items())},
        parameters=sum(t.elements for t in constants),
        weight_bytes=sum(len(t.data) for t in constants),
        macs=sum(o.macs for o in ops),
        lifetimes=lifetimes,
        arena=plan,
        findings=quantization_findings(model) + [
            Finding("error", what, fix) for what, fix in npu_op_findings(model) + static_shape_findings(model)],
    )


def activation_lifetimes(sg: Subgraph) -> dict[int, Lifetime]:
    """Op-index ranges during which each non-constant tensor must hold data.

    Graph inputs live from the start, graph outputs to the end, variables (RNN state) for the
    whole run; other tensors from the op that writes them to the last op that reads them.
    """
    # Steps are op indices: with ops left out (dead code, a folded TFLM_DECODE) the last index exceeds len - 1.
    last_step = max([len(sg.operators) - 1, 0, *(op.index for op in sg.operators)])
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def touch(index: int, step: int) -> None:
        if index < 0 or sg.tensors[index].is_constant:
            return
        first[index] = min(first.get(index, step), step)
        last[index] = max(last.get(index, step), step)

    for index in sg.inputs:
        touch(index, 0)
    for op in sg.operators:
        for index in op.inputs + op.outputs:
            touch(index, op.index)
    for index in sg.outputs:
        touch(index, last_step)
    for tensor in sg.tensors:
        if tensor.is_variable and tensor.index in first:
            first[tensor.index], last[tensor.index] = 0, last_step
    return {i: Lifetime(first[i], last[i]) for i in sorted(first)}


def _shape(sg: Subgraph, index: int) -> tuple[int, ...]:
    return sg.tensors[index].shape if 0 <= index < len(sg.tensors) else ()


def _input(op: Operator, n: int) -> int:
    return op.inputs[n] if len(op.inputs) > n else -1


def op_macs(op: Operator, sg: Subgraph) -> int:
    """Multiply-accumulates of one op (elementwise ops count one per output element)."""
    out = math.prod(_shape(sg, op.outputs[0])) if op.outputs else 0
    weights = _shape(sg, _input(op, 1))
    name = op.name
    if name == "CONV_2D" and len(weights) == 4:  # [out_c, kh, kw, in_c per group]
        return out * weights[1] * weights[2] * weights[3]
    if name == "DEPTHWISE_CONV_2D" and len(weights) == 4:  # [1, kh, kw, out_c]
        return out * weights[1] * weights[2]
    if name == "FULLY_CONNECTED" and len(weights) == 2:  # [units, in]
        return out * weights[1]
    if name == "TRANSPOSE_CONV" and len(weights) == 4:  # inputs: output_shape, weights [out_c, kh, kw, in_c], input
        return math.prod(_shape(sg, _input(op, 2))) * weights[0] * weights[1] * weights[2]
    if name == "BATCH_MATMUL":
        a = _shape(sg, _input(op, 0))
        return out * (a[-2] if op.options.get("adj_x") else a[-1]) if a else 0
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"):
        return out * op.options.get("filter_width", 1) * op.options.get("filter_height", 1)
    if name == "SVDF":  # weights_feature [filters, in], weights_time [filters, memory]
        feature, time = _shape(sg, _input(op, 1)), _shape(sg, _input(op, 2))
        batch = _shape(sg, _input(op, 0))[0] if _shape(sg, _input(op, 0)) else 1
        return batch * (math.prod(feature) + math.prod(time)) if feature and time else 0
    if name == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        x = _shape(sg, _input(op, 0))  # [batch, time, in] (time-major flag aside, the product is the same)
        cell = _shape(sg, _input(op, 2))  # input-to-forget weights [n_cell, n_input]
        recurrent = _shape(sg, _input(op, 6))  # recurrent-to-forget weights [n_cell, n_output]
        if len(x) == 3 and len(cell) == 2 and len(recurrent) == 2:
            return x[0] * x[1] * 4 * cell[0] * (cell[1] + recurrent[1])
        return 0
    if name in ("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "PRELU", "LEAKY_RELU",
                "HARD_SWISH", "LOGISTIC", "TANH", "SOFTMAX", "MEAN", "SUM"):
        return out
    return 0


def quantization_findings(model: Model) -> list[Finding]:
    """Hybrid (dynamic-range) ops and float16 weights: TFLM cannot run them efficiently or at all."""
    findings = []
    for sg in model.subgraphs:
        # TFLM_DECODE's outputs are constants decoded from compressed bytes: weights, not activations.
        decoded = {i for op in sg.operators if op.name == "TFLM_DECODE" for i in op.outputs}
        for op in sg.operators:
            tensors = [sg.tensors[i] for i in op.inputs if i >= 0]
            fixed = [t for t in tensors if t.is_constant or t.index in decoded]
            weights = [t for t in fixed if t.dtype in ("int8", "uint8", "int4")]
            activations = [t for t in tensors if t not in fixed] + [sg.tensors[i] for i in op.outputs]
            floats = [t for t in activations if t.dtype == "float32"]
            # TFLM_DECODE's uint8 inputs are compressed bytes, not weights (a float32 tensor may come out).
            if weights and floats and op.name not in ("DEQUANTIZE", "GATHER", "EMBEDDING_LOOKUP", "TFLM_DECODE"):
                findings.append(Finding(
                    "error",
                    f"hybrid (dynamic-range) quantization: op #{op.index} {op.name} (subgraph {sg.index}) has "
                    f"{weights[0].dtype} weights '{weights[0].name}' (tensor #{weights[0].index}) but float32 "
                    f"activations '{floats[0].name}' (tensor #{floats[0].index}); "
                    "microcontroller kernels need integer activations",
                    FULL_INTEGER_FIX,
                ))
            for t in tensors:
                if t.is_constant and t.dtype == "float16":
                    findings.append(Finding(
                        "error",
                        f"float16 weights: tensor #{t.index} '{t.name}' feeding op #{op.index} {op.name} "
                        f"(subgraph {sg.index}) is float16; microcontroller runtimes have no float16 kernels",
                        "do not use converter.target_spec.supported_types = [tf.float16]; " + FULL_INTEGER_FIX,
                    ))
    return findings


def check_buildable(analysis: Analysis) -> None:
    """Raise the first blocking finding as a ModelError (build time, never run time)."""
    if analysis.errors:
        first = analysis.errors[0]
        more = f" (and {len(analysis.errors) - 1} more)" if len(analysis.errors) > 1 else ""
        raise ModelError(first.what + more, where=analysis.model.path, fix=first.fix)
