"""Golden data: test inputs and the outputs the tflite-micro host interpreter gives for them.

Why at build time: the firmware proves itself on the target by comparing every output byte
with what TFLM's reference interpreter computes for the same inputs on the build machine.
Inputs are seeded random tensors (numpy's PCG64, so the same seed gives the same bytes on
every machine) plus, for catalog models, the sample inputs model.yaml lists. Vectors run in
order on one interpreter, like the firmware runs them, so models with state (variable tensors)
are compared over the same history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from tinyml_build.config.options import DEFAULT_RANDOM_VECTORS, DEFAULT_SEED
from tinyml_build.errors import ModelError, ToolchainError
from tinyml_build.escape import json_text
from tinyml_build.model import dtypes
from tinyml_build.model.reader import Model
from tinyml_build.verification.samples import Sample, samples_from_metadata  # noqa: F401 -- re-exported

FORMAT_VERSION = 1
# Ranges for random inputs: integer types use their full range except the 32/64-bit ones,
# which real models feed with small values (indices, pre-quantized data).
_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
               "int32": (-32768, 32767), "int64": (-32768, 32767), "bool": (0, 1)}
_FLOAT_RANGE = (-1.0, 1.0)
# Host arena for the reference interpreter: TFLM's default guess is too small for some models
# (int16 ones); untouched pages of a large allocation cost nothing on the build machine.
HOST_ARENA_BYTES = 64 << 20


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    def as_dict(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape), "bytes": self.nbytes}


@dataclass(frozen=True)
class GoldenVector:
    label: str
    inputs: tuple[bytes, ...]
    outputs: tuple[bytes, ...]


@dataclass(frozen=True)
class Golden:
    model: str  # C name of the model (the image's <model>_model_api)
    sha256: str
    reference: str  # which interpreter produced the outputs, with its version
    seed: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    vectors: tuple[GoldenVector, ...]
    accuracy: dict | None = None  # float_reference.accuracy_section: the float model's outputs for some vectors

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, hex bytes) for golden.json."""
        data = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "sha256": self.sha256,
            "reference": self.reference,
            "seed": self.seed,
            "inputs": [t.as_dict() for t in self.inputs],
            "outputs": [t.as_dict() for t in self.outputs],
            "vectors": [{"label": v.label, "inputs": [b.hex() for b in v.inputs],
                         "outputs": [b.hex() for b in v.outputs]} for v in self.vectors],
        }
        if self.accuracy is not None:
            data["accuracy"] = self.accuracy
        return json_text(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Golden:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"golden data format {data.get('format')!r}, expected {FORMAT_VERSION}")

        def specs(items):
            return tuple(TensorSpec(t["name"], t["dtype"], tuple(t["shape"]), t["bytes"]) for t in items)

        return cls(
            model=data["model"], sha256=data["sha256"], reference=data["reference"], seed=data["seed"],
            inputs=specs(data["inputs"]), outputs=specs(data["outputs"]),
            vectors=tuple(GoldenVector(v["label"], tuple(bytes.fromhex(h) for h in v["inputs"]),
                                       tuple(bytes.fromhex(h) for h in v["outputs"])) for v in data["vectors"]),
            accuracy=data.get("accuracy"),
        )


def tensor_specs(model: Model, indices) -> tuple[TensorSpec, ...]:
    tensors = model.main.tensors
    return tuple(TensorSpec(tensors[i].name, tensors[i].dtype, tuple(tensors[i].shape), tensors[i].nbytes)
                 for i in indices)


def random_input(spec: TensorSpec, rng: np.random.Generator) -> np.ndarray:
    """One seeded random tensor of the spec's dtype and shape."""
    if spec.dtype in ("float32", "float16", "float64"):
        low, high = _FLOAT_RANGE
        return rng.uniform(low, high, size=spec.shape).astype(dtypes.numpy_dtype(spec.dtype))
    if spec.dtype not in _INT_RANGES:
        raise ModelError(f"cannot make test inputs of type {spec.dtype} (input '{spec.name}')",
                         fix="use a model whose inputs are int8, uint8, int16, int32, int64, bool or float")
    low, high = _INT_RANGES[spec.dtype]
    return rng.integers(low, high, size=spec.shape, endpoint=True).astype(dtypes.numpy_dtype(spec.dtype))


def load_sample(sample: Sample, spec: TensorSpec) -> np.ndarray:
    """The sample file as the input tensor; ModelError if its size or type does not fit."""
    where = str(sample.path)
    if sample.path.suffix == ".npy":
        try:
            array = np.load(sample.path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot read sample: {err}", where=where, fix="save it with numpy.save") from None
        if array.dtype != dtypes.numpy_dtype(spec.dtype) or array.size != int(np.prod(spec.shape)):
            raise ModelError(f"sample is {array.dtype} {list(array.shape)}, "
                             f"input '{spec.name}' is {spec.dtype} {list(spec.shape)}",
                             where=where, fix="re-create the sample for this model's input")
        return array.reshape(spec.shape)
    data = sample.path.read_bytes()
    if len(data) != spec.nbytes:
        raise ModelError(f"sample is {len(data)} bytes, input '{spec.name}' needs {spec.nbytes}", where=where,
                         fix="store exactly the input tensor's bytes, or a .npy file")
    return np.frombuffer(data, dtype=dtypes.numpy_dtype(spec.dtype)).reshape(spec.shape)




from tinyml_build.verification import reference_version  # noqa: E402 -- re-exported: golden data records it


def _interpreter(data: bytes, where: str):
    try:
        from tflite_micro import runtime
    except ImportError:
        raise ToolchainError("the tflite-micro host interpreter (golden reference) is not installed",
                             fix="pip install -c requirements.lock tflite-micro") from None
    try:
        return runtime.Interpreter.from_bytes(data, arena_size=HOST_ARENA_BYTES)
    except Exception as err:  # noqa: BLE001 -- TFLM reports failures as bare RuntimeErrors
        raise ModelError("the tflite-micro interpreter cannot load the model:", details=str(err), where=where,
                         fix="check that the model runs in TFLM (python -m tinyml_build inspect)") from None


def make_golden(model: Model, name: str | None = None, random_vectors: int = DEFAULT_RANDOM_VECTORS,
                seed: int = DEFAULT_SEED, samples: tuple[Sample, ...] | list[Sample] = (),
                extra: tuple[tuple[str, list[np.ndarray]], ...] = ()) -> Golden:
    """Run the samples, then the `extra` (label, inputs) vectors (a dataset's), then `random_vectors`
    seeded random inputs, through tflite-micro."""
    name = name or model.name
    inputs = tensor_specs(model, model.main.inputs)
    outputs = tensor_specs(model, model.main.outputs)
    if samples and len(inputs) != 1:
        raise ModelError(f"samples need a single-input model; this one has {len(inputs)} inputs", where=model.path)
    feeds: list[tuple[str, list[np.ndarray], Sample | None]] = []
    for sample in samples:
        feeds.append((f"sample {sample.path.name} ({sample.label})", [load_sample(sample, inputs[0])], sample))
    feeds += [(label, list(arrays), None) for label, arrays in extra]
    for k in range(random_vectors):
        rng = np.random.default_rng([seed, k])
        feeds.append((f"random seed={seed} #{k}", [random_input(spec, rng) for spec in inputs], None))

    interpreter = _interpreter(model.data, model.path)
    vectors = []
    for label, arrays, sample in feeds:
        for i, array in enumerate(arrays):
            interpreter.set_input(array, i)
        interpreter.invoke()
        results = [np.ascontiguousarray(interpreter.get_output(o)) for o in range(len(outputs))]
        for spec, result in zip(outputs, results):
            if result.nbytes != spec.nbytes:
                raise ModelError(f"tflite-micro returned {result.nbytes} bytes for output '{spec.name}', "
                                 f"expected {spec.nbytes}",
                                 where=model.path)
        if sample is not None and sample.tflm_output is not None:
            got = tuple(int(v) for v in results[0].reshape(-1))
            if got != sample.tflm_output:
                raise ModelError(f"tflite-micro gives {list(got)} for sample {sample.path.name}, model.yaml records "
                                 f"{list(sample.tflm_output)}", where=model.path,
                                 fix="re-create the model's samples (its training script writes them)")
        vectors.append(GoldenVector(label, tuple(a.astype(a.dtype.newbyteorder("<")).tobytes() for a in arrays),
                                    tuple(r.astype(r.dtype.newbyteorder("<")).tobytes() for r in results)))
    return Golden(model=name, sha256=model.sha256, reference=reference_version(), seed=seed,
                  inputs=inputs, outputs=outputs, vectors=tuple(vectors))
