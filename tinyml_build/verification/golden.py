"""Golden data: test inputs and the outputs TFLM's reference interpreter (the oracle) gives for them.

Why at build time: the firmware proves itself on the target by comparing every output byte
with what TFLM's reference interpreter computes for the same inputs on the build machine. The
oracle is the pinned TFLM built for the host when its sources resolve, else the tflite-micro
wheel (tinyml_build.verification.oracle); golden.json names it and its TFLM commit.
Inputs: the sample inputs model.yaml lists (catalog models), then edge vectors (every input at
its minimum, maximum, zero and, for quantized inputs, its zero point: where saturation and
rounding bugs live), then seeded random tensors (numpy's PCG64, so the same seed gives the same
bytes on every machine). Twenty random vectors see a bug that hits 1 % of inputs with 82 %
probability, three only with 3 %. Vectors run in order on one interpreter, like the firmware
runs them, so models with state (variable tensors) are compared over the same history. A vector
whose invoke TFLM stops (kTfLiteAbort: a CIRCULAR_BUFFER still collecting frames) is `stopped`:
the firmware must return TML_NOT_READY there and its outputs are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from tinyml_build.config.options import DEFAULT_RANDOM_VECTORS, DEFAULT_SEED
from tinyml_build.errors import ModelError
from tinyml_build.escape import json_text, terminal
from tinyml_build.model import dtypes
from tinyml_build.model.reader import Model
from tinyml_build.verification.circular_buffer_runs import predict_runs
from tinyml_build.verification.oracle import Oracle, select_oracle
from tinyml_build.verification.samples import Sample, samples_from_metadata  # noqa: F401 -- re-exported
from tinyml_build.verification.unwritten_outputs import care_masks

FORMAT_VERSION = 2  # 2: the oracle's name, kind and TFLM commit; edge vectors
# Ranges for random inputs: integer types use their full range except the 32/64-bit ones,
# which real models feed with small values (indices, pre-quantized data).
_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
               "int32": (-32768, 32767), "int64": (-32768, 32767), "bool": (0, 1),
               "uint32": (0, (1 << 32) - 1), "uint64": (0, (1 << 64) - 1)}  # Signal ops: whole range
_FLOAT_RANGE = (-1.0, 1.0)
EDGE_LABEL = "edge"  # labels of edge vectors start with it ("edge all-min", ...)


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
    care: tuple[bytes | None, ...] = ()  # per output: None (every byte compared) or a mask, 1 = compared
                                         # (unwritten_outputs: bytes TFLM leaves unspecified); () = all None
    stopped: bool = False  # the oracle's invoke stopped early (kTfLiteAbort): expect TML_NOT_READY, no outputs

    def care_of(self, output: int) -> bytes | None:
        return self.care[output] if output < len(self.care) else None


@dataclass(frozen=True)
class Golden:
    model: str  # C name of the model (the image's <model>_model_api)
    sha256: str
    reference: str  # the oracle's name, with its TFLM commit (oracle.Oracle.name)
    seed: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    vectors: tuple[GoldenVector, ...]
    accuracy: dict | None = None  # float_reference.accuracy_section: the float model's outputs for some vectors
    oracle: dict = field(default_factory=dict)  # oracle.Oracle.as_dict(): name, kind, tflm_commit
    blind_spots: tuple[str, ...] = ()  # known wheel differences the model hits, ops no oracle here can judge

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, hex bytes) for golden.json."""
        data = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "sha256": self.sha256,
            "reference": self.reference,
            "oracle": self.oracle,
            "oracle_blind_spots": list(self.blind_spots),
            "seed": self.seed,
            "inputs": [t.as_dict() for t in self.inputs],
            "outputs": [t.as_dict() for t in self.outputs],
            "vectors": [{"label": v.label, "inputs": [b.hex() for b in v.inputs],
                         "outputs": [b.hex() for b in v.outputs],
                         **({"care": [None if m is None else m.hex() for m in v.care]}
                            if any(m is not None for m in v.care) else {}),
                         **({"stopped": True} if v.stopped else {})} for v in self.vectors],
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
            inputs=specs(data["inputs"]), outputs=specs(data["outputs"]), oracle=data["oracle"],
            blind_spots=tuple(data["oracle_blind_spots"]),
            vectors=tuple(GoldenVector(v["label"], tuple(bytes.fromhex(h) for h in v["inputs"]),
                                       tuple(bytes.fromhex(h) for h in v["outputs"]),
                                       tuple(None if h is None else bytes.fromhex(h) for h in v.get("care", ())),
                                       bool(v.get("stopped", False)))
                          for v in data["vectors"]),
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
                         fix="use a model whose inputs are int8, uint8, int16, int32, int64, uint32, uint64, bool "
                             "or float")
    low, high = _INT_RANGES[spec.dtype]
    if spec.dtype in ("uint32", "uint64"):  # beyond int64: draw in the type itself
        return rng.integers(low, high, size=spec.shape, endpoint=True, dtype=dtypes.numpy_dtype(spec.dtype))
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



def edge_inputs(model: Model, spec: TensorSpec, index: int) -> list[tuple[str, np.ndarray]]:
    """(label, tensor) of the input's edge values: its minimum, maximum, zero and, when quantized
    with a non-zero zero point, the zero point (the real value 0)."""
    dtype = dtypes.numpy_dtype(spec.dtype)
    if spec.dtype in ("float32", "float16", "float64"):
        low, high = _FLOAT_RANGE
    elif spec.dtype in _INT_RANGES:
        low, high = _INT_RANGES[spec.dtype]
    else:
        return []
    values = [("all-min", low), ("all-max", high), ("all-zero", 0)]
    quantization = model.main.tensors[index].quantization
    zero_points = getattr(quantization, "zero_point", None) or ()
    if len(zero_points) == 1 and zero_points[0] != 0:
        values.append(("all-zero-point", zero_points[0]))
    return [(name, np.full(spec.shape, value, dtype=dtype)) for name, value in values]


def edge_vectors(model: Model, inputs: tuple[TensorSpec, ...]) -> list[tuple[str, list[np.ndarray]]]:
    """Every input at the same edge at once (an input without a zero point takes 0 for
    "all-zero-point", which is its real zero); an edge no input has, or one that repeats an
    earlier vector (bool's min and zero), is left out."""
    per_input = [dict(edge_inputs(model, spec, index)) for spec, index in zip(inputs, model.main.inputs)]
    if not per_input or any(not edges for edges in per_input):
        return []
    vectors, seen = [], set()
    for name in ("all-min", "all-max", "all-zero", "all-zero-point"):
        if not any(name in edges for edges in per_input):
            continue
        arrays = [edges.get(name, edges["all-zero"]) for edges in per_input]
        key = tuple(a.tobytes() for a in arrays)
        if key not in seen:
            seen.add(key)
            vectors.append((f"{EDGE_LABEL} {name}", arrays))
    return vectors


def make_golden(model: Model, name: str | None = None, random_vectors: int = DEFAULT_RANDOM_VECTORS,
                seed: int = DEFAULT_SEED, samples: tuple[Sample, ...] | list[Sample] = (),
                extra: tuple[tuple[str, list[np.ndarray]], ...] = (), edges: bool | None = None,
                oracle: Oracle | None = None) -> Golden:
    """Run the samples, the `extra` (label, inputs) vectors (a dataset's), the edge vectors, then
    `random_vectors` seeded random inputs through the oracle (default: oracle.select_oracle()).

    `edges` defaults to `random_vectors > 0`: test_vectors=0 asks for no generated vectors at all
    (an image without samples then runs unchecked), so the edge vectors go with the random ones."""
    name = name or model.name
    inputs = tensor_specs(model, model.main.inputs)
    outputs = tensor_specs(model, model.main.outputs)
    if samples and len(inputs) != 1:
        raise ModelError(f"samples need a single-input model; this one has {len(inputs)} inputs", where=model.path)
    feeds: list[tuple[str, list[np.ndarray], Sample | None]] = []
    for sample in samples:
        feeds.append((f"sample {sample.path.name} ({sample.label})", [load_sample(sample, inputs[0])], sample))
    feeds += [(label, list(arrays), None) for label, arrays in extra]
    if random_vectors > 0 if edges is None else edges:
        feeds += [(label, arrays, None) for label, arrays in edge_vectors(model, inputs)]
    for k in range(random_vectors):
        rng = np.random.default_rng([seed, k])
        feeds.append((f"random seed={seed} #{k}", [random_input(spec, rng) for spec in inputs], None))

    oracle = oracle or select_oracle()
    all_results, _ = oracle.run(model, [arrays for _, arrays, _ in feeds])
    runs = expected_runs(model, oracle, [label for label, _, _ in feeds], [r is None for r in all_results])
    vectors = []
    for (label, arrays, sample), results, run in zip(feeds, all_results, runs):
        input_bytes = tuple(a.astype(a.dtype.newbyteorder("<")).tobytes() for a in arrays)
        if results is None:  # TFLM stopped this invoke: its outputs hold nothing new
            vectors.append(GoldenVector(label, input_bytes, (), stopped=True))
            continue
        results = [np.ascontiguousarray(r) for r in results]
        for spec, result in zip(outputs, results):
            if result.nbytes != spec.nbytes:
                raise ModelError(f"the oracle returned {result.nbytes} bytes for output '{spec.name}', "
                                 f"expected {spec.nbytes}",
                                 where=model.path)
        if sample is not None and sample.tflm_output is not None:
            got = tuple(int(v) for v in results[0].reshape(-1))
            if got != sample.tflm_output:
                raise ModelError(f"{oracle.name} gives {list(got)} for sample {sample.path.name}, model.yaml records "
                                 f"{list(sample.tflm_output)}", where=model.path,
                                 fix="re-create the model's samples (its training script writes them)")
        care = care_masks(model, results, run.unspecified if run is not None else None)
        vectors.append(GoldenVector(label, input_bytes,
                                    tuple(r.astype(r.dtype.newbyteorder("<")).tobytes() for r in results),
                                    care if any(m is not None for m in care) else ()))
    return Golden(model=name, sha256=model.sha256, reference=oracle.name, seed=seed,
                  inputs=inputs, outputs=outputs, vectors=tuple(vectors), oracle=oracle.as_dict(),
                  blind_spots=tuple(d.describe() for d in oracle.blind_spots(model)))


def expected_runs(model: Model, oracle: Oracle, labels: list[str], stopped: list[bool]) -> list:
    """Per vector, circular_buffer_runs' prediction (None for a model without CIRCULAR_BUFFER), which
    must stop exactly the invokes the oracle stopped: a difference means the state was not carried
    over as the firmware carries it (ModelError, never golden data judged on another history)."""
    predicted = predict_runs(model, len(labels), stops_seen=any(stopped))
    expected = [run.stopped for run in predicted] if predicted is not None else [False] * len(labels)
    if expected != stopped:
        first = next(k for k, (a, b) in enumerate(zip(expected, stopped)) if a != b)
        raise ModelError(f"{oracle.name} {'stopped' if stopped[first] else 'ran'} test vector {first} "
                         f"('{terminal(labels[first])}') where the model's CIRCULAR_BUFFER options say its invoke "
                         f"{'stops' if expected[first] else 'runs'} ({sum(stopped)} of {len(labels)} stopped, "
                         f"{sum(expected)} expected): the oracle did not carry the state over as the firmware does",
                         where=model.path, fix="report this as a bug; build the model without test meanwhile")
    return predicted if predicted is not None else [None] * len(labels)
