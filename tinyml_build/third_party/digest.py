"""Content digest of a source tree, independent of how the tree was packed or unpacked.

The lock pins sources by what they contain, not by an archive's bytes: GitHub re-packs its
archives, tar and zip differ, and an import may come from a git directory. Algorithm
`tinyml-tree-v1` (also described in third_party/README.md):

* entries are the regular files and symbolic links under the root, found without following
  links; anything named `.git` (a directory or a worktree's file) is skipped with all below it;
  directories themselves are not entries, so empty directories (and submodule placeholders) do
  not count; any other kind of file (fifo, device, socket) is an error;
* each entry's path is its POSIX relative path ('/'-separated) as bytes (`os.fsencode`);
  entries are sorted by these bytes;
* sha256 is fed `b"tinyml-tree-v1\\0"`, then for each entry: one type byte (`f` for a file,
  `l` for a link), the path, a NUL, the content length as 8 bytes big-endian, and the content
  (a file's bytes, or a link's target as bytes);
* permissions, owners and times are ignored; the result is `"sha256:" + hexdigest`.
"""

import hashlib
import os
import stat
from pathlib import Path

from tinyml_build.third_party.errors import ThirdPartyError

ALGORITHM = "tinyml-tree-v1"
PREFIX = "sha256:"
_CHUNK = 1 << 20


def tree_entries(root: Path) -> list[tuple[bytes, str, Path]]:
    """(relative path bytes, 'f' or 'l', absolute path) for every entry, sorted by path bytes."""
    root = Path(root)
    if not root.is_dir():
        raise ThirdPartyError("not a directory", where=str(root))
    entries = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        base = Path(dirpath)
        names = filenames + [d for d in dirnames if (base / d).is_symlink()]
        for name in names:
            if name == ".git":
                continue
            path = base / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                kind = "l"
            elif stat.S_ISREG(mode):
                kind = "f"
            else:
                raise ThirdPartyError("a source tree may hold only files, directories and symbolic links",
                                      where=str(path))
            entries.append((os.fsencode(path.relative_to(root).as_posix()), kind, path))
    entries.sort(key=lambda e: e[0])
    return entries


def tree_digest(root: Path) -> str:
    """The `tinyml-tree-v1` digest of the tree at `root`, as 'sha256:<64 hex digits>'."""
    h = hashlib.sha256(ALGORITHM.encode() + b"\0")
    for rel, kind, path in tree_entries(root):
        if kind == "l":
            target = os.fsencode(os.readlink(path))
            h.update(b"l" + rel + b"\0" + len(target).to_bytes(8, "big") + target)
            continue
        size = path.stat().st_size
        h.update(b"f" + rel + b"\0" + size.to_bytes(8, "big"))
        with open(path, "rb") as f:
            read = 0
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                read += len(chunk)
        if read != size:
            raise ThirdPartyError("file changed while it was being hashed", where=str(path))
    return PREFIX + h.hexdigest()
