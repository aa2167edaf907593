"""Output shapes TFLM takes on trust: the model's declared shape where TensorFlow Lite computes one.

Why: TensorFlow Lite resizes an op's output at run time from its inputs; TFLM never resizes and
runs each kernel over the shape the model declares. When a converter writes a placeholder instead
of the real shape -- TensorFlow's dilated Conv1D/Conv2D exported with a dynamic batch becomes
SPACE_TO_BATCH_ND -> CONV -> BATCH_TO_SPACE_ND whose batch is declared 1 (shape signature -1) but is
really the block size -- TFLM computes only part of the op, silently, and the model's outputs differ
from TensorFlow Lite's. A SLICE whose size is known only at run time is worse: TFLM copies as many
elements as the run-time size says into the declared buffer, past its end (a Keras LSTM/GRU with
return_sequences=True and no unroll becomes a while loop whose TensorListSetItem is SLICE(size
[i, -1, -1]) declared [1, 1, 1]). A RESHAPE whose run-time shape the converter declared as a
placeholder ([1, 1] for Keras Dense on a 3-D input with a dynamic batch) cannot run in TFLM at all,
and says so better here than as TFLM's element-count check or a missing REDUCE_PROD. Both runtimes
are exact copies of TFLM, so the build refuses such a
model and says how to re-export it.
"""

from __future__ import annotations

import math

import numpy as np

from tinyml_build.model.reader import Model, Operator, Subgraph

FIXED_SHAPE_FIX = ("re-export the model with fully static shapes: a fixed batch size "
                   "(tf.keras.Input(shape, batch_size=1), or a tf.function whose input_signature has no None)")


def _ints(sg: Subgraph, op: Operator, n: int) -> np.ndarray | None:
    """A constant int32 or int64 operand (SLICE takes either), else None."""
    index = op.inputs[n] if len(op.inputs) > n else -1
    if index < 0 or index >= len(sg.tensors) or not sg.tensors[index].is_constant:
        return None
    tensor = sg.tensors[index]
    dtype = {"int32": "<i4", "int64": "<i8"}.get(tensor.dtype)
    if dtype is None or len(tensor.data) != np.dtype(dtype).itemsize * tensor.elements:
        return None
    return np.frombuffer(tensor.data, dtype=dtype)


def _constant(sg: Subgraph, op: Operator, n: int) -> np.ndarray | None:
    """A constant int32 operand (block shape, paddings, crops), else None."""
    values = _ints(sg, op, n)
    return values if values is not None and values.dtype == np.dtype("<i4") else None


def _space_to_batch(in_shape: tuple[int, ...], block: np.ndarray, pads: np.ndarray) -> tuple[int, ...] | None:
    m = len(block)
    if pads.size != 2 * m or len(in_shape) < m + 1 or min(block, default=1) < 1:
        return None
    spatial = []
    for i in range(m):
        padded = in_shape[1 + i] + int(pads[2 * i]) + int(pads[2 * i + 1])
        if padded < 0 or padded % int(block[i]):
            return None  # invalid: the op's own checks say so
        spatial.append(padded // int(block[i]))
    return (in_shape[0] * math.prod(int(b) for b in block), *spatial, *in_shape[1 + m:])


def _batch_to_space(in_shape: tuple[int, ...], block: np.ndarray, crops: np.ndarray) -> tuple[int, ...] | None:
    m = len(block)
    product = math.prod(int(b) for b in block)
    if crops.size != 2 * m or len(in_shape) < m + 1 or min(block, default=1) < 1 or in_shape[0] % product:
        return None
    spatial = [in_shape[1 + i] * int(block[i]) - int(crops[2 * i]) - int(crops[2 * i + 1]) for i in range(m)]
    if min(spatial, default=0) < 0:
        return None
    return (in_shape[0] // product, *spatial, *in_shape[1 + m:])


SLICE_FIX = ("re-export the model with static slice sizes: a Keras LSTM/GRU/RNN layer with "
             "return_sequences=True exports a while loop over a TensorList (SLICE sizes from the loop "
             "counter); build it with unroll=True, or return only the last step")


def _slice_finding(sg: Subgraph, op: Operator) -> str | None:
    """Why a SLICE's declared output cannot be trusted, or None (TFLM reads begin/size in Eval)."""
    operands = (*op.inputs[:3], *op.outputs[:1])
    if len(operands) < 4 or not all(0 <= i < len(sg.tensors) for i in operands):
        return None
    begin, size = _ints(sg, op, 1), _ints(sg, op, 2)
    x, output = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
    where = (f"op #{op.index} SLICE (subgraph {sg.index}) declares output '{output.name}' (tensor "
             f"#{output.index}) as {list(output.shape)}")
    if size is None:
        size_tensor = sg.tensors[op.inputs[2]]
        return (f"{where}, but its size comes from tensor #{size_tensor.index} '{size_tensor.name}' at run "
                "time; TFLM copies as many elements as that size says into the declared buffer "
                "(past its end when they differ)")
    if size.size != len(x.shape):
        return None  # malformed: the op's own checks say so
    if begin is None:
        if any(int(s) == -1 for s in size):
            return (f"{where}, but its size {size.tolist()} runs to the end of the input from a begin known "
                    "only at run time; TFLM copies as many elements as that says into the declared buffer")
        computed = [int(s) for s in size]
    elif begin.size == size.size:
        computed = [n - int(b) if int(s) == -1 else int(s) for b, s, n in zip(begin, size, x.shape)]
    else:
        return None
    if computed == list(output.shape):
        return None
    return f"{where}, but computes {computed}; TFLM runs the declared shape"


_SHAPE_FUNCTIONS = {"SPACE_TO_BATCH_ND": _space_to_batch, "BATCH_TO_SPACE_ND": _batch_to_space}


def _reshape_finding(sg: Subgraph, op: Operator) -> str | None:
    """A RESHAPE whose dynamic output is declared with fewer or more elements than its input: the
    converter's placeholder for a shape computed at run time (Keras Dense on a 3-D input, Flatten,
    LayerNormalization, Softmax exported with a dynamic batch: SHAPE -> REDUCE_PROD -> PACK ->
    RESHAPE, declared [1, 1]). TFLM never computes it; its Prepare refuses the element count."""
    if not op.inputs or not op.outputs or not 0 <= op.inputs[0] < len(sg.tensors) \
            or not 0 <= op.outputs[0] < len(sg.tensors):
        return None
    x, output = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
    signature = output.shape_signature
    if signature is None or not any(d < 0 for d in signature) or math.prod(x.shape) == math.prod(output.shape):
        return None
    return (f"op #{op.index} RESHAPE (subgraph {sg.index}) declares output '{output.name}' (tensor #{output.index}) "
            f"as {list(output.shape)}, {math.prod(output.shape)} elements, for an input of {list(x.shape)}, "
            f"{math.prod(x.shape)} (its shape signature {list(signature)} is computed at run time from the dynamic "
            "batch); TFLM never computes it, so neither runtime can run the model")


def static_shape_findings(model: Model) -> list[tuple[str, str]]:
    """(what, fix) for every op whose declared output shape is not the one it computes."""
    findings = []
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.name == "SLICE":
                what = _slice_finding(sg, op)
                if what is not None:
                    findings.append((what, SLICE_FIX))
                continue
            if op.name == "RESHAPE":
                what = _reshape_finding(sg, op)
                if what is not None:
                    findings.append((what, FIXED_SHAPE_FIX))
                continue
            shape_of = _SHAPE_FUNCTIONS.get(op.name)
            if shape_of is None or len(op.inputs) < 3 or not op.outputs or not 0 <= op.inputs[0] < len(sg.tensors):
                continue
            block, second = _constant(sg, op, 1), _constant(sg, op, 2)
            output = sg.tensors[op.outputs[0]] if 0 <= op.outputs[0] < len(sg.tensors) else None
            if block is None or second is None or output is None:
                continue
            computed = shape_of(tuple(sg.tensors[op.inputs[0]].shape), block, second)
            if computed is None or computed == tuple(output.shape):
                continue
            signature = output.shape_signature
            dynamic = (f" (its shape signature {list(signature)} is dynamic: TensorFlow Lite resizes it at run time)"
                       if signature is not None and any(d < 0 for d in signature) else "")
            findings.append((
                f"op #{op.index} {op.name} (subgraph {sg.index}) declares output '{output.name}' (tensor "
                f"#{output.index}) as {list(output.shape)}, but computes {list(computed)}{dynamic}; TFLM runs "
                "the declared shape, so it would compute a different result than TensorFlow Lite",
                FIXED_SHAPE_FIX))
    return findings
