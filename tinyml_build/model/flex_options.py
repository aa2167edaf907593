"""A custom op's options (a FlexBuffer map), read from untrusted bytes the way TFLM reads them.

Why a module of its own: custom ops (TFLM's Signal library, ...) keep their parameters in the
operator's `custom_options` as a FlexBuffer map, which the .tflite verifier does not look into.
The `flatbuffers` package parses it, but on malformed bytes it raises whatever the bytes provoke
(IndexError, struct.error, RecursionError...), so every access here is wrapped and turned into
one ModelError naming the op and the option.

TFLM does not look keys up: its FlexbufferWrapper reads the map's values vector by position
(`ElementAsInt32(kShiftIndex)`, the position of the key in the sorted map) and reinterprets the
stored bytes as a signed integer of the vector's byte width. So a getter takes the key AND the
position TFLM reads, and refuses an option TFLM would read differently (another key at that
position, a float, an indirect or unsigned value whose bytes do not read back as the same integer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml_build.errors import ModelError
from tinyml_build.escape import terminal

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
_FIX = "re-export the model; the op's custom options must be the FlexBuffer map its TFLM kernel reads"


def _flexbuffers():
    import flatbuffers.flexbuffers as flexbuffers  # here: only models with custom ops need it

    return flexbuffers


@dataclass(frozen=True)
class _Value:
    kind: str  # "int", "uint", "bool", "float", "vector", or the FlexBuffer type name
    value: object
    width: int  # byte width of the map's value slots (what TFLM reads each value with)


class CustomOptions:
    """The parsed map of one operator; getters validate type and TFLM's read position."""

    def __init__(self, keys: tuple[str, ...], values: tuple[_Value, ...], op_label: str, where: str):
        self.keys = keys
        self._values = values
        self._op = op_label
        self._where = where

    def _fail(self, what: str, fix: str = _FIX) -> ModelError:
        return ModelError(f"{self._op}: {what}", where=self._where, fix=fix)

    def _slot(self, key: str, position: int) -> _Value:
        if key not in self.keys:
            shown = ", ".join(repr(terminal(k)) for k in self.keys) or "none"
            raise self._fail(f"custom option '{key}' is missing (the options have: {shown})")
        if self.keys.index(key) != position:
            raise self._fail(f"custom option '{key}' is entry {self.keys.index(key)} of the options map, but TFLM "
                             f"reads it as entry {position} (by position, not by name): the map has unexpected keys "
                             f"({', '.join(repr(terminal(k)) for k in self.keys)})")
        return self._values[position]

    def int(self, key: str, position: int) -> int:
        """An int32 option, as TFLM's ElementAsInt32(position) reads it."""
        slot = self._slot(key, position)
        if slot.kind not in ("int", "uint", "bool"):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected an integer")
        value = int(slot.value)
        signed_limit = 1 << (8 * slot.width - 1)
        if slot.kind == "uint" and value >= signed_limit:
            raise self._fail(f"custom option '{key}' is the unsigned {value}, which TFLM reads as the signed "
                             f"{slot.width}-byte integer {value - 2 * signed_limit}")
        if not INT32_MIN <= value <= INT32_MAX:
            raise self._fail(f"custom option '{key}' = {value} does not fit int32")
        return value

    def bool(self, key: str, position: int) -> bool:
        """A boolean option, as TFLM's ElementAsBool(position) reads it (non-zero bytes: true)."""
        slot = self._slot(key, position)
        if slot.kind not in ("int", "uint", "bool"):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected a boolean")
        return bool(slot.value)

    # --- options TFLM looks up by name (flexbuffers' Map::operator[], e.g. detection_postprocess.cc) ---

    def _named(self, key: str, default) -> _Value | None:
        """The value `map[key]` finds, or None for an absent key with a default. flexbuffers finds
        keys by binary search, which only works on strictly sorted keys: other maps are refused."""
        if any(a.encode() >= b.encode() for a, b in zip(self.keys, self.keys[1:])):
            raise self._fail("the options map's keys are not strictly sorted, so TFLM's binary search may miss "
                             "some of them")
        if key in self.keys:
            return self._values[self.keys.index(key)]
        if default is None:
            shown = ", ".join(repr(terminal(k)) for k in self.keys) or "none"
            raise self._fail(f"custom option '{key}' is missing, which TFLM reads as 0 (the options have: {shown})")
        return None

    def named_int(self, key: str, default: int | None = None) -> int:
        """An int32 option TFLM reads by name (`AsInt32()`); `default` when absent (None: required)."""
        slot = self._named(key, default)
        if slot is None:
            return default
        if slot.kind not in ("int", "uint"):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected an integer")
        if not INT32_MIN <= int(slot.value) <= INT32_MAX:
            raise self._fail(f"custom option '{key}' = {slot.value} does not fit int32")
        return int(slot.value)

    def named_float(self, key: str) -> float:
        """A required float option TFLM reads by name (`AsFloat()`: the stored number rounded to float32)."""
        slot = self._named(key, None)
        if slot.kind not in ("float", "int", "uint"):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected a number")
        with np.errstate(over="ignore"):
            return float(np.float32(float(slot.value)))

    def named_bool(self, key: str, default: bool) -> bool:
        """A boolean option TFLM reads by name (`AsBool()`: non-zero is true); `default` when absent."""
        slot = self._named(key, default)
        if slot is None:
            return default
        if slot.kind not in ("bool", "int", "uint"):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected a boolean")
        return bool(slot.value)

    def int_vector(self, key: str, position: int) -> tuple[int, ...]:
        """A vector of integers (each within int32)."""
        slot = self._slot(key, position)
        if slot.kind != "vector" or not all(isinstance(v, int) and not isinstance(v, bool) for v in slot.value):
            raise self._fail(f"custom option '{key}' is a {slot.kind}, expected a vector of integers")
        if any(not INT32_MIN <= v <= INT32_MAX for v in slot.value):
            raise self._fail(f"custom option '{key}' has values outside int32")
        return tuple(slot.value)


def read_custom_options(data: bytes, op_label: str, where: str, large: bool = False) -> CustomOptions:
    """Parse `data` (an operator's custom_options) as a FlexBuffer map.

    op_label names the op in messages ("op #3 SignalWindow"); `large`: the model stores the options
    after the flatbuffer, which TFLM's interpreter never reads (refused: the kernel would see none).
    """
    if large:
        raise ModelError(f"{op_label}: the custom options are stored after the flatbuffer "
                         "(large_custom_options), which TFLM's interpreter does not read",
                         where=where, fix="re-export the model with the options inline (custom_options)")
    if not data:
        raise ModelError(f"{op_label}: the op has no custom options (its TFLM kernel reads a FlexBuffer map)",
                         where=where, fix=_FIX)
    try:
        return _parse(bytes(data), op_label, where)
    except ModelError:
        raise
    except Exception as exc:  # malformed bytes: the flexbuffers package raises whatever they provoke
        raise ModelError(f"{op_label}: malformed custom options ({len(data)} bytes, not a FlexBuffer map: "
                         f"{type(exc).__name__})", where=where, fix=_FIX) from None


def _parse(data: bytes, op_label: str, where: str) -> CustomOptions:
    flexbuffers = _flexbuffers()
    if len(data) < 3:
        raise ValueError("too short")
    root = flexbuffers.GetRoot(data)
    if not root.IsMap:
        raise ModelError(f"{op_label}: malformed custom options (a FlexBuffer {root_kind(root)}, not a map)",
                         where=where, fix=_FIX)
    table = root.AsMap
    keys_vector, values_vector = table.Keys, table.Values
    count = len(values_vector)
    if len(keys_vector) != count or count > len(data):
        raise ValueError("keys and values disagree")
    keys = tuple(keys_vector[i].AsKey for i in range(count))
    values = tuple(_value(values_vector[i], table.ByteWidth) for i in range(count))
    return CustomOptions(keys, values, op_label, where)


def root_kind(ref) -> str:
    """The FlexBuffer type name of a value, for messages ("vector", "int"...)."""
    return _flexbuffers().Type(ref._type).name.lower()


def _value(ref, width: int) -> _Value:
    flexbuffers = _flexbuffers()
    # The package's public predicates do not tell inline from indirect ints; its Ref keeps the type
    # in `_type` (flatbuffers pinned in requirements.lock; test_flex_options checks every kind).
    kind = flexbuffers.Type(ref._type)
    if ref.IsBool:
        return _Value("bool", bool(ref.AsBool), width)
    if kind == flexbuffers.Type.INT:
        return _Value("int", int(ref.AsInt), width)
    if kind == flexbuffers.Type.UINT:
        return _Value("uint", int(ref.AsInt), width)
    if ref.IsFloat:
        return _Value("float", float(ref.AsFloat), width)
    if ref.IsVector or ref.IsTypedVector or ref.IsFixedTypedVector:
        return _Value("vector", list(ref.Value), width)
    # indirect ints, strings, maps...: TFLM would read their offset as the value
    return _Value(kind.name.lower() if kind is not None else "value of unknown type", None, width)
