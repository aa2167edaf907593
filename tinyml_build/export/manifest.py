"""manifest.json of an export: what it was made from and every file's sha256.

Why: the vendored tree is checked into someone else's repository; the manifest says, without our
tools, which model (sha256), target, runtime, flags and upstream pins made it, and it is what tells
a hand edit (a file no longer matching its recorded digest) from a generator or model change in the
drift check. Deterministic: sorted keys, no timestamps, no absolute paths (the model is recorded by
its catalog name or file name only).
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

from tinyml_build import __version__
from tinyml_build.errors import TinyMLError
from tinyml_build.escape import json_text
from tinyml_build.export.layout import MANIFEST, MANIFEST_FORMAT

# Keys the drift check does not compare: which code and tools wrote the tree. A new tinyml_build
# that writes the same bytes is not drift; the files' digests say whether the bytes changed.
PROVENANCE_KEYS = ("generator", "tools")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool_versions() -> dict[str, str]:
    import jinja2

    return {"jinja2": jinja2.__version__, "python": platform.python_version(), "tinyml_build": __version__}


def render_manifest(facts: dict, files: dict[str, bytes], generator_digest: str) -> str:
    """The manifest text: `facts` (inputs, options, flags, pins, memory) plus the file list."""
    data = dict(facts)
    data["format"] = MANIFEST_FORMAT
    data["generator"] = {"tinyml_build": __version__, "code_sha256": generator_digest}
    data["tools"] = tool_versions()
    data["files"] = {path: {"sha256": sha256(content), "bytes": len(content)}
                     for path, content in sorted(files.items())}
    return json_text(data, indent=1) + "\n"


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a previous export in `folder`, or None when the folder holds none of ours."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), dict):
        return None
    return data


def recorded_digests(manifest: dict) -> dict[str, str]:
    """Tree path -> the sha256 the manifest recorded for it."""
    out = {}
    for path, entry in manifest["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise TinyMLError(f"{MANIFEST}: entry '{path}' has no sha256", where=MANIFEST,
                              fix="export again into an empty folder")
        out[str(path)] = entry["sha256"]
    return out
