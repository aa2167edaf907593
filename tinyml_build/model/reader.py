"""Parse a verified .tflite into plain, immutable dataclasses.

Everything downstream (analysis, code generation, lowering) works on these dataclasses,
never on flatbuffer accessors, so it does not depend on the schema module's API and never
re-reads raw offsets. `load_model` checks the file identifier and runs the bounds-checked
walk (verify.py) before the generated accessors see a single byte, then validates the
semantics: operator codes, tensor types, shapes, buffers and quantization.
"""

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tinyml_build.errors import ModelError
from tinyml_build.model import dtypes, schema
from tinyml_build.model.naming import model_c_name, model_name_from_path  # noqa: F401 -- re-exported
from tinyml_build.model.schema import fb
from tinyml_build.model.verify import verify_model

if TYPE_CHECKING:
    import numpy as np

# A tensor bigger than this cannot be meant for a microcontroller (and would overflow 32-bit sizes).
MAX_TENSOR_BYTES = 1 << 31
MAX_RANK = 8

_KNOWN_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (a Keras .keras file or a zipped model?): unzip it or convert it to .tflite",
    b"\x89HDF": "an HDF5 file (a Keras .h5 model): convert it with tf.lite.TFLiteConverter",
    b"\x08\x01\x12": "possibly a TensorFlow SavedModel .pb: convert it with tf.lite.TFLiteConverter",
}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per channel along `axis`."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    buffer: int
    quantization: Quantization | None
    is_variable: bool
    data: bytes | None = field(default=None, repr=False)  # constant contents, None for activations

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return dtypes.BY_NAME[self.dtype].nbytes(self.elements)

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    def array(self) -> "np.ndarray":
        """Constant contents as a numpy array of the tensor's shape."""
        import numpy as np  # here, not at import: reading a model for a build plan needs no numpy

        if self.data is None:
            raise ValueError(f"tensor {self.name!r} has no constant data")
        return np.frombuffer(self.data, dtype=dtypes.numpy_dtype(self.dtype)).reshape(self.shape)


@dataclass(frozen=True)
class OperatorCode:
    builtin: str  # BuiltinOperator name, e.g. "CONV_2D"; "CUSTOM" for custom ops
    builtin_code: int
    version: int
    custom_code: str | None = None

    @property
    def name(self) -> str:
        """The name users know the op by: the builtin name, or the custom op's own name."""
        return self.custom_code if self.builtin == "CUSTOM" and self.custom_code else self.builtin


@dataclass(frozen=True)
class Operator:
    index: int
    opcode: OperatorCode
    inputs: tuple[int, ...]  # tensor indices; -1 marks an omitted optional input
    outputs: tuple[int, ...]
    intermediates: tuple[int, ...]
    options_type: str | None  # BuiltinOptions union member, e.g. "Conv2DOptions"
    options: dict = field(default_factory=dict, hash=False, compare=False)
    # A custom op's options as stored (usually a FlexBuffer map: model/flex_options.py reads it).
    custom_options: bytes = field(default=b"", repr=False)
    # The options lie after the flatbuffer (large_custom_options_offset/size): TFLM's interpreter
    # ignores those and hands the op no options, so readers must not pretend it sees them.
    large_custom_options: bool = False

    @property
    def name(self) -> str:
        return self.opcode.name


@dataclass(frozen=True)
class Subgraph:
    index: int
    name: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class Model:
    name: str
    path: str  # as given by the user; used in messages only
    sha256: str
    size: int
    version: int
    description: str
    operator_codes: tuple[OperatorCode, ...]
    subgraphs: tuple[Subgraph, ...]
    data: bytes = field(repr=False, default=b"")

    @property
    def main(self) -> Subgraph:
        return self.subgraphs[0]

    def op_names(self) -> list[str]:
        """Distinct operator names used anywhere in the model, sorted."""
        return sorted({op.name for sg in self.subgraphs for op in sg.operators})


def load_model(path: str | Path, name: str | None = None) -> Model:
    """Read and validate a .tflite file; every problem is one ModelError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError("model file not found", where=str(path),
                         fix="check the path, or use a model name from models/") from None
    except IsADirectoryError:
        raise ModelError("is a directory, not a .tflite file", where=str(path),
                         fix="point at the .tflite file inside it") from None
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}", where=str(path),
                         fix="check the file's permissions") from None
    return read_model(data, where=str(path), name=name or model_name_from_path(path))


def read_model(data: bytes, where: str = "<model>", name: str = "model") -> Model:
    """Validate and parse the bytes of a .tflite flatbuffer."""
    _check_header(data, where)
    verify_model(data, where)
    try:
        root = fb.Model.GetRootAs(data, 0)
        return _parse(root, data, where, name)
    except ModelError:
        raise
    except Exception as exc:  # the verified walk makes this unreachable for the fields it covers
        raise ModelError(f"corrupt model: {type(exc).__name__}: {exc}", where=where,
                         fix="re-export the model") from None


def _check_header(data: bytes, where: str) -> None:
    if len(data) == 0:
        raise ModelError("model file is empty", where=where, fix="re-export or re-download the model")
    if len(data) < 8:
        raise ModelError(f"model file is only {len(data)} bytes, too small for a TFLite flatbuffer", where=where,
                         fix="re-export or re-download the model")
    ident = data[4:8]
    if ident != schema.FILE_IDENTIFIER:
        hint = next((h for magic, h in _KNOWN_MAGIC.items() if data.startswith(magic)), None)
        shown = ident.decode("ascii", errors="replace") if all(32 <= b < 127 for b in ident) else ident.hex()
        raise ModelError(
            f"not a TFLite model: file identifier is '{shown}', expected 'TFL3'",
            where=where,
            fix=hint or "pass a .tflite file produced by tf.lite.TFLiteConverter",
        )


def _parse(root, data: bytes, where: str, name: str) -> Model:
    def fail(what: str, fix: str = "re-export the model with a current tf.lite.TFLiteConverter") -> ModelError:
        return ModelError(what, where=where, fix=fix)

    version = root.Version()
    if version != schema.SCHEMA_VERSION:
        raise fail(f"schema version {version} is not supported (expected {schema.SCHEMA_VERSION})")
    if root.SubgraphsLength() < 1:
        raise fail("model has no subgraphs")

    codes = tuple(_parse_opcode(root.OperatorCodes(i), i, fail) for i in range(root.OperatorCodesLength()))
    buffers = [_buffer_bytes(root.Buffers(i), data, i, fail) for i in range(root.BuffersLength())]
    subgraphs = tuple(_parse_subgraph(root.Subgraphs(s), s, codes, buffers, fail)
                      for s in range(root.SubgraphsLength()))
    description = root.Description()
    return Model(
        name=name,
        path=where,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        version=version,
        description=description.decode("utf-8", errors="replace") if description else "",
        operator_codes=codes,
        subgraphs=subgraphs,
        data=data,
    )


def _parse_opcode(code, index: int, fail) -> OperatorCode:
    # Old files only fill the int8 deprecated field; new ones fill both (or only builtin_code for
    # codes above 127). TFLite takes the larger of the two.
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    op_name = schema.BUILTIN_OPERATOR_NAMES.get(builtin)
    if op_name is None:
        raise fail(
            f"operator_codes[{index}]: unknown builtin operator code {builtin}",
            fix="the model was made by a newer converter than this tool's schema; "
                "update tflite-micro or re-export with an older converter",
        )
    custom = code.CustomCode()
    custom = custom.decode("utf-8", errors="replace") if custom else None
    if builtin == schema.CUSTOM_OPCODE and not custom:
        raise fail(f"operator_codes[{index}]: custom operator without a name")
    return OperatorCode(builtin=op_name, builtin_code=builtin, version=max(code.Version(), 1), custom_code=custom)


def _buffer_bytes(buffer, data: bytes, index: int, fail) -> bytes | None:
    if buffer.Offset() > 1:  # data stored after the flatbuffer (models > 2 GB style); verified in range
        return data[buffer.Offset():buffer.Offset() + buffer.Size()]
    if buffer.DataLength() == 0:
        return None
    return buffer.DataAsNumpy().tobytes()


def _parse_subgraph(sg, s: int, codes, buffers, fail) -> Subgraph:
    tensors = tuple(_parse_tensor(sg.Tensors(t), s, t, buffers, fail) for t in range(sg.TensorsLength()))
    count = len(tensors)

    def indices(values, what: str, optional: bool) -> tuple[int, ...]:
        result = tuple(int(v) for v in values)
        for v in result:
            if not (-1 if optional else 0) <= v < count:
                raise fail(f"subgraphs[{s}].{what}: tensor index {v} out of range (the subgraph has {count} tensors)")
        return result

    operators = []
    for o in range(sg.OperatorsLength()):
        op = sg.Operators(o)
        if op.OpcodeIndex() >= len(codes):
            raise fail(f"subgraphs[{s}].operators[{o}]: opcode_index {op.OpcodeIndex()} out of range "
                       f"({len(codes)} operator codes)")
        options_type, options = _parse_options(op, fail, f"subgraphs[{s}].operators[{o}]")
        operators.append(Operator(
            index=o,
            opcode=codes[op.OpcodeIndex()],
            inputs=indices(op.InputsAsNumpy() if op.InputsLength() else (), f"operators[{o}].inputs", True),
            outputs=indices(op.OutputsAsNumpy() if op.OutputsLength() else (), f"operators[{o}].outputs", False),
            intermediates=indices(op.IntermediatesAsNumpy() if op.IntermediatesLength() else (),
                                  f"operators[{o}].intermediates", False),
            options_type=options_type,
            options=options,
            custom_options=op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b"",
            large_custom_options=op.LargeCustomOptionsSize() > 0,
        ))
    name = sg.Name()
    return Subgraph(
        index=s,
        name=name.decode("utf-8", errors="replace") if name else "",
        tensors=tensors,
        operators=tuple(operators),
        inputs=indices(sg.InputsAsNumpy() if sg.InputsLength() else (), "inputs", False),
        outputs=indices(sg.OutputsAsNumpy() if sg.OutputsLength() else (), "outputs", False),
    )


def _parse_tensor(t, s: int, index: int, buffers, fail) -> Tensor:
    raw_name = t.Name()
    name = raw_name.decode("utf-8", errors="replace") if raw_name else f"tensor_{index}"
    path = f"subgraphs[{s}].tensors[{index}] '{name}'"
    dtype = dtypes.BY_CODE.get(t.Type())
    if dtype is None:
        raise fail(f"{path}: unknown tensor type {t.Type()}")
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    signature = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else None
    if len(shape) > MAX_RANK:
        raise fail(f"{path}: rank {len(shape)} exceeds the maximum of {MAX_RANK}")
    if any(d < 0 for d in shape):
        raise fail(f"{path}: shape {list(shape)} has a negative (dynamic) dimension",
                   fix="microcontroller runtimes need static shapes: fix the input shape (batch 1) before converting")
    if dtype.nbytes(math.prod(shape)) > MAX_TENSOR_BYTES:
        raise fail(f"{path}: shape {list(shape)} is absurdly large ({math.prod(shape):,} elements)")
    if t.Sparsity() is not None:
        raise fail(f"{path}: sparse tensors are not supported by microcontroller runtimes",
                   fix="convert without sparsity (do not use tf.lite.Optimize.EXPERIMENTAL_SPARSITY)")
    buffer = t.Buffer()
    if buffer >= len(buffers) and buffer != 0:
        raise fail(f"{path}: buffer index {buffer} out of range ({len(buffers)} buffers)")
    data = buffers[buffer] if buffer < len(buffers) else None
    if data is not None and dtype.name not in dtypes.UNSIZED and len(data) != dtype.nbytes(math.prod(shape)):
        raise fail(f"{path}: constant data is {len(data)} bytes but shape {list(shape)} of {dtype.name} "
                   f"needs {dtype.nbytes(math.prod(shape))}")
    return Tensor(
        index=index,
        name=name,
        dtype=dtype.name,
        shape=shape,
        shape_signature=signature,
        buffer=buffer,
        quantization=_parse_quantization(t.Quantization(), shape, path, fail),
        is_variable=bool(t.IsVariable()),
        data=data,
    )


def _parse_quantization(q, shape, path: str, fail) -> Quantization | None:
    if q is None or q.ScaleLength() == 0:
        return None
    scales = tuple(float(v) for v in q.ScaleAsNumpy())
    zero_points = tuple(int(v) for v in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else (0,) * len(scales)
    axis = q.QuantizedDimension()
    if len(zero_points) not in (1, len(scales)):
        raise fail(f"{path}: quantization has {len(scales)} scales but {len(zero_points)} zero points")
    if len(zero_points) == 1 and len(scales) > 1:
        zero_points = zero_points * len(scales)
    if not all(math.isfinite(v) and v > 0 for v in scales):
        bad = [v for v in scales if not (math.isfinite(v) and v > 0)]
        raise fail(f"{path}: quantization scale must be finite and positive, got {bad[:3]}")
    if len(scales) > 1:
        if len(shape) == 1 and shape[0] == len(scales):
            axis = 0  # converters write the weights' axis (e.g. 3) on 1-D biases; TFLM reads it as 0
        if not 0 <= axis < len(shape):
            raise fail(f"{path}: per-channel quantized_dimension {axis} is outside the tensor's rank {len(shape)}")
        if shape[axis] != len(scales):
            raise fail(f"{path}: {len(scales)} per-channel scales but dimension {axis} has {shape[axis]} channels")
    return Quantization(scale=scales, zero_point=zero_points, axis=axis)


def _snake(name: str) -> str:
    # strideW -> stride_w, dilationWFactor -> dilation_w_factor (the schema.fbs field names)
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


def _parse_options(op, fail, path: str) -> tuple[str | None, dict]:
    """Builtin options as a plain dict with snake_case keys; padding and activation as names."""
    kind = op.BuiltinOptionsType()
    if kind == 0:
        return None, {}
    kind_name = schema.BUILTIN_OPTIONS_NAMES.get(kind)
    if kind_name is None:
        raise fail(f"{path}: unknown builtin options type {kind}")
    table = op.BuiltinOptions()
    if table is None:
        return kind_name, {}
    obj = fb.BuiltinOptionsCreator(kind, table)
    options = {}
    for key, value in vars(obj).items():
        key = _snake(key)
        if hasattr(value, "tolist"):  # a numpy array from the flatbuffers accessors
            value = value.tolist()
        if key == "padding":
            value = schema.PADDING_NAMES.get(value, value)
        elif key == "fused_activation_function":
            value = schema.ACTIVATION_NAMES.get(value, value)
        options[key] = value
    return kind_name, options
