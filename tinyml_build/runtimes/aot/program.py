"""What the aot lowering produces: a Program, i.e. everything the C emitter needs, already decided.

Why a separate data model: lowering (per-op Python modules) decides *what* to call with which
constants; planning decides *where* tensors live; the emitter only formats. Keeping the
result as plain data makes each stage testable and the generated C deterministic.
"""

from dataclasses import dataclass, field

import numpy as np

# TFLite dtype name -> (C element type, tml_dtype enumerator)
C_TYPES = {
    "float32": ("float", "TML_FLOAT32"),
    "int32": ("int32_t", "TML_INT32"),
    "uint8": ("uint8_t", "TML_UINT8"),
    "int64": ("int64_t", "TML_INT64"),
    "bool": ("uint8_t", "TML_BOOL"),
    "int16": ("int16_t", "TML_INT16"),
    "int8": ("int8_t", "TML_INT8"),
    "uint32": ("uint32_t", "TML_UINT32"),  # Signal ops (energies, filter bank channels)
    "uint64": ("uint64_t", "TML_UINT64"),  # SignalFilterBank's accumulators
}

C_NUMPY_TYPES = {"int8_t": "i1", "uint8_t": "u1", "int16_t": "<i2", "uint16_t": "<u2", "int32_t": "<i4",
                 "uint32_t": "<u4", "int64_t": "<i8", "uint64_t": "<u8", "float": "<f4"}
C_TYPE_SIZES = {ctype: np.dtype(code).itemsize for ctype, code in C_NUMPY_TYPES.items()}


@dataclass(frozen=True)
class CArray:
    """A constant array placed in flash (`static const <ctype> <name>[]`)."""

    name: str
    ctype: str
    values: np.ndarray = field(repr=False, compare=False)  # flat
    comment: str

    @property
    def nbytes(self) -> int:
        return int(self.values.size) * C_TYPE_SIZES[self.ctype]


@dataclass(frozen=True)
class CStruct:
    """A `static const <ctype> <name> = {.field = value, ...}` kernel parameter block."""

    name: str
    ctype: str
    fields: tuple[tuple[str, str], ...]  # (field, C initializer), in the order the lowering gave
    comment: str


@dataclass(frozen=True)
class Trace:
    tensor: int
    pointer: str
    nbytes: int


@dataclass
class Step:
    """One TFLite operator: the C statements that run it, and the tensors it produces."""

    op_index: int
    op_name: str
    statements: list[str] = field(default_factory=list)
    traces: list[Trace] = field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    """A buffer in the arena: an activation tensor (or an alias group) or an op's scratch."""

    macro: str
    offset: int | None  # None: an optional scratch left out (its macro is NULL)
    nbytes: int
    comment: str


@dataclass(frozen=True)
class IOTensor:
    index: int
    name: str
    pointer: str
    nbytes: int
    dtype_enum: str
    dims: tuple[int, ...]
    scale: float
    zero_point: int


@dataclass(frozen=True)
class VariableTensor:
    """A tensor whose contents persist between invocations (RNN state): init() fills it with
    `fill` as TFLM's ResetVariableTensors does (an int8 tensor's zero point, else 0)."""

    pointer: str
    nbytes: int
    fill: int
    comment: str


@dataclass(frozen=True)
class StateBuffer:
    """Memory one op keeps from one invoke() to the next (TFLM's persistent buffers of stateful ops:
    the Signal library's circular buffers and noise estimates): a static array outside the arena,
    so nothing the arena plan places (nor another model sharing the arena, arena_share=on) can
    overwrite it. init() resets it through the op's reset call (Program.init_statements)."""

    name: str
    ctype: str
    count: int
    comment: str

    @property
    def nbytes(self) -> int:
        return self.count * C_TYPE_SIZES[self.ctype]


@dataclass
class SubgraphFunction:
    """A subgraph that IF / WHILE / CALL_ONCE run: `static tml_status <name>(void)` over its steps
    (subgraphs.py); not traced, as it may run many times per invoke."""

    name: str
    subgraph: int
    steps: list[Step]


@dataclass
class Program:
    name: str  # C identifier; the API symbol is <name>_model_api
    source: str  # model file name (no directory: output must not depend on where the build ran)
    sha256: str
    operator_count: int
    tensor_count: int
    arena_size: int
    arena_lower_bound: int  # most bytes live at once: no plan can be smaller
    placements: list[Placement]
    arrays: list[CArray]
    structs: list[CStruct]
    steps: list[Step]
    inputs: list[IOTensor]
    outputs: list[IOTensor]
    kernels: list[str]  # kernel file stems under runtime/aot/kernels/, sorted
    tensor_offsets: dict[int, int]  # activation tensor index -> arena offset
    eliminated: list[tuple[int, str]] = field(default_factory=list)  # (op index, name) resolved at build time
    variables: list[VariableTensor] = field(default_factory=list)  # state reset by init()
    states: list[StateBuffer] = field(default_factory=list)  # per-op state outside the arena (Signal ops)
    functions: list[SubgraphFunction] = field(default_factory=list)  # called subgraphs, callees first
    state: list[str] = field(default_factory=list)  # C declarations of mutable flags (CALL_ONCE's "has run")
    init_statements: list[str] = field(default_factory=list)  # init(): resets of `state`, then ops' reset calls

    @property
    def model_bytes(self) -> int:
        """Bytes of constant data (weights, biases, multipliers, tables) the image carries."""
        return sum(a.nbytes for a in self.arrays)

    @property
    def state_bytes(self) -> int:
        """RAM of the ops' persistent state (StateBuffer), next to the arena: TFLM keeps the same
        data in its arena's persistent tail."""
        return sum(s.nbytes for s in self.states)
