"""The tinyml-tree-v1 content digest, and the archive unpacking it is computed after: the digest
follows the specification, depends only on paths, contents and link targets (not on how a tree
was packed), and unsafe archives are refused."""

import io
import os
import tarfile
import zipfile

import pytest
from third_party_testlib import DEMO_V1, git_archive, make_repo, needs_git, spec_digest, write_tree

from tinyml_build.third_party import archive, sources
from tinyml_build.third_party.digest import tree_digest
from tinyml_build.third_party.errors import ThirdPartyError

# Known answer for {a: "x", b/c: "yz", l -> a}, computed by hand from the specification.
KNOWN = "sha256:180f2039825210b8807e177610cfc8e498452acacf5c5d574fb08b52c17640a8"


def test_known_answer(tmp_path):
    assert tree_digest(write_tree(tmp_path, {"a": b"x", "b/c": b"yz", "l": ("link", "a")})) == KNOWN


def test_digest_matches_the_specification(tmp_path):
    assert tree_digest(write_tree(tmp_path, DEMO_V1)) == spec_digest(DEMO_V1)


def test_entries_sort_by_full_path_bytes(tmp_path):
    files = {"a.c": b"1", "a/b": b"2", "a-b": b"3", "B": b"4"}  # '-' < '.' < '/' < 'B' < 'a'
    assert tree_digest(write_tree(tmp_path, files)) == spec_digest(files)


def test_git_metadata_empty_dirs_modes_and_times_do_not_count(tmp_path):
    plain = tree_digest(write_tree(tmp_path / "a", DEMO_V1))
    other = write_tree(tmp_path / "b", DEMO_V1)
    (other / ".git" / "objects").mkdir(parents=True)
    (other / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (other / "sub" / ".git").parent.mkdir()
    (other / "sub" / ".git").write_text("gitdir: elsewhere\n")  # a submodule's .git file
    (other / "empty" / "dir").mkdir(parents=True)
    os.chmod(other / "src" / "demo.c", 0o755)
    os.utime(other / "README.md", (0, 0))
    assert tree_digest(other) == plain


@pytest.mark.parametrize("change", ["content", "rename", "link-target", "link-vs-file", "new-file"])
def test_every_real_change_changes_the_digest(tmp_path, change):
    files = dict(DEMO_V1)
    if change == "content":
        files["README.md"] = b"demo v1!\n"
    elif change == "rename":
        files["README.txt"] = files.pop("README.md")
    elif change == "link-target":
        files["docs/latest"] = ("link", "../include/demo.h")
    elif change == "link-vs-file":
        files["docs/latest"] = b"../README.md"  # same bytes as the link target, but a file
    else:
        files["extra"] = b""
    assert tree_digest(write_tree(tmp_path, files)) != spec_digest(DEMO_V1)


def test_special_files_are_refused(tmp_path):
    write_tree(tmp_path, {"a": b"x"})
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ThirdPartyError, match="only files, directories and symbolic links"):
        tree_digest(tmp_path)


@needs_git
def test_digest_does_not_depend_on_how_the_tree_was_packed(tmp_path):
    repo, (commit,) = make_repo(tmp_path / "demo", DEMO_V1)
    prefix = f"demo-{commit}"
    trees = {}
    sources.from_git(repo, commit, tmp_path / "from-git", prefix)
    trees["git"] = tmp_path / "from-git"
    for fmt in ("tar.gz", "zip", "tar"):
        file = git_archive(repo, commit, prefix, tmp_path / f"demo.{fmt}", fmt)
        archive.unpack(file, tmp_path / f"strict-{fmt}", prefix)
        archive.unpack(file, tmp_path / f"guessed-{fmt}")  # single top directory found and stripped
        trees[f"strict-{fmt}"] = tmp_path / f"strict-{fmt}"
        trees[f"guessed-{fmt}"] = tmp_path / f"guessed-{fmt}"
    digests = {name: tree_digest(path) for name, path in trees.items()}
    assert set(digests.values()) == {spec_digest(DEMO_V1)}, digests
    assert os.readlink(trees["strict-zip"] / "docs" / "latest") == "../README.md"


@needs_git
def test_git_archive_records_its_commit(tmp_path):
    repo, (commit,) = make_repo(tmp_path / "demo", DEMO_V1)
    assert archive.archive_commit(git_archive(repo, commit, "p", tmp_path / "a.tar.gz")) == commit
    assert archive.archive_commit(git_archive(repo, commit, "p", tmp_path / "a.zip", "zip")) is None


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value))
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, value
                tar.addfile(info)
            else:
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
    return path


@pytest.mark.parametrize("members, message", [
    ([("top/../../evil", "file", b"x")], "unsafe archive member path"),
    ([("/etc/evil", "file", b"x")], "unsafe archive member path"),
    ([("top/a", "link", "/etc/passwd")], "links outside the tree"),
    ([("top/a", "link", "../../outside")], "links outside the tree"),
    ([("top/fifo", "fifo", None)], "device, fifo or other special file"),
    ([("top/a", "file", b"x"), ("other/b", "file", b"y")], "outside 'top/'"),
    ([("top/a", "file", b"x"), ("top/a", "file", b"y")], "appears twice"),
])
def test_unsafe_or_foreign_archives_are_refused(tmp_path, members, message):
    with pytest.raises(ThirdPartyError, match=message):
        archive.unpack(_tar(tmp_path / "a.tar.gz", members), tmp_path / "out", "top")


def test_hard_links_become_copies_and_inner_links_are_kept(tmp_path):
    members = [("top/a", "file", b"x"), ("top/h", "hardlink", "top/a"), ("top/d/l", "link", "../a")]
    archive.unpack(_tar(tmp_path / "a.tar.gz", members), tmp_path / "out", "top")
    assert tree_digest(tmp_path / "out") == spec_digest({"a": b"x", "h": b"x", "d/l": ("link", "../a")})


def test_zip_symlinks_are_restored(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("top/a", b"x")
        link = zipfile.ZipInfo("top/l")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "a")
    archive.unpack(path, tmp_path / "out")
    assert tree_digest(tmp_path / "out") == spec_digest({"a": b"x", "l": ("link", "a")})


def test_truncated_archive_is_a_clear_error(tmp_path):
    good = _tar(tmp_path / "a.tar.gz", [("top/a", "file", os.urandom(100_000))])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(ThirdPartyError, match="cannot unpack archive"):
        archive.unpack(cut, tmp_path / "out", "top")
