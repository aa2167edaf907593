"""What every data-file schema shares: the strict pydantic base, the message hints, and the one
place a pydantic ValidationError becomes the project's error message.

A schema (config/target_schema.py, config/cpus_schema.py, model/catalog_schema.py,
third_party/lock_schema.py) declares each key with its type and constraints; rules across keys
are validators that raise `invalid(...)`. `validate` runs a schema and turns its first problem into
one TinyMLError of the file kind's class:

    targets/board.yaml: memory.flash.size: expected an integer, got '1M'
      fix: write a plain number: decimal (65536) or hex (0x10000)

-- the file, the key path, what was expected and what was found, and a fix; an unknown key says
"did you mean" only when a valid key is close. pydantic's own multi-line text never reaches the user.
"""

import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from tinyml_build.errors import TinyMLError, closest_names

_INTEGER_FIX = "write a plain number: decimal (65536) or hex (0x10000)"


class Schema(BaseModel):
    """A mapping in a data file: exactly the declared keys, each of exactly its type (no coercion:
    '64' is not an integer, 1 is not true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True)
class Says:
    """Message hints for one key, given in its Annotated[...]: what it expects, in words, and a fix."""

    expected: str | None = None
    fix: str | None = None


NonEmpty = Annotated[str, StringConstraints(pattern=r"\S"), Says("a non-empty string")]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]


def invalid(message: str, at: tuple = (), fix: str | None = None) -> PydanticCustomError:
    """The error a validator raises for a rule across keys. `at`: the key path below the validated
    mapping that is at fault (e.g. ("memory", "ram")); `fix`: what to do."""
    # pydantic fills in {name} only for the names in the context: these two never occur in a message
    return PydanticCustomError("invalid", message, {"_at": at, "_fix": fix})


def validate(schema: type[Schema], data: Any, shown: str, error: type[TinyMLError], context: dict | None = None,
             empty_fix: str | None = None) -> Schema:
    """`data` checked against `schema`, or `error` for its first problem (see the module docstring)."""
    if data is None:
        raise error("the file is empty", where=shown, fix=empty_fix)
    try:
        return schema.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    # A misspelt key is also a missing one: report the unknown key, whose message names the right one.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    path, what, fix = _describe(schema, first)
    raise error(f"{path}: {what}" if path else what, where=shown, fix=fix) from None


# -- turning one pydantic error into (key path, what, fix) ---------------------------------------


def _describe(schema: type[Schema], err: dict) -> tuple[str, str, str | None]:
    kind, loc, value, ctx = err["type"], tuple(err["loc"]), err.get("input"), err.get("ctx") or {}
    if kind == "invalid":
        loc += tuple(ctx.get("_at") or ())
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc += (ctx.get("discriminator", "'type'").strip("'"),)
    place = _locate(schema, loc)
    says = place.says or Says()
    expected = says.expected or _expected(place.annotation)
    if kind == "invalid":
        return place.path, err["msg"], ctx.get("_fix")
    if kind == "extra_forbidden":
        valid = list(place.parent.model_fields) if place.parent else []
        valid = [place.parent.model_fields[k].alias or k for k in valid]
        hint = "".join(f"did you mean '{c}'? " for c in closest_names(str(loc[-1]), valid, limit=1))
        return place.path, "unknown key", f"{hint}valid keys here: {', '.join(valid)}"
    if kind == "union_tag_not_found":
        expected = "one of: " + ", ".join(t for m in _models_in(_locate(schema, loc[:-1]).annotation) for t in _tags(m))
    if kind in ("missing", "union_tag_not_found"):
        return place.path, "missing required key", f"add '{place.key}:' ({expected})"
    if kind in ("literal_error", "union_tag_invalid"):
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'|(-?\d+)", ctx.get("expected") or ctx.get("expected_tags", ""))
        choices = ", ".join(s or n for s, n in choices)
        value = ctx.get("tag", value)
        if isinstance(value, str):
            return place.path, f"unknown value '{value}'", f"use one of: {choices}"
        return place.path, f"expected one of {choices}, got {_show(value)}", says.fix
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()))
        if kind == "greater_than_equal" and bound == 1 or kind == "greater_than" and bound == 0:
            return place.path, f"must be positive, got {value}", says.fix
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        return place.path, f"must be {sign} {bound}, got {value}", says.fix
    if kind == "string_pattern_mismatch" and not says.expected:
        return place.path, f"'{value}' is not a valid value here (expected to match {ctx['pattern']})", says.fix
    if kind == "too_short" and isinstance(value, (list, dict)):
        return place.path, f"expected {expected}, got an empty {_type_name(value)}", says.fix
    if kind == "value_error":
        return place.path, str(ctx.get("error", err["msg"])), says.fix
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return (place.path, f"expected {says.expected or 'a mapping'}, got {_type_name(value)}",
                says.fix or "write it as 'key: value' lines")
    if kind.endswith(("_type", "_parsing", "_pattern_mismatch", "_too_short", "_from_float")):
        fix = says.fix or (_INTEGER_FIX if kind.startswith("int_") else None)
        return place.path, f"expected {expected}, got {_show(value)}", fix
    return place.path, str(err["msg"]), says.fix  # pydantic's one-line text, for kinds no file here can cause


@dataclass
class _Place:
    path: str  # memory.flash.size, arch_flags[0], dependencies.demo.prepare[1].from
    key: str  # the last key of the path
    annotation: Any  # the declared type there (None below an unknown key)
    says: Says | None  # its message hints
    parent: type[Schema] | None  # the schema mapping the last key belongs to


def _locate(schema: type[Schema], loc: tuple) -> _Place:
    """Walk the declared types along pydantic's error location; skip the tags it inserts for
    discriminated unions and the '[key]' marker of a mapping's key."""
    path, key, annotation, says, parent = "", "", schema, None, None
    key_annotation = None
    for item in loc:
        annotation, hint = _unwrap(annotation)
        says = hint or says
        if item == "[key]":
            annotation, says = key_annotation, None
            continue
        members = _models_in(annotation)
        if isinstance(item, str) and len(members) > 1:  # a union of mappings told apart by their `type`
            tagged = next((m for m in members if item in _tags(m)), None)
            if tagged is not None:
                annotation = tagged  # pydantic's location names the member by its tag: not a key
                continue
            annotation = members[0]  # the key every member has: the tag itself
        if isinstance(item, int):
            path += f"[{item}]"
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
            says = Says(fix=says.fix) if says and says.fix else None  # a list's fix also serves its items
            continue
        path = f"{path}.{item}" if path else str(item)
        key = str(item)
        if _is_model(annotation):
            parent = annotation
            field = next((f for n, f in annotation.model_fields.items() if item in (n, f.alias)), None)
            annotation = field.annotation if field else None
            says = next((m for m in (field.metadata if field else ()) if isinstance(m, Says)), None)
        elif typing.get_origin(annotation) is dict:
            key_annotation, annotation = typing.get_args(annotation)
            says = None
        else:
            annotation, says = None, None
    annotation, hint = _unwrap(annotation)
    return _Place(path, key, annotation, hint or says, parent)


def _unwrap(annotation) -> tuple[Any, Says | None]:
    """Strip Annotated[...] (keeping its Says) and `| None`."""
    says = None
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            says = next((m for m in args[1:] if isinstance(m, Says)), says)
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, says
            annotation = args[0]
        else:
            return annotation, says


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _models_in(annotation) -> list:
    if _is_model(annotation):
        return [annotation]
    return [a for a in (_unwrap(x)[0] for x in typing.get_args(annotation)) if _is_model(a)]


def _tags(model: type[Schema]) -> tuple:
    field = model.model_fields.get("type")
    return typing.get_args(field.annotation) if field else ()


def _expected(annotation) -> str:
    """The declared type in words."""
    annotation, says = _unwrap(annotation)
    if says and says.expected:
        return says.expected
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of: " + ", ".join(str(a) for a in typing.get_args(annotation))
    if _is_model(annotation) or _models_in(annotation) or annotation is dict or origin is dict:
        return "a mapping"
    if annotation is list or origin is list:
        return "a list"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(annotation, "a value")


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping"}.get(type(value), type(value).__name__)


def _show(value) -> str:
    """A found value in a message: strings quoted, containers by kind, scalars with their YAML type."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (boolean)"
    if isinstance(value, dict) or isinstance(value, list) and len(repr(value)) > 60:
        return f"a {_type_name(value)}"
    return f"{value!r} ({_type_name(value)})"
