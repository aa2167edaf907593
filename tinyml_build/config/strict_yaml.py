"""The one YAML loader for the project's data files: targets/*.yaml, config/cpus.yaml, models/*/model.yaml
and third_party/lock.yaml.

Stricter than yaml.safe_load, so a slip in a hand-edited file is one message with the file and line
instead of a silently different value:

- a key given twice in one mapping is an error (PyYAML keeps the last one without a word);
- keys are names: a key YAML reads as a number, boolean or null (`1:`, `on:`, `~:`) is an error;
- values are plain data only -- strings, integers, floats, booleans, null, lists and mappings: a
  value YAML would read as a date, binary, set or ordered map is an error (quote it to keep the text);
- a syntax error names the line and how to fix it.

`load_checked` then checks the data with the file kind's schema (pydantic, in <kind>_schema.py). A
successful check is remembered by content: a marker in $XDG_CACHE_HOME/tinyml_build/checked/ named
by the sha256 of the file's bytes, the check's context, the data files the check reads and the code
that checks (the import closure of the loading module, as codegen/provenance.py computes it). A file
already checked as it is, by the same code, is not checked again -- which keeps pydantic (about
0.1 s to import) out of every `scons` run that changes nothing. Any change to the file, its context
or that code is a new key, checked in full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from tinyml_build.errors import TinyMLError
from tinyml_build.fileio import user_cache_dir

CHECKED_CACHE = "checked"  # folder under the user cache dir holding the markers
_FORMAT = b"tinyml-checked-v1\0"

_PLAIN_TYPES = (str, int, float, bool, type(None))
_REFUSED_TAGS = {
    "tag:yaml.org,2002:timestamp": "a date or time",
    "tag:yaml.org,2002:binary": "binary data",
    "tag:yaml.org,2002:set": "a set",
    "tag:yaml.org,2002:omap": "an ordered map",
    "tag:yaml.org,2002:pairs": "a list of pairs",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Problem(Exception):
    """Raised while constructing: what is wrong, the 1-based line, and the fix."""

    def __init__(self, what: str, line: int, fix: str):
        super().__init__(what)
        self.what, self.line, self.fix = what, line, fix


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's parser when present) that refuses duplicate keys, keys that are not
    names and values that are not plain data."""


def _construct_mapping(loader: StrictLoader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<: *anchor` merges on purpose; keys given beside it override
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            kind = "null" if key is None else {bool: "a boolean", int: "a number", float: "a number"}.get(
                type(key), "not a name")
            raise _Problem(f"key {key_node.value or '~'!r} is read as {kind}, not a name", line,
                           f"quote it: '{key_node.value}': ... (or fix the key)")
        if key in seen:
            raise _Problem(f"duplicate key '{key}'", line, "keep one definition of each key")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _refuse(what: str):
    def construct(loader: StrictLoader, node):
        raise _Problem(f"{node.value!r} is read as {what}, which these files do not use",
                       node.start_mark.line + 1, "quote the value to keep it as text")

    return construct


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _tag, _what in _REFUSED_TAGS.items():
    StrictLoader.add_constructor(_tag, _refuse(_what))


def parse(text: str, shown: str, error: type[TinyMLError] = TinyMLError) -> Any:
    """The data in `text` (from the file shown as `shown`), or `error` naming file:line."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except _Problem as problem:
        raise error(problem.what, where=f"{shown}:{problem.line}", fix=problem.fix) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = err.problem or err.context or "not valid YAML"
        raise error(f"malformed YAML: {problem}", where=where,
                    fix="check the indentation, colons and quoting on or just before that line") from None
    except yaml.YAMLError as err:
        raise error(f"malformed YAML: {str(err).splitlines()[0]}", where=shown,
                    fix="check the file's YAML syntax") from None


def read_text(path: Path, shown: str, error: type[TinyMLError] = TinyMLError) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"cannot read the file: {err}", where=shown) from None


Check = Callable[[Any, str, dict], None]


def load_checked(path: Path, shown: str, error: type[TinyMLError], check: Check, context: dict | None = None,
                 depends: Iterable[Path] = ()) -> Any:
    """Parse `path` strictly and run `check(data, shown, context)` on it (it raises `error` at the
    first problem); return the data. `depends`: data files the check reads (their bytes are part of
    what a remembered check stands for)."""
    text = read_text(path, shown, error)
    data = parse(text, shown, error)
    context = dict(context or {})
    marker = _marker(check, text, context, depends)
    if marker is not None and marker.is_file():
        return data
    check(data, shown, context)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only cache only costs the next load a full check
    return data


def _marker(check: Check, text: str, context: dict, depends: Iterable[Path]) -> Path | None:
    from tinyml_build.codegen.provenance import generator_digest

    digest = hashlib.sha256(_FORMAT)
    try:
        digest.update(generator_digest(check.__module__).encode())
        digest.update(repr(sorted(context.items())).encode() + b"\0")
        for dep in depends:
            digest.update(hashlib.sha256(Path(dep).read_bytes()).digest())
    except (OSError, ValueError):
        return None  # no remembered checks without a fingerprint of the checking code
    digest.update(text.encode("utf-8"))
    return user_cache_dir() / CHECKED_CACHE / digest.hexdigest()
