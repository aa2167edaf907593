"""The accuracy measurement's glue: dataset in, float reference run on the host, target outputs scored.

Why here and not in golden.py: golden data proves bit-exactness with tflite-micro; this compares the
target's int8 outputs with a *float* model (reference= or model.yaml's `reference:`) on real inputs
(dataset= or model.yaml's samples). At build time the inputs become extra test vectors (quantized
with the int8 model's input scale and zero point, capped to a flash budget) and the float model's
outputs for them are stored beside the golden data; after the run the target's outputs for those
vectors are dequantized and scored (accuracy.py). The float model runs in the tflite-micro host
interpreter -- the same one that makes the golden data -- so no TensorFlow is needed to build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml_build.errors import ModelError
from tinyml_build.model import dtypes
from tinyml_build.model.reader import Model, Tensor, load_model
from tinyml_build.verification import accuracy
from tinyml_build.verification.samples import AccuracyRequest  # noqa: F401 -- re-exported: what is measured

# Bytes of dataset inputs and golden outputs an image carries at most: beyond it the dataset is cut
# (the count used and the dataset's size are in test.json). 64 KB fits every board's flash that
# holds a model at all; a dataset too large for that is measured in parts, or with a smaller cap.
DATASET_BYTES_BUDGET = 64 * 1024
_INPUT_KEYS = ("inputs", "x")
_LABEL_KEYS = ("labels", "y")


@dataclass(frozen=True)
class Dataset:
    """Inputs for the model's single input, quantized for the int8 model and real for the float one."""

    quantized: tuple[np.ndarray, ...]
    real: tuple[np.ndarray, ...]
    labels: np.ndarray | None
    total: int  # samples in the file (more than len(quantized) when capped)


def _quantization(tensor: Tensor) -> tuple[float, int]:
    q = tensor.quantization
    if q is None or q.per_channel:
        return 0.0, 0
    return q.scale[0], q.zero_point[0]


def _single_input(model: Model, where: str) -> Tensor:
    if len(model.main.inputs) != 1:
        raise ModelError(f"accuracy needs a single-input model; this one has {len(model.main.inputs)} inputs",
                         where=where, fix="drop reference= and dataset= for this model")
    return model.main.tensors[model.main.inputs[0]]


def _load_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    where = str(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the dataset: {err}", where=where,
                         fix="save it with numpy.save (.npy) or numpy.savez (.npz)") from None
    if isinstance(loaded, np.ndarray):
        return loaded, None
    with loaded:
        inputs = next((loaded[k] for k in _INPUT_KEYS if k in loaded.files), None)
        labels = next((loaded[k] for k in _LABEL_KEYS if k in loaded.files), None)
        if inputs is None:
            raise ModelError(f"the .npz holds {sorted(loaded.files)}, no 'inputs' (or 'x') array", where=where,
                             fix="numpy.savez(FILE, inputs=INPUTS, labels=LABELS)")
    return inputs, labels


def load_dataset(path: Path, model: Model, budget: int = DATASET_BYTES_BUDGET) -> Dataset:
    """The dataset's samples for `model`'s input; ModelError when they do not fit its shape or type."""
    path, where = Path(path), str(path)
    spec = _single_input(model, where)
    inputs, labels = _load_arrays(path)
    size = int(np.prod(spec.shape))
    if inputs.ndim == 0 or inputs.size == 0 or inputs.shape[0] * size != inputs.size:  # axis 0: the samples
        raise ModelError(f"dataset inputs are {inputs.dtype} {list(inputs.shape)}, the model's input "
                         f"'{spec.name}' is {spec.dtype} {list(spec.shape)}", where=where,
                         fix=f"store (samples, {', '.join(map(str, spec.shape))}) inputs")
    samples = inputs.size // size
    rows = inputs.reshape((samples,) + tuple(spec.shape))
    if labels is not None and np.asarray(labels).reshape(-1).shape[0] != samples:
        raise ModelError(f"{np.asarray(labels).size} labels for {samples} inputs", where=where,
                         fix="store one class index per input")
    scale, zero_point = _quantization(spec)
    model_dtype = dtypes.numpy_dtype(spec.dtype)
    if rows.dtype.kind == "f" and np.dtype(model_dtype).kind != "f":
        quantized, real = accuracy.quantize(rows, scale, zero_point, model_dtype), rows.astype(np.float32)
    elif rows.dtype == model_dtype:
        quantized, real = rows, accuracy.dequantize(rows, scale, zero_point).astype(np.float32)
    else:
        raise ModelError(f"dataset inputs are {rows.dtype}; the model's input '{spec.name}' is {spec.dtype}",
                         where=where, fix=f"store float inputs, or inputs already quantized as {spec.dtype}")
    outputs = sum(model.main.tensors[o].nbytes for o in model.main.outputs)
    count = min(samples, max(1, budget // max(1, spec.nbytes + outputs)))
    return Dataset(tuple(quantized[:count]), tuple(real[:count]),
                   None if labels is None else np.asarray(labels).reshape(-1)[:count].astype(np.int64), samples)


def check_reference(reference: Model, model: Model) -> None:
    """The float model must take and give what the int8 model does, shape for shape, in float32."""
    def shapes(m: Model, indices) -> list[tuple[int, ...]]:
        return [tuple(m.main.tensors[i].shape) for i in indices]

    for kind, ours, theirs in (("inputs", model.main.inputs, reference.main.inputs),
                               ("outputs", model.main.outputs, reference.main.outputs)):
        if shapes(model, ours) != shapes(reference, theirs):
            raise ModelError(f"the float reference's {kind} are {shapes(reference, theirs)}, the model's "
                             f"{shapes(model, ours)}", where=reference.path,
                             fix="use the float model the int8 one was converted from")
        types = sorted({reference.main.tensors[i].dtype for i in theirs})
        if types != ["float32"]:
            raise ModelError(f"the float reference's {kind} are {', '.join(types)}, not float32",
                             where=reference.path, fix="use the unquantized float .tflite")


def reference_outputs(reference: Model, real_inputs) -> list[list[np.ndarray]]:
    """The float model's outputs for each real input, from the tflite-micro host interpreter (the wheel:
    the pinned oracle runs the int8 model; a float reference needs no bit-exact oracle)."""
    from tinyml_build.verification.oracle.wheel import interpreter as wheel_interpreter

    interpreter = wheel_interpreter(reference.data, reference.path)
    results = []
    for value in real_inputs:
        interpreter.set_input(np.asarray(value, dtype=np.float32), 0)
        interpreter.invoke()
        results.append([np.array(interpreter.get_output(o), dtype=np.float32)
                        for o in range(len(reference.main.outputs))])
    return results


def accuracy_section(model: Model, request: AccuracyRequest, first_vector: int, real_inputs, labels,
                     total: int) -> dict:
    """What the host needs after the run (stored in golden.json): the float outputs of the vectors
    [first_vector, first_vector + len(real_inputs)) and how to dequantize the target's outputs."""
    reference = load_model(request.reference)
    check_reference(reference, model)
    floats = reference_outputs(reference, real_inputs)
    outputs = []
    for o in model.main.outputs:
        tensor = model.main.tensors[o]
        scale, zero_point = _quantization(tensor)
        outputs.append({"dtype": tensor.dtype, "scale": scale, "zero_point": zero_point})
    from tinyml_build.verification.oracle.wheel import wheel_version

    return {
        "reference": request.reference.name,
        "interpreter": f"tflite-micro {wheel_version() or '(version unknown)'}",  # the wheel runs the float model
        "inputs": request.dataset.name if request.dataset else "model.yaml samples",
        "first_vector": first_vector,
        "samples": len(floats),
        "available": total,
        "outputs": outputs,
        "float_outputs": [[out.reshape(-1).tolist() for out in vector] for vector in floats],
        "labels": None if labels is None else [int(v) for v in labels],
    }


def target_accuracy(section: dict, reported: dict[tuple[int, int], str]) -> dict:
    """The metrics of the target's outputs (TML-OUTPUT hex by (vector, output)) against the float ones;
    a dict with `error` when some output was not reported."""
    first, count = section["first_vector"], section["samples"]
    got, want = [], []
    for v in range(count):
        row_got, row_want = [], []
        for o, facts in enumerate(section["outputs"]):
            text = reported.get((first + v, o))
            if text is None:
                return {"reference": section["reference"], "error": f"vector {first + v} output {o} not reported"}
            dtype = np.dtype(dtypes.numpy_dtype(facts["dtype"])).newbyteorder("<")
            raw = np.frombuffer(bytes.fromhex(text), dtype=dtype)
            row_got.append(accuracy.dequantize(raw, facts["scale"], facts["zero_point"]))
            row_want.append(np.asarray(section["float_outputs"][v][o], dtype=np.float64))
        got.append(np.concatenate(row_got))
        want.append(np.concatenate(row_want))
    labels = None if section.get("labels") is None else np.asarray(section["labels"])
    figures = accuracy.metrics(np.stack(got), np.stack(want), labels)
    figures = {k: (v if math.isfinite(v) else None) for k, v in figures.items()}
    return {**figures, "reference": section["reference"], "interpreter": section["interpreter"],
            "inputs": section["inputs"], "samples": count, "available": section["available"]}


def golden_with_accuracy(model: Model, name: str, random_vectors: int, seed: int, samples, request: AccuracyRequest,
                         class_names=(), oracle=None):
    """Golden data whose vectors include the accuracy inputs (the dataset's after the samples, or the
    samples themselves), with the float reference's outputs for them (Golden.accuracy)."""
    from dataclasses import replace

    from tinyml_build.verification.golden import load_sample, make_golden, tensor_specs

    if request.dataset is not None:
        data = load_dataset(request.dataset, model)
        extra = tuple((f"dataset {request.dataset.name} #{k}", [q]) for k, q in enumerate(data.quantized))
        first, real, labels, total = len(samples), data.real, data.labels, data.total
    else:
        if not samples:
            raise ModelError("an accuracy measurement needs inputs: the model lists no samples", where="reference=",
                             fix="give dataset=FILE.npy (or .npz with inputs and labels)")
        spec = tensor_specs(model, model.main.inputs)[0]
        scale, zero_point = _quantization(_single_input(model, model.path))
        extra, first, total = (), 0, len(samples)
        real = [accuracy.dequantize(load_sample(s, spec), scale, zero_point).astype(np.float32) for s in samples]
        known = all(s.label in class_names for s in samples)
        labels = np.array([class_names.index(s.label) for s in samples]) if class_names and known else None
    golden = make_golden(model, name=name, random_vectors=random_vectors, seed=seed, samples=samples, extra=extra,
                         oracle=oracle)
    return replace(golden, accuracy=accuracy_section(model, request, first, real, labels, total))
