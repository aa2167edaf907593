"""runtime=aot's TFLM_DECODE: the decoded tensors become constants before lowering.

Why: TFLM decodes its compression tool's (encoded, ancillary) pairs into the arena at run time to
save flash; aot has no interpreter to keep a flatbuffer for, so it decodes at build time
(tinyml_build/model/tflm_decode.py) and every op reading a decoded tensor reads a constant array
in flash, as it reads any weight. The trade-off users see (aot README, `inspect`): the flash the
compression saved is spent again on the decoded values, and no arena bytes hold decoded tensors.
A decoded tensor that is also a graph output cannot be a constant (invoke() writes the outputs):
its pair stays on the DECODE op, whose lowering (ops/tflm_decode.py) copies the decoded values.
"""

from dataclasses import replace

from tinyml_build.errors import ModelError
from tinyml_build.model.reader import Model, Operator, Subgraph
from tinyml_build.model.tflm_decode import FIX, decode

DECODE = "TFLM_DECODE"


def fold_decodes(model: Model) -> Model:
    """`model` with every decoded tensor that is not a graph output made a constant and the DECODE
    ops that decode nothing else removed (the model itself when it has no TFLM_DECODE)."""
    if DECODE not in model.op_names():
        return model
    return replace(model, subgraphs=tuple(_fold(model, sg) for sg in model.subgraphs))


def decode_pairs(op: Operator, where: str, graph: str = "") -> list[tuple[int, int, int]]:
    """(encoded, ancillary, output) tensor indices of each pair of a DECODE op, after checking its
    arity as TFLM's Prepare does (n outputs, 2n inputs, none omitted)."""
    what = f"{graph}op #{op.index} {DECODE}"
    if not op.outputs or len(op.inputs) != 2 * len(op.outputs) or min(op.inputs + op.outputs) < 0:
        raise ModelError(f"{what} has {len(op.inputs)} inputs and {len(op.outputs)} outputs; TFLM needs n > 0 "
                         "outputs and 2n inputs (an encoded and an ancillary tensor per output)", where=where, fix=FIX)
    return [(op.inputs[2 * k], op.inputs[2 * k + 1], out) for k, out in enumerate(op.outputs)]


def _fold(model: Model, sg: Subgraph) -> Subgraph:
    tensors = list(sg.tensors)
    operators = []
    graph = f"subgraph {sg.index} " if sg.index else ""
    for op in sg.operators:
        if op.name != DECODE:
            operators.append(op)
            continue
        kept = []
        for k, (encoded, ancillary, out) in enumerate(decode_pairs(op, model.path, graph)):
            if out in sg.outputs:
                kept.append((encoded, ancillary, out))
                continue
            data = decode(tensors[encoded], tensors[ancillary], tensors[out], model.path,
                          f"{graph}op #{op.index} {DECODE} output {k} (tensor #{out} '{tensors[out].name}')")
            tensors[out] = replace(tensors[out], data=data)
        if kept:
            operators.append(replace(op, inputs=tuple(i for e, a, _ in kept for i in (e, a)),
                                     outputs=tuple(out for *_, out in kept)))
    return replace(sg, tensors=tuple(tensors), operators=tuple(operators))


def flash_note(model: Model) -> str | None:
    """What aot's decoding at build time costs and saves, in bytes, for `inspect` (None without
    TFLM_DECODE): the decoded tensors in flash against their encoded and ancillary tensors."""
    encoded = decoded = 0
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.name == DECODE:
                for e, a, out in decode_pairs(op, model.path):
                    encoded += len(sg.tensors[e].data or b"") + len(sg.tensors[a].data or b"")
                    decoded += sg.tensors[out].nbytes
    if not decoded:
        return None
    return (f"{DECODE}: decoded at build time; flash holds the {decoded} B of decoded tensors where "
            f"runtime=tflm keeps the {encoded} B of encoded and ancillary data, and the arena holds none of "
            "them (TFLM decodes into its arena)")
