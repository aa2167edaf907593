"""Safe unpacking of tar and zip archives (and `git archive` streams) into a source tree.

Archives come from the network or from the user, so every member is checked: no absolute
paths, no `..`, no links that leave the tree, no device files. Only what the content digest
covers is written: regular files, directories and symbolic links.
"""

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from tinyml_build.third_party.errors import ThirdPartyError

_ZIP_MAGIC = b"PK\x03\x04"


def is_archive(path: Path) -> bool:
    """Whether `path` is a file this module can unpack (judged by content, not by name)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        if f.read(4) == _ZIP_MAGIC:
            return True
    return tarfile.is_tarfile(path)


def archive_commit(path: Path) -> str | None:
    """The commit id `git archive` (and GitHub) records in a tar's pax header, if present."""
    path = Path(path)
    if not tarfile.is_tarfile(path):
        return None
    try:
        with tarfile.open(path) as tar:
            tar.next()
            comment = tar.pax_headers.get("comment", "")
    except (tarfile.TarError, OSError, EOFError):
        return None
    return comment if len(comment) == 40 else None


def unpack(path: Path, dest: Path, prefix: str | None = None) -> None:
    """Unpack the archive at `path` into the new directory `dest`.

    With `prefix`, every member must lie under that top-level directory, which is stripped.
    Without, a single top-level directory shared by all members is stripped (as GitHub's and
    TFLM's archives have), otherwise the layout is kept.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            is_zip = f.read(4) == _ZIP_MAGIC
        if is_zip:
            with zipfile.ZipFile(path) as zf:
                _unpack_members(_zip_members(zf), dest, prefix, str(path))
        else:
            with tarfile.open(path) as tar:
                _unpack_members(_tar_members(tar), dest, prefix, str(path))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ThirdPartyError(f"cannot unpack archive: {exc}", where=str(path),
                              fix="check the file is a complete .tar.gz/.tar/.zip archive") from None


def unpack_stream(fileobj, dest: Path, prefix: str, origin: str) -> None:
    """Unpack an uncompressed tar stream (e.g. `git archive` output) into `dest`."""
    try:
        with tarfile.open(fileobj=fileobj, mode="r|") as tar:
            _unpack_members(_tar_members(tar), dest, prefix, origin)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ThirdPartyError(f"cannot unpack archive stream: {exc}", where=origin) from None


# Members are normalised to (name, kind, payload) with kind in 'dir', 'file', 'link', 'hardlink';
# payload is a readable for files, the target for links.

def _tar_members(tar):
    for m in tar:
        if m.isdir():
            yield m.name, "dir", None
        elif m.isreg():
            yield m.name, "file", tar.extractfile(m)
        elif m.issym():
            yield m.name, "link", m.linkname
        elif m.islnk():
            yield m.name, "hardlink", m.linkname
        else:
            yield m.name, "other", None


def _zip_members(zf: zipfile.ZipFile):
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if info.is_dir():
            yield info.filename, "dir", None
        elif stat.S_ISLNK(mode):
            yield info.filename, "link", zf.read(info).decode("utf-8")
        else:
            with zf.open(info) as f:
                yield info.filename, "file", f


def _unpack_members(members, dest: Path, prefix: str | None, origin: str) -> None:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=False)
    staged = dest / ".tinyml-unpack"  # when the prefix is guessed, unpack whole and hoist afterwards
    root = dest if prefix else staged
    count = 0
    for name, kind, payload in members:
        parts = _member_parts(name, origin)
        if not parts:
            continue
        if prefix:
            if parts[0] != prefix:
                raise ThirdPartyError(f"archive member '{name}' is outside '{prefix}/'", where=origin,
                                      fix=f"the archive must unpack to a single directory '{prefix}/' "
                                          "(is it the archive of the pinned commit?)")
            parts = parts[1:]
            if not parts:
                continue
        target = root.joinpath(*parts)
        count += 1
        if kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            raise ThirdPartyError(f"archive member '{name}' appears twice", where=origin)
        if kind == "file":
            with open(target, "wb") as out:
                shutil.copyfileobj(payload, out)
        elif kind == "link":
            _check_link(parts, payload, name, origin)
            os.symlink(payload, target)
        elif kind == "hardlink":
            linked = _member_parts(payload, origin)
            if prefix and linked and linked[0] == prefix:
                linked = linked[1:]
            source = root.joinpath(*linked) if linked else None
            if source is None or not source.is_file() or source.is_symlink():
                raise ThirdPartyError(f"archive member '{name}' is a hard link to a missing file", where=origin)
            shutil.copyfile(source, target)
        else:
            raise ThirdPartyError(f"archive member '{name}' is a device, fifo or other special file", where=origin)
    if prefix is None:
        _hoist(staged, dest)
    elif count == 0:
        raise ThirdPartyError(f"archive holds nothing under '{prefix}/'", where=origin)


def _member_parts(name: str, origin: str) -> tuple[str, ...]:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise ThirdPartyError(f"unsafe archive member path '{name}'", where=origin)
    return tuple(p for p in pure.parts if p != ".")


def _check_link(parts: tuple[str, ...], target: str, name: str, origin: str) -> None:
    pure = PurePosixPath(target)
    depth = len(parts) - 1
    for p in pure.parts:
        depth += -1 if p == ".." else (0 if p == "." else 1)
        if depth < 0:
            break
    if pure.is_absolute() or depth < 0 or not target:
        raise ThirdPartyError(f"archive member '{name}' links outside the tree (to '{target}')", where=origin)


def _hoist(staged: Path, dest: Path) -> None:
    """Move the staged tree into `dest`, stripping one shared top-level directory if there is one."""
    if not staged.exists():
        raise ThirdPartyError("archive is empty", where=str(dest))
    top = list(staged.iterdir())
    inner = top[0] if len(top) == 1 and top[0].is_dir() and not top[0].is_symlink() else staged
    for child in list(inner.iterdir()):
        os.rename(child, dest / child.name)
    shutil.rmtree(staged)
