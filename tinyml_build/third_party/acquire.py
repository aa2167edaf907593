"""Filling the cache: `deps import` (from what the user has) and `deps sync` (download).

Both end the same way: a pristine tree, checked against the lock's source digest, prepared
with the patches of the resolved patch-source tree (TFLM), checked again, published atomically.
"""

from pathlib import Path

from tinyml_build.third_party import archive, sources
from tinyml_build.third_party.download import download
from tinyml_build.third_party.errors import MissingSourceError, ThirdPartyError
from tinyml_build.third_party.lock import Dependency, Lock
from tinyml_build.third_party.prepare import verify_and_prepare
from tinyml_build.third_party.resolve import provide_fix, resolve
from tinyml_build.third_party.store import cache_root, cached_tree, install


def _patch_trees(lock: Lock, dep: Dependency, overrides, env, root: Path) -> dict[str, Path]:
    """The resolved trees that hold `dep`'s patches (e.g. TFLM's flatbuffers.patch)."""
    trees = {}
    for name in dep.patch_sources():
        try:
            trees[name] = resolve(lock.get(name), overrides, env, root)
        except MissingSourceError as exc:
            raise MissingSourceError(f"{dep.name} is prepared with patches from {name}, and {exc.what}",
                                     fix=exc.fix, details=exc.details) from None
    return trees


def import_source(lock: Lock, name: str, path: Path, overrides=None, env=None, root: Path | None = None) -> Path:
    """Take `name` at its pinned commit from a checkout, bare git dir, archive or plain directory."""
    dep = lock.get(name)
    root = cache_root(env) if root is None else root
    path = Path(path).expanduser()
    patches = _patch_trees(lock, dep, overrides, env, root)

    def build(tree: Path, _scratch: Path) -> None:
        if path.is_dir() and sources.is_git_repository(path):
            sources.from_git(path, dep.commit, tree, dep.archive_prefix, dep.repository)
        elif path.is_dir():
            sources.from_directory(path, tree)
        elif archive.is_archive(path):
            _check_archive_commit(dep, path, str(path))
            sources.from_archive(path, tree)
        elif path.exists():
            raise ThirdPartyError("not a git repository, directory or .tar.gz/.zip archive", where=str(path))
        else:
            raise ThirdPartyError("no such file or directory", where=str(path))
        verify_and_prepare(dep, tree, str(path), patches)

    return install(dep, root, build)


def sync(lock: Lock, names=None, overrides=None, env=None, root: Path | None = None, report=None) -> dict[str, str]:
    """Download every dependency (or `names`) not yet verified in the cache; {name: what happened}."""
    root = cache_root(env) if root is None else root
    wanted = set(lock.names if names is None else [lock.get(n).name for n in names])
    for dep in reversed(lock.dependencies):  # patch sources are listed before their users
        if dep.name in wanted:
            wanted.update(dep.patch_sources())
    done = {}
    for dep in lock.dependencies:
        if dep.name not in wanted:
            continue
        if cached_tree(dep, root)[0] is not None:
            done[dep.name] = "already in the cache"
        else:
            fetch(lock, dep, overrides, env, root)
            done[dep.name] = "downloaded and verified"
        if report:
            report(dep.name, done[dep.name])
    return done


def fetch(lock: Lock, dep: Dependency, overrides=None, env=None, root: Path | None = None) -> Path:
    """Download `dep`'s pinned archive, verify and prepare it, and publish it in the cache."""
    root = cache_root(env) if root is None else root
    patches = _patch_trees(lock, dep, overrides, env, root)

    def build(tree: Path, scratch: Path) -> None:
        file = scratch / "archive"
        download(dep.archive_url, file, fix=provide_fix(dep))
        _check_archive_commit(dep, file, dep.archive_url)
        sources.from_archive(file, tree, dep.archive_prefix)
        verify_and_prepare(dep, tree, dep.archive_url, patches)

    return install(dep, root, build)


def _check_archive_commit(dep: Dependency, file: Path, origin: str) -> None:
    """Name a wrong commit plainly when the archive records which one it holds."""
    commit = archive.archive_commit(file)
    if commit is not None and commit != dep.commit:
        raise ThirdPartyError(f"{dep.name}: the archive holds commit {commit}, the lock pins {dep.commit}",
                              where=origin, fix=provide_fix(dep))
