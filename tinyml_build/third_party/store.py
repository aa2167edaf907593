"""The project's source cache, outside the repository: $XDG_CACHE_HOME/tinyml_build/src/.

Each dependency lives in `<name>-<commit>/`, next to a stamp `<name>-<commit>.digest` holding
the digest it was verified against. An entry counts only when its stamp equals the lock's
digest, so a tree prepared for an older lock (say, another TFLM patch) is never used. Entries
are built in a `.partial-*` directory beside them and renamed into place only after they were
verified; whatever fails or is interrupted is removed with that directory (one left by a killed
process is removed by a later install once it is a day old).
"""

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinyml_build.fileio import user_cache_dir
from tinyml_build.third_party.errors import ThirdPartyError
from tinyml_build.third_party.lock import Dependency


def cache_root(env=None) -> Path:
    """Where verified source trees are kept (XDG base directory spec, default ~/.cache)."""
    return user_cache_dir(env) / "src"


def entry_path(dep: Dependency, root: Path) -> Path:
    return root / dep.cache_name


def stamp_path(dep: Dependency, root: Path) -> Path:
    return root / f"{dep.cache_name}.digest"


def cached_tree(dep: Dependency, root: Path) -> tuple[Path | None, str]:
    """(tree, '') when the cache holds `dep` as the lock pins it, else (None, why not)."""
    tree, stamp = entry_path(dep, root), stamp_path(dep, root)
    if not tree.is_dir():
        return None, f"not in the cache ({tree})"
    try:
        recorded = stamp.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None, f"cache entry {tree} has no readable stamp (interrupted?)"
    if recorded != dep.digest:
        return None, f"cache entry {tree} was verified against {recorded}, the lock now pins {dep.digest} (stale)"
    return tree, ""


def install(dep: Dependency, root: Path, build: Callable[[Path, Path], None]) -> Path:
    """Build `dep`'s tree with `build(tree, scratch)` and publish it atomically in the cache.

    `build` must leave a verified tree at `tree`; `scratch` is a directory for temporary files
    (downloads). Both are inside a `.partial-*` directory that is always removed.
    """
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{dep.cache_name}-", dir=root))
    try:
        scratch = staging / "scratch"
        scratch.mkdir()
        tree = staging / "tree"
        build(tree, scratch)
        final, stamp = entry_path(dep, root), stamp_path(dep, root)
        new_stamp = staging / "stamp"
        new_stamp.write_text(dep.digest + "\n", encoding="ascii")
        stamp.unlink(missing_ok=True)
        if final.exists() or final.is_symlink():
            os.rename(final, staging / "old")
        os.rename(tree, final)
        os.replace(new_stamp, stamp)
        return final
    except OSError as exc:
        raise ThirdPartyError(f"cannot write the source cache: {exc}", where=str(root),
                              fix="check the directory is writable, or set XDG_CACHE_HOME elsewhere") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


ABANDONED_AFTER_S = 24 * 3600


def _remove_abandoned(root: Path) -> None:
    """Remove `.partial-*` directories of processes that were killed (old enough not to be running)."""
    now = time.time()
    for partial in root.glob(".partial-*"):
        try:
            if now - partial.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(partial, ignore_errors=True)
        except OSError:
            pass
