"""Where each pinned dependency comes from, for a build: never from the network.

Order: (1) an explicit path -- an `overrides` entry (the build's option) or the environment
variable TINYML_<NAME>_PATH; it is used as given, unverified, so a developer can build against a
modified upstream tree (`deps status --verify` says whether it matches the pin); (2) the
verified tree in the project cache. Otherwise the error names the three ways to provide it.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tinyml_build.third_party.errors import MissingSourceError, ThirdPartyError
from tinyml_build.third_party.lock import Dependency, Lock
from tinyml_build.third_party.store import cache_root, cached_tree


@dataclass(frozen=True)
class Location:
    """Where `name` resolves: `how` is 'explicit', 'cache' or 'missing'; `detail` says more."""

    name: str
    how: str
    path: Path | None
    detail: str


def provide_fix(dep: Dependency) -> str:
    """The three ways to make a dependency available, for error messages."""
    return (f"provide {dep.name} ({dep.short}) in one of three ways: "
            f"(1) set {dep.env_var} to a prepared source tree; "
            f"(2) run `tinyml-build deps import {dep.name} PATH` with a local checkout, bare git directory "
            f"or .tar.gz/.zip archive of commit {dep.commit}; "
            f"(3) run `tinyml-build deps sync {dep.name}` to download the pinned archive over HTTPS")


def explicit_path(dep: Dependency, overrides: Mapping[str, str] | None = None, env=None) -> tuple[Path | None, str]:
    """(path, what named it) for an explicitly given tree, or (None, '')."""
    env = os.environ if env is None else env
    if overrides and overrides.get(dep.name):
        return Path(overrides[dep.name]).expanduser().absolute(), f"{dep.name} path option"
    if env.get(dep.env_var):
        return Path(env[dep.env_var]).expanduser().absolute(), dep.env_var
    return None, ""


def locate(dep: Dependency, overrides=None, env=None, root: Path | None = None) -> Location:
    """Find `dep` without raising; a bad explicit path is reported, not skipped."""
    path, named_by = explicit_path(dep, overrides, env)
    if path is not None:
        if path.is_dir():
            return Location(dep.name, "explicit", path, f"explicit path from {named_by} (not verified)")
        return Location(dep.name, "missing", None, f"{named_by}={path} is not a directory")
    tree, why = cached_tree(dep, cache_root(env) if root is None else root)
    if tree is not None:
        return Location(dep.name, "cache", tree, "verified cache entry")
    return Location(dep.name, "missing", None, why)


def resolve(dep: Dependency, overrides=None, env=None, root: Path | None = None) -> Path:
    """The source tree a build uses for `dep`; raises MissingSourceError when there is none."""
    where = locate(dep, overrides, env, root)
    if where.path is None:
        explicit, named_by = explicit_path(dep, overrides, env)
        if explicit is not None:
            raise ThirdPartyError(f"{named_by} points to {explicit}, which is not a directory",
                                  fix=f"point it at a {dep.name} source tree, or unset it to use the cache")
        raise MissingSourceError(f"upstream source {dep.name} ({dep.short}) is not available: {where.detail}",
                                 fix=provide_fix(dep))
    return where.path


def resolve_all(lock: Lock, names=None, overrides=None, env=None, root: Path | None = None) -> dict[str, Path]:
    """{name: tree} for `names` (default: every dependency), in lock order."""
    wanted = lock.names if names is None else [lock.get(n).name for n in names]
    return {n: resolve(lock.get(n), overrides, env, root) for n in lock.names if n in wanted}
