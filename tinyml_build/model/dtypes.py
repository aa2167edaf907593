"""TFLite tensor element types: names, sizes and numpy equivalents."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np  # only for the annotation: the type table is used without numpy


@dataclass(frozen=True)
class DType:
    name: str  # lower-case, e.g. "int8"
    code: int  # TensorType enum value
    bits: int  # storage bits per element (4 for packed int4)
    numpy: str | None  # numpy dtype string, None where numpy has no equivalent

    @property
    def is_float(self) -> bool:
        return self.name.startswith(("float", "bfloat"))

    def nbytes(self, elements: int) -> int:
        return (elements * self.bits + 7) // 8


_TABLE = [
    DType("float32", 0, 32, "<f4"),
    DType("float16", 1, 16, "<f2"),
    DType("int32", 2, 32, "<i4"),
    DType("uint8", 3, 8, "u1"),
    DType("int64", 4, 64, "<i8"),
    DType("string", 5, 8, None),
    DType("bool", 6, 8, "?"),
    DType("int16", 7, 16, "<i2"),
    DType("complex64", 8, 64, "<c8"),
    DType("int8", 9, 8, "i1"),
    DType("float64", 10, 64, "<f8"),
    DType("complex128", 11, 128, "<c16"),
    DType("uint64", 12, 64, "<u8"),
    DType("resource", 13, 8, None),
    DType("variant", 14, 8, None),
    DType("uint32", 15, 32, "<u4"),
    DType("uint16", 16, 16, "<u2"),
    DType("int4", 17, 4, None),
    DType("bfloat16", 18, 16, None),
    DType("int2", 19, 2, None),
    DType("uint4", 20, 4, None),
    DType("float8_e4m3fn", 21, 8, None),
    DType("float8_e5m2", 22, 8, None),
]

BY_CODE: dict[int, DType] = {d.code: d for d in _TABLE}
BY_NAME: dict[str, DType] = {d.name: d for d in _TABLE}

# Types whose storage size is not a function of the element count (variable-length or opaque).
UNSIZED = frozenset({"string", "resource", "variant"})


def numpy_dtype(name: str) -> "np.dtype":
    import numpy as np  # here, not at import: the type table is used without numpy

    spec = BY_NAME[name].numpy
    if spec is None:
        raise KeyError(f"no numpy dtype for {name}")
    return np.dtype(spec)
