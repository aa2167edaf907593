"""UNIDIRECTIONAL_SEQUENCE_LSTM checks every activation type shares (TFLM's ValidateTensorStatus,
CreateLstmSizeInfo, ValidateTensorSize), so the integer and float lowerings refuse the same models
with the same words.
"""

from dataclasses import dataclass

GATES = ("forget", "input", "cell", "output")
# (input weights, recurrent weights, bias) tensor positions per gate, in GATES order (lstm_shared.h).
GATE_TENSORS = {"forget": (2, 6, 13), "input": (1, 5, 12), "cell": (3, 7, 14), "output": (4, 8, 15)}
ABSENT = (9, 10, 11, 16, 17, 20, 21, 22, 23)  # peephole, projection, layer norm
HIDDEN, CELL = 18, 19


@dataclass(frozen=True)
class LstmGeometry:
    time_major: bool
    steps: int
    batches: int
    input_size: int
    cells: int
    hidden: object  # the hidden state tensor (variable)
    cell: object  # the cell state tensor (variable)


def lstm_geometry(ctx, x, cell_dtype: str) -> LstmGeometry:
    """The LSTM's sizes after TFLM's Prepare checks; raises ctx.unsupported for what TFLM refuses."""
    if len(ctx.op.inputs) != 24:
        raise ctx.unsupported(f"{len(ctx.op.inputs)} inputs; TFLM's kernel needs the 24 of the LSTM op")
    for n in ABSENT:
        if ctx.input(n) is not None:
            raise ctx.unsupported(f"input {n} is present: peephole, projection and layer-norm LSTMs are not "
                                  "supported by TFLM's micro kernel")
    hidden = ctx.require_dtype(ctx.input(HIDDEN), (x.dtype,), "hidden state")
    cell = ctx.require_dtype(ctx.input(CELL), (cell_dtype,), "cell state")
    y = ctx.require_dtype(ctx.output(0), (x.dtype,), "output")
    for t, role in ((hidden, "hidden state"), (cell, "cell state")):
        if not t.is_variable:
            raise ctx.unsupported(f"{role} tensor #{t.index} '{t.name}' is not a variable tensor")

    time_major = bool(ctx.options.get("time_major", False))
    if len(x.shape) != 3 or len(y.shape) != 3:
        raise ctx.unsupported("input and output must be 3-D")
    steps, batches = (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])
    input_size = x.shape[2]
    cells = ctx.input(2).shape[0] if ctx.input(2) is not None and ctx.input(2).shape else 0
    if tuple(y.shape[:2]) != tuple(x.shape[:2]) or y.shape[2] != cells or cells <= 0:
        raise ctx.unsupported(f"output shape {list(y.shape)} does not match input {list(x.shape)} and {cells} cells")
    if hidden.elements != batches * cells or cell.elements != batches * cells:
        raise ctx.unsupported(f"states must hold {batches} x {cells} elements")

    activation = ctx.options.get("fused_activation_function", "TANH")
    if activation != "TANH":  # the schema cannot name SIGMOID; TFLM asserts on anything else
        raise ctx.unsupported(f"cell gate activation {activation}: TFLM's kernel supports TANH only")
    return LstmGeometry(time_major, steps, batches, input_size, cells, hidden, cell)
