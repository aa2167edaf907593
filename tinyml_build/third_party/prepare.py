"""Checking a fresh tree against the lock and applying the dependency's prepare steps.

The pristine tree must match `source_digest` before anything is changed; the steps (TFLM's
own patches, taken from the resolved TFLM tree, never from this project) must then produce
exactly `prepared_digest`. A tree that already is the prepared one is accepted as it is.
"""

import fnmatch
import os
from collections.abc import Mapping
from pathlib import Path

from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.errors import DigestMismatchError, MissingSourceError
from tinyml_build.third_party.lock import Dependency, Patch, RemoveFiles
from tinyml_build.third_party.sources import git_apply


def mismatch(dep: Dependency, expected: str, actual: str, origin: str, stage: str) -> DigestMismatchError:
    return DigestMismatchError(
        f"{dep.name}: {stage} content digest does not match the lock",
        details=[f"  lock pins: {expected}", f"  found:     {actual}"],
        where=origin,
        fix=f"provide exactly {dep.short} ({dep.archive_url}); if the pin itself changed, "
            "update third_party/lock.yaml (see third_party/README.md)")


def verify_and_prepare(dep: Dependency, tree: Path, origin: str, patch_trees: Mapping[str, Path]) -> None:
    """Refuse a tree that is not the pinned one; otherwise bring it to its prepared state."""
    actual = tree_digest(tree)
    if dep.prepare and actual == dep.prepared_digest:
        return
    if actual != dep.source_digest:
        raise mismatch(dep, dep.source_digest, actual, origin, "source")
    if not dep.prepare:
        return
    apply_steps(dep, tree, patch_trees)
    prepared = tree_digest(tree)
    if prepared != dep.prepared_digest:
        raise mismatch(dep, dep.prepared_digest, prepared, origin, "prepared (after the prepare steps)")


def apply_steps(dep: Dependency, tree: Path, patch_trees: Mapping[str, Path]) -> None:
    for step in dep.prepare:
        if isinstance(step, RemoveFiles):
            _remove_files(tree, step.pattern)
        elif isinstance(step, Patch):
            source = patch_trees.get(step.source)
            if source is None:
                raise MissingSourceError(f"{dep.name} is prepared with a patch from {step.source}, "
                                         f"which is not available", fix=f"provide {step.source} first")
            patch = Path(source) / step.path
            if not patch.is_file():
                raise MissingSourceError(f"{step.source} has no patch file {step.path}", where=str(source),
                                         fix=f"use the {step.source} commit the lock pins")
            git_apply(patch, tree)


def _remove_files(tree: Path, pattern: str) -> None:
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            if fnmatch.fnmatchcase(name, pattern) and path.is_file() and not path.is_symlink():
                path.unlink()
