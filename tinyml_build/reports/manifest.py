"""manifest.json: what went into a firmware image and what came out, by digest.

Why: to tell whether two images were built from the same things (model, target file, every
source and header, generated file, tool version and flag) without rebuilding. Paths are
relative (to the checkout, or `<build>/` for a build folder outside it) and keys are sorted,
so the same inputs give the same manifest in any folder.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

from tinyml_build.escape import json_text
from tinyml_build.toolchains.gcc import Flags

FORMAT_VERSION = 1
PYTHON_PACKAGES = ("flatbuffers", "jinja2", "numpy", "pyyaml", "scons", "tflite-micro")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_path(path: str | Path, project_dir: Path, build_root: Path) -> str:
    """A path as the manifest shows it: checkout-relative, else <build>/..., else the file name."""
    path = Path(path).resolve()
    for base, prefix in ((Path(build_root).resolve(), "<build>"), (Path(project_dir).resolve(), "")):
        try:
            relative = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if prefix == "<build>":
            try:
                path.relative_to(Path(project_dir).resolve())
            except ValueError:
                return f"{prefix}/{relative}"
            continue
        return relative
    return path.name


def normalize_flags(flags: Flags, project_dir: Path, build_root: Path) -> dict:
    """Flags with the checkout and build folders replaced by placeholders."""
    replacements = [(str(Path(build_root).resolve()), "<build>"), (str(Path(project_dir).resolve()), "<project>")]

    def clean(value):
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            for old, new in replacements:
                value = value.replace(old, new)
        return value

    return {key: clean(value) for key, value in flags.as_dict().items()}


def tool_versions(toolchain) -> dict[str, str]:
    """The toolchain's programs (each toolchain names its own: compiler, assembler, linker) and the
    Python packages that generate or check the outputs."""
    versions = {**toolchain.tool_versions(), "python": platform.python_version()}
    for package in PYTHON_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def build_manifest(*, target: str, runtime: str, models: list[dict], inputs: list[str | Path],
                   outputs: list[str | Path], toolchain, flags: Flags, project_dir: Path,
                   build_root: Path, settings: dict, flash: dict | None = None) -> dict:
    """The manifest as plain data (see to_json)."""
    def digests(paths):
        table = {}
        for p in paths:
            table[display_path(p, project_dir, build_root)] = sha256_file(p)
        return dict(sorted(table.items()))

    data = {
        "format": FORMAT_VERSION,
        "target": target,
        "runtime": runtime,
        "models": models,
        "settings": settings,
        "toolchain": toolchain.name,
        "tools": tool_versions(toolchain),
        "flags": normalize_flags(flags, project_dir, build_root),
        "inputs": digests(inputs),
        "outputs": digests(outputs),
    }
    if flash:
        data["flash"] = flash  # ESP images: chip, offset, esptool (its version also under tools)
        data["tools"]["esptool"] = flash.get("esptool", "unknown")
    return data


def to_json(manifest: dict) -> str:
    return json_text(manifest, indent=1) + "\n"
