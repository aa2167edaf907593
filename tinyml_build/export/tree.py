"""Writing an export folder: only inside it, only over our own files, never over a hand edit.

Why so careful: the folder is usually inside the user's repository (`export_dir=components/tml_kws`).
A folder that holds files but no manifest of ours is the user's, and nothing is written into it. In a
previous export, a file whose content no longer matches the manifest's digest was edited by hand: the
export stops and names it instead of overwriting it. Files of the previous export that the new one no
longer has (another model's kernels) are removed; files the user added are left alone. Each file is
written atomically and only when its bytes change (timestamps of unchanged files are kept); the
manifest is written last, so an interrupted export still describes the files it lists as the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

from tinyml_build.errors import TinyMLError
from tinyml_build.export.layout import MANIFEST, check_relative
from tinyml_build.export.manifest import read_manifest, recorded_digests, sha256
from tinyml_build.fileio import write_atomic


def inside(folder: Path, relative: str) -> Path:
    """folder/relative, refusing a path that leaves the folder (through '..' or a symbolic link)."""
    root = folder.resolve()
    path = root / check_relative(relative)
    if not path.parent.resolve().is_relative_to(root) or path.is_symlink():
        raise TinyMLError(f"'{relative}' leads outside the export folder (a symbolic link?)", where=str(folder),
                          fix="remove the link, or export into another folder")
    return path


def existing_files(folder: Path) -> dict[str, Path]:
    """Tree path -> file of every regular file in `folder` (no links followed)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not (Path(dirpath) / d).is_symlink())
        for name in filenames:
            path = Path(dirpath) / name
            found[path.relative_to(folder).as_posix()] = path
    return found


def hand_edits(folder: Path, manifest: dict) -> list[str]:
    """Files of a previous export whose bytes differ from the digest its manifest recorded."""
    edited = []
    for relative, digest in sorted(recorded_digests(manifest).items()):
        path = Path(folder) / relative
        if path.is_file() and sha256(path.read_bytes()) != digest:
            edited.append(relative)
    return edited


def write_tree(folder: str | Path, files: dict[str, bytes]) -> list[str]:
    """Write `files` (tree path -> bytes, manifest.json among them) into `folder`; return the stale
    files of a previous export that were removed. TinyMLError, with nothing written, when the folder
    is not an export of ours or a previous export holds hand edits."""
    folder = Path(folder)
    previous = None
    if folder.exists():
        if not folder.is_dir():
            raise TinyMLError("the export folder is a file", where=str(folder), fix="choose another export_dir=")
        present = existing_files(folder)
        previous = read_manifest(folder)
        if present and previous is None:
            raise TinyMLError("the folder is not empty and holds no tinyml_build export (no manifest.json of ours): "
                              "refusing to write into it", where=str(folder),
                              fix="export into an empty or new folder (export_dir=), or into a previous export")
        if previous is not None:
            edited = hand_edits(folder, previous)
            recorded = set(recorded_digests(previous))
            clobbered = sorted(p for p in files if p in present and p not in recorded and p != MANIFEST
                               and present[p].read_bytes() != files[p])
            if edited or clobbered:
                raise TinyMLError("the previous export was edited by hand; nothing was overwritten", where=str(folder),
                                  details=[f"  hand edit: {p}" for p in edited]
                                  + [f"  added by hand, would be overwritten: {p}" for p in clobbered],
                                  fix="move your changes out of the vendored tree (or delete those files), then "
                                      "export again; `export_check=1` shows the whole drift")
    targets = {relative: inside(folder, relative) for relative in files}
    stale = sorted(set(recorded_digests(previous)) - set(files)) if previous is not None else []
    for relative, path in sorted(targets.items()):
        if relative == MANIFEST:
            continue
        if not path.is_file() or path.read_bytes() != files[relative]:
            write_atomic(path, files[relative])
    for relative in stale:
        path = inside(folder, relative)
        path.unlink(missing_ok=True)
        _remove_empty_parents(path.parent, folder.resolve())
    if MANIFEST in files:
        path = targets[MANIFEST]
        if not path.is_file() or path.read_bytes() != files[MANIFEST]:
            write_atomic(path, files[MANIFEST])
    return stale


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
