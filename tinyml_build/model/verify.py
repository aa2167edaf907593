"""Bounds-checked walk over a .tflite flatbuffer, before anything trusts its offsets.

The generated flatbuffers accessors read whatever an offset points at: on a truncated or
corrupted file they raise arbitrary exceptions, or silently return garbage. So every table,
vector and string the reader will touch is checked here first, against the file's length,
and a problem is reported as one `ModelError` naming the structure (e.g.
`subgraphs[0].tensors[12].shape`) where the file is broken.

Field slots follow tensorflow/lite/schema/schema.fbs (slot n lives at vtable offset 4 + 2n).
"""

import struct

from tinyml_build.errors import ModelError

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

# Slots we read, per table (schema.fbs field order).
MODEL = dict(version=0, operator_codes=1, subgraphs=2, description=3, buffers=4, metadata_buffer=5, metadata=6,
             signature_defs=7)
OPERATOR_CODE = dict(deprecated_builtin_code=0, custom_code=1, version=2, builtin_code=3)
SUBGRAPH = dict(tensors=0, inputs=1, outputs=2, operators=3, name=4)
TENSOR = dict(shape=0, type=1, buffer=2, name=3, quantization=4, is_variable=5, sparsity=6, shape_signature=7)
QUANTIZATION = dict(min=0, max=1, scale=2, zero_point=3, details_type=4, details=5, quantized_dimension=6)
OPERATOR = dict(
    opcode_index=0, inputs=1, outputs=2, builtin_options_type=3, builtin_options=4, custom_options=5,
    mutating_variable_inputs=7, intermediates=8, large_custom_options_offset=9, large_custom_options_size=10,
    builtin_options_2_type=11, builtin_options_2=12,
)
BUFFER = dict(data=0, offset=1, size=2)
METADATA = dict(name=0, buffer=1)

# Upper bound on elements in any vector: nothing in a real model comes close, and it keeps a
# corrupted length from turning into a huge allocation.
MAX_VECTOR_LENGTH = 1 << 28


class FlatBufferWalker:
    """Reads scalars, tables, vectors and strings of `data`, raising ModelError out of bounds."""

    def __init__(self, data: bytes, where: str):
        self.data = data
        self.size = len(data)
        self.where = where

    def fail(self, path: str, problem: str) -> ModelError:
        return ModelError(
            f"corrupt model: {path}: {problem}",
            where=self.where,
            fix="re-export the model (the file is truncated or damaged); check the download or copy",
        )

    def _read(self, fmt: struct.Struct, pos: int, path: str) -> int:
        if pos < 0 or pos + fmt.size > self.size:
            raise self.fail(path, f"reads {fmt.size} bytes at offset {pos}, "
                                  f"beyond the end of the {self.size}-byte file")
        return fmt.unpack_from(self.data, pos)[0]

    def root(self) -> "Table":
        return self.table_at(self._read(_U32, 0, "root table offset"), "model")

    def table_at(self, pos: int, path: str) -> "Table":
        if pos % 4:
            raise self.fail(path, f"table at offset {pos} is not 4-byte aligned")
        vtable = pos - self._read(_I32, pos, path)
        vtable_size = self._read(_U16, vtable, f"{path} (vtable)")
        table_size = self._read(_U16, vtable + 2, f"{path} (vtable)")
        if vtable_size < 4 or vtable_size % 2 or vtable + vtable_size > self.size:
            raise self.fail(path, f"vtable of {vtable_size} bytes at offset {vtable} is malformed")
        if table_size < 4 or pos + table_size > self.size:
            raise self.fail(path, f"table of {table_size} bytes at offset {pos} runs past the end of the file")
        return Table(self, pos, vtable, vtable_size, table_size, path)


class Table:
    """One verified table: field offsets are checked to lie inside it before use."""

    def __init__(self, walker: FlatBufferWalker, pos: int, vtable: int, vtable_size: int, table_size: int, path: str):
        self.w, self.pos, self.vtable, self.vtable_size, self.table_size, self.path = (walker, pos, vtable, vtable_size,
                                                                                      table_size, path)

    def _field(self, slot: int, width: int, name: str) -> int:
        """Absolute position of a field, or 0 when absent (default value)."""
        entry = 4 + 2 * slot
        if entry + 2 > self.vtable_size:
            return 0
        offset = self.w._read(_U16, self.vtable + entry, self.path)
        if offset == 0:
            return 0
        if offset + width > self.table_size:
            raise self.w.fail(f"{self.path}.{name}",
                              f"field lies outside its table ({offset}+{width} > {self.table_size} bytes)")
        return self.pos + offset

    def scalar(self, slot: int, fmt: struct.Struct, name: str, default: int = 0) -> int:
        at = self._field(slot, fmt.size, name)
        return self.w._read(fmt, at, f"{self.path}.{name}") if at else default

    def u8(self, slot: int, name: str, default: int = 0) -> int:
        return self.scalar(slot, _U8, name, default)

    def u32(self, slot: int, name: str, default: int = 0) -> int:
        return self.scalar(slot, _U32, name, default)

    def u64(self, slot: int, name: str, default: int = 0) -> int:
        return self.scalar(slot, _U64, name, default)

    def _target(self, slot: int, name: str) -> int:
        """Position an offset field points at, or 0 when absent."""
        at = self._field(slot, 4, name)
        if not at:
            return 0
        target = at + self.w._read(_U32, at, f"{self.path}.{name}")
        if target >= self.w.size:
            raise self.w.fail(f"{self.path}.{name}",
                              f"points to offset {target}, beyond the end of the {self.w.size}-byte file")
        return target

    def table(self, slot: int, name: str) -> "Table | None":
        target = self._target(slot, name)
        return self.w.table_at(target, f"{self.path}.{name}") if target else None

    def vector(self, slot: int, name: str, element_size: int) -> tuple[int, int]:
        """(start of elements, length) of a vector field; (0, 0) when absent."""
        target = self._target(slot, name)
        if not target:
            return 0, 0
        path = f"{self.path}.{name}"
        length = self.w._read(_U32, target, path)
        start = target + 4
        if length > MAX_VECTOR_LENGTH or start + length * element_size > self.w.size:
            raise self.w.fail(path, f"vector of {length} elements at offset {target} runs past the end of the file")
        return start, length

    def string(self, slot: int, name: str) -> str | None:
        start, length = self.vector(slot, name, 1)
        if not start:
            return None
        return self.w.data[start:start + length].decode("utf-8", errors="replace")

    def tables(self, slot: int, name: str) -> list["Table"]:
        start, length = self.vector(slot, name, 4)
        result = []
        for i in range(length):
            at = start + 4 * i
            result.append(self.w.table_at(at + self.w._read(_U32, at, f"{self.path}.{name}[{i}]"),
                                          f"{self.path}.{name}[{i}]"))
        return result


def verify_model(data: bytes, where: str) -> None:
    """Walk every structure the reader touches; raise ModelError at the first one out of bounds."""
    walker = FlatBufferWalker(data, where)
    model = walker.root()
    model.u32(MODEL["version"], "version")
    model.string(MODEL["description"], "description")
    for code in model.tables(MODEL["operator_codes"], "operator_codes"):
        code.string(OPERATOR_CODE["custom_code"], "custom_code")
        code.scalar(OPERATOR_CODE["builtin_code"], _I32, "builtin_code")
        code.u8(OPERATOR_CODE["deprecated_builtin_code"], "deprecated_builtin_code")
        code.scalar(OPERATOR_CODE["version"], _I32, "version", 1)
    for buffer in model.tables(MODEL["buffers"], "buffers"):
        buffer.vector(BUFFER["data"], "data", 1)
        offset, size = buffer.u64(BUFFER["offset"], "offset"), buffer.u64(BUFFER["size"], "size")
        if offset and offset + size > len(data):
            raise walker.fail(buffer.path, f"external data [{offset}, {offset + size}) "
                                           f"lies beyond the end of the {len(data)}-byte file")
    model.vector(MODEL["metadata_buffer"], "metadata_buffer", 4)
    for entry in model.tables(MODEL["metadata"], "metadata"):
        entry.string(METADATA["name"], "name")
        entry.u32(METADATA["buffer"], "buffer")
    for subgraph in model.tables(MODEL["subgraphs"], "subgraphs"):
        subgraph.string(SUBGRAPH["name"], "name")
        subgraph.vector(SUBGRAPH["inputs"], "inputs", 4)
        subgraph.vector(SUBGRAPH["outputs"], "outputs", 4)
        for tensor in subgraph.tables(SUBGRAPH["tensors"], "tensors"):
            _verify_tensor(tensor)
        for op in subgraph.tables(SUBGRAPH["operators"], "operators"):
            _verify_operator(op, walker)


def _verify_tensor(tensor: Table) -> None:
    tensor.vector(TENSOR["shape"], "shape", 4)
    tensor.vector(TENSOR["shape_signature"], "shape_signature", 4)
    tensor.u8(TENSOR["type"], "type")
    tensor.u32(TENSOR["buffer"], "buffer")
    tensor.u8(TENSOR["is_variable"], "is_variable")
    tensor.string(TENSOR["name"], "name")
    tensor.table(TENSOR["sparsity"], "sparsity")  # only its presence is read: sparse models are rejected
    quant = tensor.table(TENSOR["quantization"], "quantization")
    if quant is not None:
        quant.vector(QUANTIZATION["min"], "min", 4)
        quant.vector(QUANTIZATION["max"], "max", 4)
        quant.vector(QUANTIZATION["scale"], "scale", 4)
        quant.vector(QUANTIZATION["zero_point"], "zero_point", 8)
        quant.scalar(QUANTIZATION["quantized_dimension"], _I32, "quantized_dimension")
        quant.u8(QUANTIZATION["details_type"], "details_type")
        quant.table(QUANTIZATION["details"], "details")


def _verify_operator(op: Table, walker: FlatBufferWalker) -> None:
    op.u32(OPERATOR["opcode_index"], "opcode_index")
    op.vector(OPERATOR["inputs"], "inputs", 4)
    op.vector(OPERATOR["outputs"], "outputs", 4)
    op.vector(OPERATOR["intermediates"], "intermediates", 4)
    op.vector(OPERATOR["mutating_variable_inputs"], "mutating_variable_inputs", 1)
    op.vector(OPERATOR["custom_options"], "custom_options", 1)
    op.u8(OPERATOR["builtin_options_type"], "builtin_options_type")
    op.u8(OPERATOR["builtin_options_2_type"], "builtin_options_2_type")
    op.table(OPERATOR["builtin_options"], "builtin_options")
    op.table(OPERATOR["builtin_options_2"], "builtin_options_2")
    offset = op.u64(OPERATOR["large_custom_options_offset"], "large_custom_options_offset")
    size = op.u64(OPERATOR["large_custom_options_size"], "large_custom_options_size")
    if offset and offset + size > walker.size:
        raise walker.fail(op.path, f"custom options [{offset}, {offset + size}) lie beyond the end of the file")
